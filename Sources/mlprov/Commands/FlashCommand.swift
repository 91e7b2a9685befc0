import Basics
import ArgumentParser
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import Provisioning
import Station

struct FlashCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Build a device's firmware if needed and flash it.",
        discussion: """
            Builds (or takes from the cache) the variant of the device with this serial, then \
            writes its five parts with the profile's flash settings and baud rate; the saved \
            configuration at 0x76000-0x78FFF is never touched. The key comes from the ledger \
            (recorded there first when the profile generates it); the flash is recorded \
            against the serial with the board's MAC and chip id. `mlprov provision` does the \
            same and also checks the boot, claims the board for the device as the station \
            does, and optionally sets up wifi and commissions it.

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

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let profile = try profileOptions.load()
        let device = try selectDevices(profile, serial: serial, all: false)[0]
        let provisioner = BoardProvisioner(
            profile: profile, builder: firmwareBuilder(cache: cache), loader: connection.loader(profile: profile),
            steps: ProvisioningSteps(bootCheck: false, after: connection.after),
            record: LedgerKeyOnly(ledger: try ledgerOptions.open(), profile: profile, device: device))
        let renderer = ProvisioningRenderer(console: console, romOnly: connection.noStub)
        let result = try await provisioner.run(on: .path(connection.port)) { renderer.render($0) }
        let report = WriteReport(result)
        if output.json {
            console.json(report)
        } else {
            console.result("Flashed \(serial) (\(result.firmware?.artefacts.label ?? "")) in \(String(format: "%.2f", report.seconds)) s")
        }
    }
}

extension WriteReport {
    /// The flash part of a pipeline's result.
    init(_ result: ProvisioningResult) {
        self.init(
            mac: result.board.mac, chipID: result.board.chipID, seconds: result.flashSeconds ?? 0, after: result.after?.rawValue ?? "",
            loader: result.loader?.rawValue ?? "",
            parts: WriteReport.Part.lines(of: result.plan))
    }
}
