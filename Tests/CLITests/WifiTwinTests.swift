import DeviceSim
import Foundation
import Testing
import TestSupport

/// `mlprov wifi --device-url` (the binary) against the twin's setup page (in this process).
@Suite("mlprov wifi against the twin's setup page")
struct WifiTwinTests {
    @Test("the settings reach the twin's saved configuration; the password never reaches the output")
    func wifiSetupReachesTheTwin() async throws {
        let twin = ESP8266Twin()
        defer { twin.stop() }
        let webUI = try await twin.startSetupWebUI(meter: .kmp, scanResults: [.init(essid: "Loppen Public", rssi: -51)])
        let folder = try temporaryDirectory("wifi-twin")
        let passwordFile = try writePrivateFile("loppen-wifi-pw\n", named: "site.pw", in: folder)
        let result = try await runProcess(mlprovBinary, [
            "wifi", "--device-url", webUI.baseURL.absoluteString, "--serial", "9999999",
            "--key", "ef500c9268cf749016d26d6cbfaaf7bf", "--ssid", "Loppen Public", "--password-file", passwordFile,
            "--mqtt-host", "mqtt.example.net", "--json",
            // The twin's web server runs in this test process: on a loaded machine it answers late.
            "--request-timeout", "90", "--scan-timeout", "90",
        ], timeout: .seconds(120))
        await webUI.stop()
        #expect(result.succeeded, "\(result)")
        let settings = try #require(twin.wifiSettings, "nothing saved at 0x76000")
        #expect(settings.essid == "Loppen Public")
        #expect(settings.mqttHost == "mqtt.example.net")
        #expect(settings.revealPassword() == "loppen-wifi-pw")
        #expect(!result.stdout.contains("loppen-wifi-pw") && !result.stderr.contains("loppen-wifi-pw"))
    }
}
