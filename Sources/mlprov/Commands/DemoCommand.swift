import Basics
import ArgumentParser
import DeviceSim
import ESPFlasher
import ESPImage
import FirmwareBuild
import Foundation
import MeterLogger
import MQTT
import Provisioning
import Station

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole flow against the device twin, no hardware needed.",
        discussion: """
            Builds the demo firmware for one device of an example profile (make, with mlprov as \
            the Makefile's elf2image), starts a device twin (an ESP8266 on an in-process cable \
            with the usual DTR/RTS auto-reset wiring), flashes the five parts through the real \
            loader session, resets the board, shows its boot log and the identity the firmware \
            reports, and checks the twin's flash. Then it starts a private mosquitto on a free \
            loopback port, sets up the board's wifi and MQTT host through its setup page (as \
            `mlprov wifi --device-url` does), and commissions it over MQTT once it is online \
            (ping, version, status, a first sample), every message sealed with the device's key.

            Example: mlprov demo --serial 9999996 --baud 115200
            """)

    /// The demo site's wifi, as the twin's scan shows it.
    static let siteSSID = "Demo-Site"
    static let sitePassword = "demo-site-wifi"

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

    func run() async throws {
        let console = Console()
        let installation: InstallationProfile
        let device: Device
        let request: BuildRequest
        do {
            installation = try InstallationProfile.load(path: profile)
            device = try selectDevices(installation, serial: serial, all: false)[0]
            request = try BuildRequest(profile: installation, device: device)
        } catch let error as ReportableError {
            throw console.fail(error.description, help: error.help, json: false)
        }
        console.info("Profile \(installation.name): device \(device.serial.text), variant \(installation.variant(for: device).id)")
        let outcome: BuildOutcome
        do {
            outcome = try await firmwareBuilder(cache: cache).build(request)
        } catch {
            throw console.fail(error.description, help: error.help, json: false)
        }
        console.info("Firmware: \(outcome.cacheHit ? "from the cache" : "built with make in \(String(format: "%.1f", outcome.seconds)) s") (\(outcome.artefacts.directory))")
        var twin: ESP8266Twin?
        try console.reporting(json: false) {
            twin = try flashOntoTwin(outcome.artefacts, installation: installation, device: device, console: console)
        }
        guard let twin, let key = device.key.givenKey else { return }
        defer { twin.stop() }
        try await commissionOverPrivateBroker(twin: twin, device: device, key: key, console: console)
    }

    /// Starts a private mosquitto, brings the twin online, commissions it and renders the report.
    private func commissionOverPrivateBroker(twin: ESP8266Twin, device: Device, key: DeviceKey, console: Console) async throws {
        let identity = TwinMQTTIdentity(serial: device.serial.text, key: key, meter: twin.firmwareIdentity?.meter ?? .kmp)
        let boardLogin = identity.defaultLogin()
        let technicianPassword = try DeviceKey.random().hex
        let report: CommissioningReport
        do {
            report = try await PrivateBroker.run(users: [boardLogin.username: boardLogin.password, "mlprov": technicianPassword]) { broker in
                console.info("MQTT: private mosquitto on \(broker.host):\(broker.port); the board will log in as \(boardLogin.username)")
                // The board's setup page: the technician gives it the site's wifi and the MQTT host.
                let webUI = try await twin.startSetupWebUI(
                    scanResults: [.init(essid: Self.siteSSID, rssi: -51), .init(essid: "Neighbour", rssi: -80)],
                    afterSetup: .goOnline(port: broker.port, settings: TwinMQTTSettings(sampleInterval: .seconds(2))))
                guard let sitePassword = WifiPassword(Self.sitePassword) else {
                    throw CommandFailure(message: "the demo's site password is not a WPA2 passphrase", help: nil)
                }
                let input = try WifiSetupInput(ssid: Self.siteSSID, password: sitePassword, mqttHost: broker.host, impulse: device.impulse)
                let setup = try await WifiSetupClient(baseURL: webUI.baseURL).run(input) { console.info("wifi setup: \($0)") }
                console.result("Wifi setup through the board's setup page (\(setup.deviceURL)): \(setup.page.rawValue) page, "
                    + "site \(setup.ssid) \(setup.ssidVisible ? "visible at \(setup.rssi.map { "\($0) dBm" } ?? "?")" : "not visible"), reply \(setup.replyStatus) \(setup.replyPath)")
                guard await webUI.waitForAfterSetup(timeout: .seconds(30)), let online = webUI.onlineClient else {
                    await webUI.stop()
                    throw CommandFailure(message: "the twin did not come online after wifi setup", help: "this is a bug in mlprov; please report it")
                }
                let report = await commission(
                    serial: device.serial, key: key,
                    broker: MQTTBrokerLogin(host: broker.host, port: broker.port, username: "mlprov", password: technicianPassword),
                    options: CommissioningOptions(sampleTimeout: .seconds(20)))
                await online.stop()
                await webUI.stop()
                return report
            }
        } catch let failure as CommandFailure {
            throw console.fail(failure.message, help: failure.help, json: false)
        } catch {
            throw console.fail("wifi setup and commissioning failed: \(error)", help: "is mosquitto installed? scripts/setup installs it", json: false)
        }
        console.result("Commissioning over MQTT (\(report.broker)):")
        for step in report.steps {
            let seen = step.message.map { $0.isEmpty ? "(empty reply)" : $0 } ?? step.detail
            console.result("  \(step.outcome.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(step.name): \(seen)")
        }
        guard report.passed else {
            throw console.fail("the twin was flashed but did not pass commissioning", help: "see the steps above", json: false)
        }
        console.result("Device \(device.serial.text) is provisioned: flashed, booted, online and answering with its own key.")
    }

    private func flashOntoTwin(_ artefacts: FirmwareArtefacts, installation: InstallationProfile, device: Device, console: Console) throws -> ESP8266Twin {
        var configuration = TwinConfiguration()
        configuration.initialBootMode = .flash
        configuration.timing = timing == .realistic ? .realistic : .off
        let pattern = (0..<configuration.flashSize.bytes).map { UInt8(truncatingIfNeeded: $0 >> 12) }
        let twin = try ESP8266Twin(configuration: configuration, flashContents: pattern)
        console.info("""
            Device twin: ESP8266EX, MAC \(configuration.mac), \(configuration.flashSize.name) flash, timing \(timing.rawValue); \
            its flash holds an old pattern, including a saved configuration at 0x76000-0x78FFF that must survive.
            """)
        let plan = try FlashPlan(artefacts: artefacts, flash: installation.flash)
        let link = twin.connectInProcess(name: "twin")
        try link.setBaudRate(baud)
        let session = LoaderSession(link: link)
        let started = ContinuousClock.now
        try session.connect(reset: .classic) { console.render($0) }
        console.render(.connected(try session.readChipInfo()))
        _ = try session.startStubOrFallBack(.mlprov, reset: .classic) { console.render($0) }
        try session.write(plan) { console.render($0) }
        let flashSeconds = (ContinuousClock.now - started).seconds
        let (action, log) = try session.finishCapturingBootLog(.hardReset)
        console.render(.finished(action))
        console.result("Boot log at 74880 baud (the ROM's, then the firmware's):")
        for line in log.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) where !line.isEmpty {
            console.result("  \(line)")
        }

        let flash = twin.flash.contents
        guard plan.operations.allSatisfy({ Array(flash[$0.part.range]) == $0.part.bytes }),
              flash[FlashLayout.meterLoggerConfiguration] == pattern[FlashLayout.meterLoggerConfiguration]
        else {
            throw CommandFailure(message: "the twin's flash does not hold what was written", help: "this is a bug in mlprov; please report it")
        }
        guard let identity = twin.firmwareIdentity, identity.serial == device.serial.text,
              identity.meter == installation.variant(for: device).meter
        else {
            throw CommandFailure(
                message: "the twin booted, but its firmware reports \(twin.firmwareIdentity.map(String.init(describing:)) ?? "no identity"), not device \(device.serial.text)",
                help: "this is a bug in mlprov or the demo firmware; please report it")
        }
        console.result("""
            Verified on the twin: all \(plan.operations.count) parts byte for byte, the saved configuration at \
            0x76000-0x78FFF untouched; the firmware reports serial \(identity.serial), meter \(identity.meter), \
            setup SSID \(identity.ssid). Flashed in \(String(format: "%.2f", flashSeconds)) s at \(baud) baud; \
            the board now: \(twin.chipState).
            """)
        return twin
    }
}
