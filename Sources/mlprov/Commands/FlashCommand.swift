import Basics
import ArgumentParser
import ESPFlasher
import ESPImage
import FirmwareBuild
import Foundation
import MeterLogger
import Provisioning

struct FlashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Build a device's firmware if needed and flash it.",
        discussion: """
            Builds (or takes from the cache) the variant of the device with this serial, then \
            writes its five parts with the profile's flash settings and baud rate; the saved \
            configuration at 0x76000-0x78FFF is never touched.

            Example: mlprov flash --profile profiles/demo-twin.yaml --serial 9999999 --port /dev/ttyUSB0
            """)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The device to flash, by serial.")
    var serial: String

    @Option(help: "Cache folder (default: ~/.cache/mlprov/firmware).")
    var cache: String?

    func run() async throws {
        let console = Console()
        let profile: InstallationProfile
        let device: Device
        let request: BuildRequest
        let ledger: KeyStore
        do {
            profile = try profileOptions.load()
            device = try selectDevices(profile, serial: serial, all: false)[0]
            ledger = try ledgerOptions.open()
            request = try BuildRequest(profile: profile, device: device, key: try KeyResolver(store: ledger).key(for: device, in: profile))
        } catch let error as ReportableError {
            throw console.fail(error.description, help: error.help, json: output.json)
        }
        let outcome: BuildOutcome
        do {
            outcome = try await firmwareBuilder(cache: cache).build(request)
        } catch {
            throw console.fail(error.description, help: error.help, json: output.json)
        }
        console.info("Firmware \(outcome.artefacts.label): \(outcome.cacheHit ? "from the cache" : "built in \(String(format: "%.1f", outcome.seconds)) s")")
        try console.reporting(json: output.json) {
            let plan = try FlashPlan(artefacts: outcome.artefacts, flash: profile.flash)
            let report = try flashPlan(plan, connection: connection, baud: profile.flash.baud, console: console)
            try ledger.markFlashed(serial: device.serial, mac: report.mac, chipID: report.chipID)
            if output.json {
                console.json(report)
            } else {
                console.result("Flashed \(serial) (\(outcome.artefacts.label)) in \(String(format: "%.2f", report.seconds)) s")
            }
        }
    }
}
