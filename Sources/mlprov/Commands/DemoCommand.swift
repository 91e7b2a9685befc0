import ArgumentParser
import Demo
import DeviceSim
import FirmwareBuild
import Foundation
import MeterLogger
import Station

struct DemoCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole flow against the device twin, no hardware needed.",
        discussion: """
            Builds the demo firmware for one device of an example profile (make, with mlprov as \
            the Makefile's elf2image), starts a device twin (an ESP8266 on an in-process cable \
            with the usual DTR/RTS auto-reset wiring), and provisions it through the same \
            pipeline as `mlprov provision` and the station: the five parts through mlprov's \
            flasher stub, a hard reset, the boot log and the identity the firmware reports; then \
            it checks the twin's flash. Then it starts a private mosquitto on a free loopback \
            port, sets up the board's wifi and MQTT host through its setup page (as `mlprov \
            wifi --device-url` does), and commissions it over MQTT once it is online (ping, \
            version, status, a first sample), every message sealed with the device's key.

            Example: mlprov demo --serial 9999996 --baud 115200
            """)

    @Option(help: "The profile to take the device from.")
    var profile = "profiles/demo-twin.yaml"

    @Option(help: "The device to build and flash, by serial.")
    var serial = "9999999"

    @Option(help: "Line rate; the ROM autobauds, so 921600 works directly.")
    var baud: Int = 921_600

    @Option(help: "realistic: the twin takes the time a real board takes; off: as fast as possible.")
    var timing: SimCommand.TimingChoice = .realistic

    @Option(help: "Cache folder (default: ~/.cache/mlprov/firmware).")
    var cache: String?

    func run(console: Console) async throws {
        let installation = try InstallationProfile.load(path: profile)
        let device = try selectDevices(installation, serial: serial, all: false)[0]
        console.info("Profile \(installation.name): device \(device.serial.text), variant \(installation.variant(for: device).id)")
        let scenario = try DemoScenario(
            profile: installation, device: device, builder: firmwareBuilder(cache: cache), baud: baud, realisticTiming: timing == .realistic)
        let renderer = ProvisioningRenderer(console: console, romOnly: false, showBootLog: true)
        let report = try await scenario.run { event in
            switch event {
            case .twinStarted(let twin):
                console.info("""
                    Device twin: ESP8266EX, MAC \(twin.mac), \(twin.flashSize.name) flash, timing \(timing.rawValue); \
                    its flash holds an old pattern, including a saved configuration at 0x76000-0x78FFF that must survive.
                    """)
            case .provisioning(let step): renderer.render(step)
            case .flashVerified(let check):
                console.result("""
                    Verified on the twin: all \(check.parts) parts byte for byte, the saved configuration at \
                    0x76000-0x78FFF untouched; the firmware reports serial \(check.serial), meter \(check.meter), \
                    setup SSID \(check.ssid). Flashed in \(String(format: "%.2f", check.flashSeconds)) s at \(baud) baud; \
                    the board now: \(check.chipState).
                    """)
            case .brokerStarted(let host, let port, let boardUser):
                console.info("MQTT: private mosquitto on \(host):\(port); the board will log in as \(boardUser)")
            case .wifiProgress(let line): console.info("wifi setup: \(line)")
            case .wifiDone(let setup):
                console.result("Wifi setup through the board's setup page (\(setup.deviceURL)): \(setup.page.rawValue) page, "
                    + "site \(setup.ssid) \(setup.ssidVisible ? "visible at \(setup.rssi.map { "\($0) dBm" } ?? "?")" : "not visible"), reply \(setup.replyStatus) \(setup.replyPath)")
            }
        }
        console.result("Commissioning over MQTT (\(report.broker)):")
        for step in report.steps {
            let seen = step.message.map { $0.isEmpty ? "(empty reply)" : $0 } ?? step.detail
            console.result("  \(step.outcome.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(step.name): \(seen)")
        }
        guard report.passed else {
            throw CommandFailure(message: "the twin was flashed but did not pass commissioning", help: "see the steps above")
        }
        console.result("Device \(device.serial.text) is provisioned: flashed, booted, online and answering with its own key.")
    }
}
