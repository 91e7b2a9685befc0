import ArgumentParser
import DeviceSim
import ESPFlasher
import ESPImage
import FirmwareBuild
import Foundation
import MeterLogger

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole flow against the device twin, no hardware needed.",
        discussion: """
            Builds the demo firmware for one device of an example profile (make, with mlprov as \
            the Makefile's elf2image), starts a device twin (an ESP8266 on an in-process cable \
            with the usual DTR/RTS auto-reset wiring), flashes the five parts through the real \
            loader session, resets the board, shows its boot log and the identity the firmware \
            reports, and checks the twin's flash.

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
            throw console.fail(error.description, help: error.helpText, json: false)
        }
        console.info("Profile \(installation.name): device \(device.serial.text), variant \(installation.variant(for: device).id)")
        let outcome: BuildOutcome
        do {
            outcome = try await firmwareBuilder(cache: cache).build(request)
        } catch {
            throw console.fail(error.description, help: error.help, json: false)
        }
        console.info("Firmware: \(outcome.cacheHit ? "from the cache" : "built with make in \(String(format: "%.1f", outcome.seconds)) s") (\(outcome.artefacts.directory))")
        try console.reporting(json: false) {
            try flashOntoTwin(outcome.artefacts, installation: installation, device: device, console: console)
        }
    }

    private func flashOntoTwin(_ artefacts: FirmwareArtefacts, installation: InstallationProfile, device: Device, console: Console) throws {
        var configuration = TwinConfiguration()
        configuration.initialBootMode = .flash
        configuration.timing = timing == .realistic ? .realistic : .off
        let pattern = (0..<configuration.flashSize.bytes).map { UInt8(truncatingIfNeeded: $0 >> 12) }
        let twin = try ESP8266Twin(configuration: configuration, flashContents: pattern)
        defer { twin.stop() }
        console.info("""
            Device twin: ESP8266EX, MAC \(configuration.mac), \(configuration.flashSize.name) flash, timing \(timing.rawValue); \
            its flash holds an old pattern, including a saved configuration at 0x76000-0x78FFF that must survive.
            """)
        let parts = try artefacts.parts.map { part in
            guard let data = FileManager.default.contents(atPath: part.path) else {
                throw CommandFailure(message: "cannot read \(part.path)", help: "remove the cache folder and run again")
            }
            return FlashPart(name: part.name, offset: part.offset, bytes: [UInt8](data))
        }
        let plan = try FlashPlan(parts: parts, flashSize: installation.flash.size, parameters: installation.flash.parameters)
        let link = twin.connectInProcess(name: "twin")
        try link.setBaudRate(baud)
        let session = LoaderSession(link: link)
        let started = ContinuousClock.now
        try session.connect(reset: .classic) { console.render($0) }
        console.render(.connected(try session.readChipInfo()))
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
    }
}
