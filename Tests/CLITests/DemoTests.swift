import Foundation
import Testing
import TestSupport

/// `mlprov demo`, the whole flow a technician sees first, run as the binary.
@Suite("mlprov demo")
struct DemoTests {
    @Test("the demo builds, flashes, boots, sets up wifi for and commissions the impulse meter of the demo profile")
    func demoRunsEndToEnd() async throws {
        let cache = try temporaryDirectory("demo-cache")
        let result = try await runProcess(mlprovBinary, [
            "demo", "--profile", packageRoot.appendingPathComponent("profiles/demo-twin.yaml").path,
            "--serial", "9999996", "--timing", "off", "--cache", cache.path,
        ], timeout: .seconds(120))
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout.contains("serial: 9999996"), "the firmware's boot text: \(result)")
        #expect(result.stdout.contains("the firmware reports serial 9999996, meter impulse, setup SSID EL_9999996"), "\(result)")
        #expect(result.stdout.contains("Wifi setup through the board's setup page"), "\(result)")
        #expect(result.stdout.contains("impulse page, site Demo-Site visible at -51 dBm, reply 302 /wifi/impulse_meter_setting_up.html"), "\(result)")
        #expect(result.stdout.contains("passed  sample:"), "\(result)")
        #expect(result.stdout.contains("Device 9999996 is provisioned"), "\(result)")
        #expect(!result.stdout.contains("ae2d8a571e03ac9c9eb76fac45af8e51") && !result.stderr.contains("ae2d8a571e03ac9c9eb76fac45af8e51"),
                "the device key is never printed")
    }
}
