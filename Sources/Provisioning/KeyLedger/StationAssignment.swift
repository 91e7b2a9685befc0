import Foundation
import MeterLogger

/// A board as the flashing station identifies it before anything is written: the factory
/// MAC address and the ESP8266 chip id, both read from the ROM.
public struct BoardIdentity: Hashable, Sendable, CustomStringConvertible {
    /// `aa:bb:cc:dd:ee:ff`, lower case.
    public let mac: String
    /// e.g. `0x00a1b2c3`.
    public let chipID: String

    public init(mac: String, chipID: String) {
        self.mac = mac.lowercased()
        self.chipID = chipID
    }

    public var description: String { "MAC \(mac), chip id \(chipID)" }
}

/// How far a station got with a board (the `assignments` table's `state`).
public enum AssignmentState: String, Hashable, Sendable, Codable, CaseIterable {
    /// The board was tied to the serial and the key recorded; nothing written yet, or a
    /// write was interrupted.
    case assigned
    /// The firmware with the serial's key is on the board.
    case flashed
    /// Flashed, booted reporting its serial, wifi and commissioning done where asked.
    case provisioned
    /// The last attempt failed; `result` says why. Taken up again when the board returns.
    case failed

    /// True once nothing is left to do for the board.
    public var isFinished: Bool { self == .provisioned }
}

/// One row of the `assignments` table: which board carries which serial.
public struct StationAssignment: Hashable, Sendable {
    public let serial: MeterSerial
    public let installation: String?
    public let board: BoardIdentity
    /// The station slot (port or by-path name) the board was last seen on.
    public let slot: String
    public let state: AssignmentState
    /// Why the last attempt failed ("" otherwise). Never holds a key.
    public let result: String
    public let assignedAt: Date
    /// The OS user (technician) who ran the station that tied the board.
    public let assignedBy: String
    public let flashedAt: Date?
    public let provisionedAt: Date?
}

/// What the ledger answers a station that asks which device a board is.
public enum StationClaim: Hashable, Sendable {
    /// The board was not known: it is now tied to this device, whose key is recorded.
    case claimed(StationAssignment, IssuedKey)
    /// The board was already tied to this unfinished device: continue it (re-plug, restart).
    case resumed(StationAssignment, IssuedKey)
    /// The board is already provisioned: nothing to do.
    case finished(StationAssignment)
    /// Every candidate device is taken or provisioned.
    case exhausted
}

/// One device's line in `mlprov ledger export --csv`: its key state and its board.
public struct LedgerDeviceReport: Hashable, Sendable {
    public let entry: LedgerEntry
    public let assignment: StationAssignment?
    /// Only when the export was asked to include keys.
    public let key: DeviceKey?
}
