import ArgumentParser
import Foundation
import Provisioning

/// `mlprov ledger …`: reports from the key ledger about devices and their boards.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Reports from the key ledger: which board became which device, and when.",
        subcommands: [LedgerExportCommand.self])
}

/// `mlprov ledger export --csv`: one row per device, for the installation's records.
struct LedgerExportCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one CSV row per device: key state, board MAC and chip id, times, technician, result.",
        discussion: """
            Columns: serial, key_state (generated, flashed, commissioned, retired), mac, chip_id, \
            assigned_at, flashed_at, provisioned_at (ISO 8601, UTC), technician (the OS user who \
            ran the station, else who recorded the key), result (provisioned, flashed, assigned, \
            or failed: why). Keys are left out unless --include-keys is given: then a key column \
            follows key_state, every exported key is noted in the ledger's history, and -o is \
            needed (the file is created with mode 0600). With -o the file is 0600 in any case.

            Examples:
              mlprov ledger export --csv -o block4-boards.csv
              mlprov ledger export --csv --installation "Block 4" --include-keys -o block4-keys.csv
            """)

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(help: "CSV with a header line (the only format for now).")
    var csv = false

    @Flag(help: "Add each device's key (needs -o; the file is 0600).")
    var includeKeys = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "File to write (mode 0600) instead of standard output.")
    var outputFile: String?

    @Option(help: "Only this installation's devices.")
    var installation: String?

    func validate() throws {
        guard csv else { throw ValidationError("give --csv") }
        if includeKeys, outputFile == nil { throw ValidationError("--include-keys writes keys: give -o FILE (created 0600), not standard output") }
    }

    func run(console: Console) async throws {
        let store = try ledgerOptions.open()
        let rows = try store.deviceReport(installation: installation, includeKeys: includeKeys, destination: outputFile ?? "standard output")
        let text = LedgerDeviceCSV.render(rows, includeKeys: includeKeys)
        if let outputFile {
            try SecretFile.write(text, to: outputFile)
            console.info("Wrote \(rows.count) device\(rows.count == 1 ? "" : "s") to \(outputFile) (mode 0600\(includeKeys ? ", with keys" : ""))")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
