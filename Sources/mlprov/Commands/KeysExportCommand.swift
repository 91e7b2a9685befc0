import ArgumentParser
import Foundation
import MeterLogger
import Provisioning

/// `mlprov keys export`: the keys, for MeterLoggerWeb or another ledger.
struct KeysExportCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print or write the ledger's keys as CSV or as SQL for MeterLoggerWeb.",
        discussion: """
            --csv writes `serial,key` lines with a header (what `keys import` reads). --sql \
            writes one INSERT INTO meters (serial, `key`) VALUES ('…','…'); statement per key for \
            MeterLoggerWeb's `meters` table, for meters not yet in it. Output goes to \
            standard output, or with -o to a file created with mode 0600. Every exported key \
            is noted in the ledger's history.

            Examples:
              mlprov keys export --csv -o backup-keys.csv
              mlprov keys export --sql --installation "Block 4" -o meters.sql
            """)

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(help: "serial,key lines with a header.")
    var csv = false

    @Flag(help: "INSERT statements for MeterLoggerWeb's meters table.")
    var sql = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "File to write (mode 0600) instead of standard output.")
    var outputFile: String?

    @Option(help: "Only this installation's keys.")
    var installation: String?

    func validate() throws {
        guard csv != sql else { throw ValidationError("give either --csv or --sql") }
    }

    func run(console: Console) async throws {
        let format: KeyExportFormat = csv ? .csv : .meterLoggerWebSQL
        let store = try ledgerOptions.open()
        let rows = try store.exportRows(installation: installation, destination: outputFile ?? "standard output")
        let text = format.render(rows)
        if let outputFile {
            try SecretFile.write(text, to: outputFile)
            console.info("Wrote \(rows.count) key\(rows.count == 1 ? "" : "s") to \(outputFile) (mode 0600)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
