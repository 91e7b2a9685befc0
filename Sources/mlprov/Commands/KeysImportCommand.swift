import ArgumentParser
import Foundation
import MeterLogger
import Provisioning

/// `mlprov keys import`: record keys made elsewhere (another laptop, MeterLoggerWeb).
struct KeysImportCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Record keys from a CSV file of serial,key lines.",
        discussion: """
            Each line is `serial,key` (a decimal serial and 32 hex characters); a first line \
            `serial,key` is a header, blank lines and lines starting with # are skipped. A \
            serial the ledger holds with the same key is left as it is. If any serial has a \
            different key in the ledger, nothing is imported and the serials are named.

            Example: mlprov keys import keys-from-laptop-2.csv --installation "Ryttergården, block 4"
            """)

    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The CSV file to import.")
    var file: String

    @Option(help: "Installation the imported keys belong to.")
    var installation: String?

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let rows = try KeyImportFile.read(path: file)
        let store = try ledgerOptions.open()
        let summary = try store.importKeys(rows, from: file, installation: installation)
        if output.json {
            console.json(ImportReport(
                ok: true, added: summary.added.map(\.ledgerText), unchanged: summary.unchanged.map(\.ledgerText)))
        } else {
            console.result("Imported \(summary.added.count) key\(summary.added.count == 1 ? "" : "s") from \(file); \(summary.unchanged.count) already in the ledger")
        }
    }
}

struct ImportReport: Encodable {
    var ok: Bool
    var added: [String]
    var unchanged: [String]
}
