import Foundation
import MeterLogger

/// Where a board stands, as the ledger knows it. Moves forward as a board is provisioned:
/// generated → flashed → commissioned; retired when it leaves service. A re-flash moves a
/// commissioned board back to flashed until it is commissioned again.
public enum KeyStatus: String, Hashable, Sendable, CaseIterable, Codable {
    /// A key is recorded for the serial; no board is known to carry it yet.
    case generated
    /// A board was flashed with the key.
    case flashed
    /// The board answered over MQTT with the key.
    case commissioned
    /// The board left service; its key stays (old data is still read with it).
    case retired
}

/// How a key came into the ledger.
public enum KeyOrigin: String, Hashable, Sendable, Codable {
    /// Made here from OpenSSL's CSPRNG.
    case generated
    /// Written in an installation profile (`key: <hex>`).
    case profile
    /// Read from an import file.
    case imported
}

/// One serial's row, without its key: what `keys list` shows.
public struct LedgerEntry: Hashable, Sendable {
    public let serial: MeterSerial
    public let status: KeyStatus
    public let origin: KeyOrigin
    public let installation: String?
    public let createdAt: Date
    /// The OS user who recorded the key.
    public let createdBy: String
    public let flashedAt: Date?
    public let commissionedAt: Date?
    public let retiredAt: Date?
    /// The board's station MAC, once flashed (`aa:bb:cc:dd:ee:ff`).
    public let mac: String?
    /// The ESP8266's chip id, once flashed (e.g. `0x00a1b2c3`).
    public let chipID: String?
}

/// What happened in the ledger, as its append-only `events` table keeps it.
public enum LedgerEventKind: String, Hashable, Sendable, CaseIterable, Codable {
    /// A key was generated and recorded.
    case generated
    /// A key given in a profile was recorded.
    case recorded
    /// A key was recorded from an import file.
    case imported
    /// A recorded key was handed out again (to a build, a flash, a commissioning).
    case issued
    case flashed
    case commissioned
    case retired
    /// The key was written into an export (CSV or SQL).
    case exported
    /// A flashing station tied a board (MAC, chip id) to the serial, or took it up again.
    case assigned
    /// The station finished the board: flashed, booted with its identity, set up as asked.
    case provisioned
    /// The station's work on the board failed (the reason is the detail).
    case failed
}

/// One row of the `events` table.
public struct LedgerEvent: Hashable, Sendable {
    public let id: Int64
    /// The serial the event is about (canonical form, see `MeterSerial.ledgerText`).
    public let serial: String?
    public let at: Date
    /// The OS user.
    public let who: String
    public let what: LedgerEventKind
    /// Free text: where a key came from, which file it went to. Never a key.
    public let detail: String
}

/// A key handed out by the ledger: it was recorded in a committed transaction before this
/// value existed.
public struct IssuedKey: Hashable, Sendable {
    public enum Outcome: String, Hashable, Sendable, Codable {
        /// Generated now and recorded.
        case generated
        /// Given by the caller (a profile) and recorded now.
        case recorded
        /// The ledger already held it.
        case existing
    }

    public let serial: MeterSerial
    /// Printing an `IssuedKey` shows `<redacted>` for this.
    public let key: DeviceKey
    public let outcome: Outcome
}

/// One serial and its key: a line of an import or export.
public struct KeyRow: Hashable, Sendable {
    public let serial: MeterSerial
    public let key: DeviceKey
    /// Where the row came from, for messages (e.g. `keys.csv:3`).
    public let source: String

    public init(serial: MeterSerial, key: DeviceKey, source: String = "") {
        self.serial = serial
        self.key = key
        self.source = source
    }
}

/// What an import did.
public struct ImportSummary: Hashable, Sendable {
    /// Serials recorded by this import.
    public let added: [MeterSerial]
    /// Serials the ledger already held with the same key.
    public let unchanged: [MeterSerial]
}

extension MeterSerial {
    /// The serial as the ledger keys it and as MeterLoggerWeb's `meters.serial` holds it: the
    /// firmware's `%07u` (zero-padded to 7 digits), so that "12345" and "0012345", which
    /// name the same meter, share one row and one key.
    public var ledgerText: String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }
}
