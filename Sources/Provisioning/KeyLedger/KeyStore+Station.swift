import Foundation
import GRDB
import MeterLogger

/// The flashing station's side of the ledger: tying boards to devices atomically, so that
/// two slots never get the same device, a board never gets two, and every key is recorded
/// (with the board's MAC and chip id) in the same committed transaction, before flashing.
extension KeyStore {
    /// The device for `board`: the one it is already tied to (resumed, or finished when
    /// provisioned), else the first of `candidates` that no board is tied to and that was
    /// not flashed outside a station, tied to `board` now with its key recorded (a given
    /// key is recorded or checked, `key: generate` gets a fresh one). `.exhausted` when no
    /// candidate is left. One IMMEDIATE transaction: concurrent stations on the same ledger
    /// see each other's claims.
    public func claimNextDevice(
        for board: BoardIdentity, slot: String, candidates: [Device], installation: String?, source: String
    ) throws(KeyStoreError) -> StationClaim {
        let fresh = try DeviceKey.random()
        return try transaction { db in
            let now = self.timestamp()
            if let known = try self.assignment(db, mac: board.mac) {
                return try self.takeUp(db, known, board: board, slot: slot, at: now)
            }
            for device in candidates {
                let serial = device.serial.ledgerText
                if try self.assignment(db, serial: serial) != nil { continue }
                let status = try String.fetchOne(db, sql: "SELECT status FROM devices WHERE serial = ?", arguments: [serial])
                if let status, status != KeyStatus.generated.rawValue { continue }
                return try self.tie(db, device, to: board, slot: slot, installation: installation, source: source, fresh: fresh, at: now)
            }
            return StationClaim.exhausted
        }
    }

    /// Ties `board` to `device`, a serial the technician gave. Resumes when the board is
    /// already this device's; refuses when the board is tied to another unfinished serial
    /// (`boardTaken`), the serial is provisioned on another board (`alreadyProvisioned`) or
    /// another board is still being worked on as it (`serialInProgress`). A serial whose
    /// board failed is moved to this board: its times are reset, the device row names the
    /// new board, and a key the profile gives must be the one recorded.
    public func claim(
        _ device: Device, for board: BoardIdentity, slot: String, installation: String?, source: String
    ) throws(KeyStoreError) -> StationClaim {
        let fresh = try DeviceKey.random()
        return try transaction { db in
            let now = self.timestamp()
            let serial = device.serial.ledgerText
            if let known = try self.assignment(db, mac: board.mac) {
                if known.serial.ledgerText == serial { return try self.takeUp(db, known, board: board, slot: slot, at: now) }
                if known.state.isFinished { throw KeyStoreError.alreadyProvisioned(serial: known.serial.ledgerText, mac: board.mac) }
                throw KeyStoreError.boardTaken(mac: board.mac, serial: known.serial.ledgerText)
            }
            guard let other = try self.assignment(db, serial: serial) else {
                return try self.tie(db, device, to: board, slot: slot, installation: installation, source: source, fresh: fresh, at: now)
            }
            switch other.state {
            case .provisioned: throw KeyStoreError.alreadyProvisioned(serial: serial, mac: other.board.mac)
            case .assigned, .flashed: throw KeyStoreError.serialInProgress(serial: serial, mac: other.board.mac)
            case .failed: break
            }
            guard let key = try self.recordedKey(db, device.serial) else { throw KeyStoreError.unknownSerial(serial) }
            if case .given(let given) = device.key, given != key { throw KeyStoreError.keyConflict(serial: serial, source: source) }
            try db.execute(sql: """
                UPDATE assignments SET mac = ?, chip_id = ?, slot = ?, state = 'assigned', result = '',
                    flashed_at = NULL, provisioned_at = NULL, updated_at = ?
                WHERE serial = ? AND mac = ? AND state = 'failed'
                """, arguments: [board.mac, board.chipID, slot, now, serial, other.board.mac])
            try db.execute(sql: "UPDATE devices SET mac = ?, chip_id = ? WHERE serial = ? AND mac IS NOT NULL",
                           arguments: [board.mac, board.chipID, serial])
            try self.log(db, serial, .assigned, "moved from board \(other.board.mac) to \(board), slot \(slot)", at: now)
            guard let moved = try self.assignment(db, serial: serial) else {
                throw KeyStoreError.database(path: self.path, reason: "the assignment of \(serial) vanished")
            }
            return StationClaim.claimed(moved, IssuedKey(serial: device.serial, key: key, outcome: .existing))
        }
    }

    /// `board`'s firmware is written: the assignment and the device row say so. Throws
    /// `takenOver` (changing nothing) when the serial is no longer tied to `board`.
    public func markAssignmentFlashed(serial: MeterSerial, board: BoardIdentity) throws(KeyStoreError) {
        try transaction { db in
            let now = self.timestamp()
            try self.updateAssignment(db, serial, board: board, sql: """
                UPDATE assignments SET state = 'flashed', flashed_at = ?, result = '', updated_at = ?
                WHERE serial = ? AND mac = ?
                """, arguments: [now, now, serial.ledgerText, board.mac])
            try self.update(db, serial, sql: """
                UPDATE devices SET status = 'flashed', flashed_at = ?, mac = ?, chip_id = ? WHERE serial = ?
                """, arguments: [now, board.mac, board.chipID, serial.ledgerText])
            try self.log(db, serial.ledgerText, .flashed, "\(board)", at: now)
        }
    }

    /// The station finished `board` as `serial`; `commissioned` when it also passed
    /// commissioning. Throws `takenOver` when the serial is no longer tied to `board`.
    public func markProvisioned(serial: MeterSerial, board: BoardIdentity, commissioned: Bool) throws(KeyStoreError) {
        try transaction { db in
            let now = self.timestamp()
            try self.updateAssignment(db, serial, board: board, sql: """
                UPDATE assignments SET state = 'provisioned', provisioned_at = ?, result = 'ok', updated_at = ?
                WHERE serial = ? AND mac = ?
                """, arguments: [now, now, serial.ledgerText, board.mac])
            if commissioned {
                try self.update(db, serial, sql: "UPDATE devices SET status = 'commissioned', commissioned_at = ? WHERE serial = ?",
                                arguments: [now, serial.ledgerText])
                try self.log(db, serial.ledgerText, .commissioned, "", at: now)
            }
            try self.log(db, serial.ledgerText, .provisioned, "", at: now)
        }
    }

    /// The station's attempt on `board` as `serial` failed; `reason` (never a key) is kept
    /// as the result. Nothing changes when the board is already provisioned; throws
    /// `takenOver` when the serial is no longer tied to `board`.
    public func markAssignmentFailed(serial: MeterSerial, board: BoardIdentity, reason: String) throws(KeyStoreError) {
        try transaction { db in
            let now = self.timestamp()
            try db.execute(sql: """
                UPDATE assignments SET state = 'failed', result = ?, updated_at = ?
                WHERE serial = ? AND mac = ? AND state <> 'provisioned'
                """, arguments: [reason, now, serial.ledgerText, board.mac])
            if db.changesCount == 0 {
                try self.checkStillTied(db, serial, board: board)
                return
            }
            try self.log(db, serial.ledgerText, .failed, reason, at: now)
        }
    }

    /// Every assignment (or one installation's), in serial order.
    public func assignments(installation: String? = nil) throws(KeyStoreError) -> [StationAssignment] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM assignments WHERE ?1 IS NULL OR installation = ?1", arguments: [installation])
                .map { try self.assignment($0) }
                .sorted { $0.serial.value < $1.serial.value }
        }
    }

    /// One line per device of the ledger (or of one installation), with its board. With
    /// `includeKeys`, each key is read and gets an `exported` event naming `destination`.
    public func deviceReport(installation: String? = nil, includeKeys: Bool, destination: String) throws(KeyStoreError) -> [LedgerDeviceReport] {
        let entries = try entries(installation: installation)
        let boards = try Dictionary(assignments().map { ($0.serial.ledgerText, $0) }, uniquingKeysWith: { first, _ in first })
        var keys: [String: DeviceKey] = [:]
        if includeKeys {
            for row in try exportRows(installation: installation, destination: destination) { keys[row.serial.ledgerText] = row.key }
        }
        return entries.map { entry in
            LedgerDeviceReport(entry: entry, assignment: boards[entry.serial.ledgerText], key: keys[entry.serial.ledgerText])
        }
    }

    // MARK: Inside a transaction

    /// Takes up a board the ledger already knows: finished, or resumed with its key.
    private func takeUp(_ db: Database, _ known: StationAssignment, board: BoardIdentity, slot: String, at now: String) throws -> StationClaim {
        if known.state.isFinished { return .finished(known) }
        // A failed row is being worked on again; a flashed one keeps saying its firmware is on.
        try db.execute(sql: """
            UPDATE assignments SET chip_id = ?, slot = ?, state = CASE state WHEN 'flashed' THEN 'flashed' ELSE 'assigned' END,
                result = '', updated_at = ?
            WHERE serial = ? AND mac = ?
            """, arguments: [board.chipID, slot, now, known.serial.ledgerText, board.mac])
        guard let key = try recordedKey(db, known.serial) else { throw KeyStoreError.unknownSerial(known.serial.ledgerText) }
        try log(db, known.serial.ledgerText, .assigned, "resumed on \(board), slot \(slot)", at: now)
        let updated = try assignment(db, serial: known.serial.ledgerText) ?? known
        return .resumed(updated, IssuedKey(serial: known.serial, key: key, outcome: .existing))
    }

    /// Records `device`'s key (given: recorded or checked; generate: `fresh` unless one is
    /// recorded) and ties it to `board`.
    private func tie(
        _ db: Database, _ device: Device, to board: BoardIdentity, slot: String, installation: String?, source: String,
        fresh: DeviceKey, at now: String
    ) throws -> StationClaim {
        let serial = device.serial
        let issued: IssuedKey
        switch device.key {
        case .given(let key):
            if try insert(db, serial: serial, key: key, origin: .profile, installation: installation, source: source, at: now) {
                try log(db, serial.ledgerText, .recorded, "from \(source)", at: now)
                issued = IssuedKey(serial: serial, key: key, outcome: .recorded)
            } else {
                guard try recordedKey(db, serial) == key else { throw KeyStoreError.keyConflict(serial: serial.ledgerText, source: source) }
                issued = IssuedKey(serial: serial, key: key, outcome: .existing)
            }
        case .generate:
            if try insert(db, serial: serial, key: fresh, origin: .generated, installation: installation, source: "a generated key", at: now) {
                try log(db, serial.ledgerText, .generated, installation.map { "installation \($0)" } ?? "", at: now)
                issued = IssuedKey(serial: serial, key: fresh, outcome: .generated)
            } else {
                guard let recorded = try recordedKey(db, serial) else { throw KeyStoreError.unknownSerial(serial.ledgerText) }
                issued = IssuedKey(serial: serial, key: recorded, outcome: .existing)
            }
        }
        try db.execute(sql: """
            INSERT INTO assignments (serial, installation, mac, chip_id, slot, state, assigned_at, assigned_by, updated_at)
            VALUES (?, ?, ?, ?, ?, 'assigned', ?, ?, ?)
            """, arguments: [serial.ledgerText, installation, board.mac, board.chipID, slot, now, user, now])
        try log(db, serial.ledgerText, .assigned, "\(board), slot \(slot)", at: now)
        guard let row = try assignment(db, serial: serial.ledgerText) else {
            throw KeyStoreError.database(path: path, reason: "the assignment of \(serial.ledgerText) was not stored")
        }
        return .claimed(row, issued)
    }

    /// Runs an UPDATE of `serial`'s assignment that matches `board`'s MAC too; when it
    /// changed nothing, says why (another board took the serial over, or it has none).
    private func updateAssignment(_ db: Database, _ serial: MeterSerial, board: BoardIdentity, sql: String, arguments: StatementArguments) throws {
        try db.execute(sql: sql, arguments: arguments)
        if db.changesCount == 0 { try checkStillTied(db, serial, board: board) }
    }

    /// Throws `takenOver` when `serial`'s assignment is on another board than `board`,
    /// `unknownSerial` when it has none.
    private func checkStillTied(_ db: Database, _ serial: MeterSerial, board: BoardIdentity) throws {
        guard let row = try assignment(db, serial: serial.ledgerText) else { throw KeyStoreError.unknownSerial(serial.ledgerText) }
        if row.board.mac != board.mac { throw KeyStoreError.takenOver(serial: serial.ledgerText, mac: row.board.mac) }
    }

    private func assignment(_ db: Database, mac: String) throws -> StationAssignment? {
        try Row.fetchOne(db, sql: "SELECT * FROM assignments WHERE mac = ?", arguments: [mac.lowercased()]).map { try assignment($0) }
    }

    private func assignment(_ db: Database, serial: String) throws -> StationAssignment? {
        try Row.fetchOne(db, sql: "SELECT * FROM assignments WHERE serial = ?", arguments: [serial]).map { try assignment($0) }
    }

    private func assignment(_ row: Row) throws -> StationAssignment {
        guard let serial = MeterSerial(row["serial"]), let state = AssignmentState(rawValue: row["state"]),
              let assignedAt = Self.date(row["assigned_at"]) else {
            throw KeyStoreError.database(path: path, reason: "a row of the assignments table is malformed")
        }
        return StationAssignment(
            serial: serial, installation: row["installation"], board: BoardIdentity(mac: row["mac"], chipID: row["chip_id"]),
            slot: row["slot"], state: state, result: row["result"], assignedAt: assignedAt, assignedBy: row["assigned_by"],
            flashedAt: Self.date(row["flashed_at"]), provisionedAt: Self.date(row["provisioned_at"]))
    }
}
