import Foundation
import MeterLogger

/// The shapes a key export takes. Both hold keys: files get mode 0600 (`SecretFile`).
public enum KeyExportFormat: String, Hashable, Sendable, CaseIterable {
    /// `serial,key` with a header line: what `mlprov keys import` reads back.
    case csv
    /// INSERT statements for MeterLoggerWeb's `meters` table.
    ///
    /// Assumed about that table (nabovarme/MeterLoggerWeb, db/…/nabovarme.sql, MariaDB):
    /// `serial varchar(16)` and `` `key` varchar(32) `` (backquoted, as KEY is a reserved
    /// word in MySQL), every other column nullable or defaulted, an AUTO_INCREMENT `id`, and
    /// no unique index on `serial`, so the statements are for meters not yet in the table
    /// (running them twice adds duplicate rows). The server finds a meter by the serial in
    /// its MQTT topics, which the firmware prints as `%07u`: the ledger's serial form.
    /// Serials are decimal digits and keys lower-case hex, so neither can hold a quote or a
    /// backslash; values are still quoted as standard SQL wants ('' for ').
    case meterLoggerWebSQL = "sql"

    /// The text for `rows`, one line per key, each ending in a newline.
    public func render(_ rows: [KeyRow]) -> String {
        switch self {
        case .csv:
            return "serial,key\n" + rows.map { "\($0.serial.ledgerText),\($0.key.hex)\n" }.joined()
        case .meterLoggerWebSQL:
            return rows.map {
                "INSERT INTO meters (serial, `key`) VALUES (\(Self.quoted($0.serial.ledgerText)),\(Self.quoted($0.key.hex)));\n"
            }.joined()
        }
    }

    /// An SQL string literal.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
