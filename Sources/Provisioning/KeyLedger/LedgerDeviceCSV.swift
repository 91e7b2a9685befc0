import Foundation

/// `mlprov ledger export --csv`: one line per device with its key state and its board.
/// The key column is there only when the export includes keys (then the file is 0600).
/// Times are ISO 8601 in UTC; fields with a comma, quote or line break are quoted (RFC 4180).
public enum LedgerDeviceCSV {
    public static func header(includeKeys: Bool) -> [String] {
        ["serial", "key_state"] + (includeKeys ? ["key"] : [])
            + ["mac", "chip_id", "assigned_at", "flashed_at", "provisioned_at", "technician", "result"]
    }

    public static func render(_ rows: [LedgerDeviceReport], includeKeys: Bool) -> String {
        var lines = [header(includeKeys: includeKeys)]
        for row in rows {
            let entry = row.entry
            let board = row.assignment
            var fields = [entry.serial.ledgerText, entry.status.rawValue]
            if includeKeys { fields.append(row.key?.hex ?? "") }
            fields += [
                board?.board.mac ?? entry.mac ?? "", board?.board.chipID ?? entry.chipID ?? "",
                time(board?.assignedAt), time(entry.flashedAt ?? board?.flashedAt), time(board?.provisionedAt),
                board?.assignedBy ?? entry.createdBy, result(of: row),
            ]
            lines.append(fields)
        }
        return lines.map { $0.map(quoted).joined(separator: ",") + "\n" }.joined()
    }

    /// "provisioned", "flashed", "assigned", "failed: <why>", or the key's own state when
    /// no station has seen the device.
    static func result(of row: LedgerDeviceReport) -> String {
        guard let board = row.assignment else { return row.entry.status == .generated ? "" : row.entry.status.rawValue }
        return board.state == .failed ? "failed: \(board.result)" : board.state.rawValue
    }

    static func time(_ date: Date?) -> String {
        date?.formatted(.iso8601) ?? ""
    }

    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
