import ArgumentParser
import Foundation
import MeterLogger
import Provisioning

/// `mlprov keys history`: who generated, imported, flashed or exported which serial's key.
struct KeysHistoryCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the ledger's history: who did what to which serial's key, and when (never keys).",
        discussion: """
            Examples:
              mlprov keys history
              mlprov keys history --serial 9999999 --json
            """)

    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only this serial's events.")
    var serial: String?

    func validate() throws {
        if let serial, MeterSerial(serial) == nil {
            throw ValidationError("--serial '\(serial)' is not a meter serial (1 to 10 decimal digits)")
        }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let store = try ledgerOptions.open()
        let events = try store.events(serial: serial.flatMap(MeterSerial.init))
        if output.json {
            console.json(HistoryReport(ok: true, events: events.map(HistoryReport.Event.init)))
            return
        }
        for event in events {
            let detail = event.detail.isEmpty ? "" : " (\(event.detail))"
            console.result("\(ledgerDate(event.at) ?? "") \(event.serial ?? "-") \(event.what.rawValue) by \(event.who)\(detail)")
        }
    }
}

struct HistoryReport: Encodable {
    struct Event: Encodable {
        var serial: String?
        var at: String?
        var who: String
        var what: String
        var detail: String
        init(_ event: LedgerEvent) {
            serial = event.serial
            at = ledgerDate(event.at)
            who = event.who
            what = event.what.rawValue
            detail = event.detail
        }
    }
    var ok: Bool
    var events: [Event]
}
