import ArgumentParser
import Foundation
import MeterLogger
import Provisioning

/// `mlprov keys list`: what the ledger knows about each serial, without keys.
struct KeysListCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the ledger's serials with status and dates (never keys).",
        discussion: """
            Status: generated (key recorded, no board known to carry it), flashed, \
            commissioned (the board answered over MQTT), retired.

            Examples:
              mlprov keys list
              mlprov keys list --installation "Ryttergården, block 4" --json
            """)

    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only this installation's serials.")
    var installation: String?

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let store = try ledgerOptions.open()
        let entries = try store.entries(installation: installation)
        if output.json {
            console.json(ListReport(ok: true, ledger: store.path, devices: entries.map(ListReport.Device.init)))
            return
        }
        if entries.isEmpty {
            console.info("The ledger \(store.path) holds no keys\(installation.map { " for \($0)" } ?? "")")
            return
        }
        let header = ["SERIAL", "STATUS", "CREATED", "BY", "FLASHED", "COMMISSIONED", "INSTALLATION"]
        let rows = entries.map { entry in
            [entry.serial.ledgerText, entry.status.rawValue, ledgerDate(entry.createdAt) ?? "", entry.createdBy,
             ledgerDate(entry.flashedAt) ?? "-", ledgerDate(entry.commissionedAt) ?? "-", entry.installation ?? "-"]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            console.result(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }
}

struct ListReport: Encodable {
    struct Device: Encodable {
        var serial: String
        var status: String
        var origin: String
        var installation: String?
        var createdAt: String?
        var createdBy: String
        var flashedAt: String?
        var commissionedAt: String?
        var retiredAt: String?
        var mac: String?
        var chipID: String?

        init(_ entry: LedgerEntry) {
            serial = entry.serial.ledgerText
            status = entry.status.rawValue
            origin = entry.origin.rawValue
            installation = entry.installation
            createdAt = ledgerDate(entry.createdAt)
            createdBy = entry.createdBy
            flashedAt = ledgerDate(entry.flashedAt)
            commissionedAt = ledgerDate(entry.commissionedAt)
            retiredAt = ledgerDate(entry.retiredAt)
            mac = entry.mac
            chipID = entry.chipID
        }

        enum CodingKeys: String, CodingKey {
            case serial, status, origin, installation, createdAt = "created_at", createdBy = "created_by"
            case flashedAt = "flashed_at", commissionedAt = "commissioned_at", retiredAt = "retired_at", mac, chipID = "chip_id"
        }
    }
    var ok: Bool
    var ledger: String
    var devices: [Device]
}
