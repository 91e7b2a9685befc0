import ArgumentParser
import Basics
import ESPFlasher
import Foundation
import MeterLogger
import Provisioning
import Station

/// `mlprov provision`: one board, end to end, the station's checks included.
struct ProvisionCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Provision one board end to end: claim, build, flash, boot check, optional wifi and commissioning.",
        discussion: """
            The same pipeline as one slot of `mlprov station`: the board is connected and \
            identified (MAC, chip id), tied to the device with this serial in the ledger (with \
            its key, before anything is written; a board already tied to another unfinished \
            serial, or the serial provisioned on another board, is refused), its firmware is \
            built (or taken from the cache) and flashed, and the boot is checked (the firmware \
            must report the device's serial). --wifi and --commission add the setup-AP wifi step \
            and MQTT commissioning with the profile's network section. Running it again on the \
            same board continues where it stopped; a provisioned board is left as it is. \
            --after does not apply: the boot check always hard-resets the board into its firmware.

            Examples:
              mlprov provision --profile profiles/site.yaml --serial 9999999 --port /dev/ttyUSB0
              mlprov provision --profile profiles/demo-twin.yaml --serial 9999999 --port /dev/pts/3 --before no-reset --json
            """)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var steps: ProvisioningStepOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The device the board becomes, by serial.")
    var serial: String

    @Option(help: "Cache folder (default: ~/.cache/mlprov/firmware).")
    var cache: String?

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let profile = try profileOptions.load()
        let device = try selectDevices(profile, serial: serial, all: false)[0]
        let stop = StopToken()
        let provisioner = BoardProvisioner(
            profile: profile, builder: firmwareBuilder(cache: cache), loader: connection.loader(profile: profile),
            steps: ProvisioningSteps(bootCheck: true, wifi: try steps.wifiStep(profile), commissioning: try steps.commissioningCheck(profile)),
            record: LedgerAssignment(ledger: try ledgerOptions.open(), profile: profile, slot: connection.port, choice: .device(device), stop: stop))
        let renderer = ProvisioningRenderer(console: console, romOnly: connection.noStub, showBootLog: false)
        // Caught before the work starts, so that no Ctrl-C falls between the two; stopping the
        // token aborts whatever the board is doing within a read slice.
        let interrupt = SignalCatcher([SIGINT], repeated: .endsProcess) { _ in stop.stop("interrupted") }
        let work = Task { try await provisioner.run(on: .path(connection.port), stop: stop) { renderer.render($0) } }
        defer { interrupt.stop() }
        let result: ProvisioningResult
        do {
            result = try await work.value
        } catch let error as BoardProvisioningError {
            if case .stopped = error { throw console.fail(error, json: output.json).interrupted }
            throw error
        }
        let report = ProvisionReport(result)
        if output.json {
            console.json(report)
        } else if result.wasAlreadyProvisioned {
            console.result("The board \(result.board.mac) is already provisioned as \(result.serial.text): nothing to do")
        } else {
            console.result("Provisioned \(result.serial.text) on board \(result.board.mac) (\(result.firmware?.artefacts.label ?? "")): "
                + "flashed in \(String(format: "%.2f", result.flashSeconds ?? 0)) s, boot checked"
                + (result.commissioning.map { $0.passed ? ", commissioned" : "" } ?? ""))
        }
    }
}

extension ExitCode {
    /// Ctrl-C's exit code instead of 1, after the failure is rendered.
    var interrupted: ExitCode { ExitCode(SignalCatcher.exitCode(for: SIGINT)) }
}

struct ProvisionReport: Encodable {
    var ok = true
    var serial: String
    var mac: String
    var chipID: String
    var alreadyProvisioned: Bool
    var firmware: String?
    var loader: String?
    var flashSeconds: Double?
    var commissioned: Bool?

    init(_ result: ProvisioningResult) {
        serial = result.serial.text
        mac = result.board.mac
        chipID = result.board.chipID
        alreadyProvisioned = result.wasAlreadyProvisioned
        firmware = result.firmware?.artefacts.label
        loader = result.loader?.rawValue
        flashSeconds = result.flashSeconds
        commissioned = result.commissioning?.passed
    }

    enum CodingKeys: String, CodingKey {
        case ok, serial, mac, chipID = "chip_id", alreadyProvisioned = "already_provisioned", firmware, loader
        case flashSeconds = "flash_seconds", commissioned
    }
}
