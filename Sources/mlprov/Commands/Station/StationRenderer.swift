import Foundation
import Station
import Synchronization

/// Renders station events: a live table on a terminal, JSON lines otherwise.
final class StationRenderer: Sendable {
    struct Row {
        var slot: String
        var serial: String
        var phase: String
        var percent: Int?
        var result: String
        /// With a failure: what the technician can try, shown on a line under the row.
        var help: String?
    }

    private let table: Bool
    /// The table as last drawn; writes happen with it locked, so redraws never interleave.
    private let state = Mutex(TableState())

    private struct TableState {
        var rows: [String: Row] = [:]
        var order: [String] = []
        var drawnLines = 0
        var lastDraw = ContinuousClock.now - .seconds(1)
    }
    /// The least time between two redraws for progress alone (phase changes draw at once).
    static let redrawInterval: Duration = .milliseconds(100)

    init(table: Bool) {
        self.table = table
    }

    func render(_ event: StationEvent) {
        state.withLock { state in
            if !table {
                write(Self.jsonLine(event))
                return
            }
            if state.rows[event.slot] == nil { state.order.append(event.slot) }
            var row = state.rows[event.slot] ?? Row(slot: event.slot, serial: "", phase: "", result: "")
            let phaseChanged = row.phase != event.phase.name
            if let serial = event.serial { row.serial = serial }
            row.phase = event.phase.name
            row.percent = event.phase.percent ?? (event.phase == .waiting ? nil : row.percent)
            if let result = event.result { row.result = result } else if !event.phase.isFinal, event.phase != .waiting { row.result = "" }
            if event.phase.isFinal { row.help = event.help } else if event.phase != .waiting { row.help = nil }
            state.rows[event.slot] = row
            if phaseChanged || ContinuousClock.now - state.lastDraw >= Self.redrawInterval { draw(&state) }
        }
    }

    func finish(_ summary: StationSummary) {
        state.withLock { state in
            if table {
                draw(&state)
                let interrupted = summary.interrupted ? "interrupted; " : ""
                write("\(interrupted)\(summary.done.count) done, \(summary.failed.count) failed")
            } else {
                let object: [String: Any] = [
                    "summary": true, "done": summary.done.count, "failed": summary.failed.count, "interrupted": summary.interrupted,
                ]
                if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                    write(String(decoding: data, as: UTF8.self))
                }
            }
        }
    }

    /// Redraws the table in place (called with `state` locked).
    private func draw(_ state: inout TableState) {
        state.lastDraw = .now
        var text = state.drawnLines > 0 ? "\u{1B}[\(state.drawnLines)A" : ""
        let header = Self.line(["SLOT", "SERIAL", "PHASE", "PROGRESS", "RESULT"])
        var lines = [header]
        for slot in state.order {
            guard let row = state.rows[slot] else { continue }
            let bar = row.percent.map { Self.bar($0) } ?? ""
            lines.append(Self.line([Self.short(row.slot), row.serial, row.phase, bar, row.result]))
            if let help = row.help { lines.append("  help: " + String(help.prefix(120))) }
        }
        for line in lines { text += "\u{1B}[2K" + line + "\n" }
        // A shorter table (a help line gone) clears what is left of the longer one.
        let extra = max(0, state.drawnLines - lines.count)
        if extra > 0 { text += String(repeating: "\u{1B}[2K\n", count: extra) + "\u{1B}[\(extra)A" }
        state.drawnLines = lines.count
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private func write(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func line(_ columns: [String]) -> String {
        let widths = [28, 11, 14, 18]
        var text = ""
        for (index, column) in columns.enumerated() {
            if index < widths.count {
                text += column.padding(toLength: widths[index], withPad: " ", startingAt: 0) + " "
            } else {
                text += String(column.prefix(60))
            }
        }
        return text
    }

    static func bar(_ percent: Int) -> String {
        let filled = percent / 10
        return String(repeating: "█", count: filled) + String(repeating: "░", count: 10 - filled) + " \(percent)%"
    }

    /// The end of a long by-path name (the hub port part is what tells slots apart).
    static func short(_ slot: String) -> String {
        slot.count <= 28 ? slot : "…" + slot.suffix(27)
    }

    static func jsonLine(_ event: StationEvent) -> String {
        var object: [String: Any] = ["slot": event.slot, "port": event.port, "phase": event.phase.name]
        object["serial"] = event.serial ?? NSNull()
        object["mac"] = event.mac ?? NSNull()
        object["progress"] = event.phase.percent.map { $0 as Any } ?? NSNull()
        object["result"] = event.result ?? NSNull()
        object["help"] = event.help ?? NSNull()
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
