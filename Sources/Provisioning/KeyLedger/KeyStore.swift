import Foundation
import GRDB
import MeterLogger

/// The key ledger: every board's key, in an SQLite file (mode 0600, folder 0700) that
/// outlives any crash, with an append-only history of who did what to which key.
///
/// The rule it exists for: a key is recorded in a committed transaction before it is
/// returned for use anywhere. A board flashed with a key the ledger lost could never be
/// read again; a key the ledger holds but no board carries costs nothing.
///
/// Every method runs one IMMEDIATE transaction (SQLite's write lock taken at BEGIN), so
/// concurrent callers, in this process or in others on the same file, see each other's
/// committed rows and never hand out two keys for one serial. Methods block while SQLite
/// waits for another writer (up to `busyTimeout`).
public final class KeyStore: Sendable {
    /// How long a call waits for another process's write transaction before failing.
    public static let busyTimeout: TimeInterval = 10

    /// The ledger file.
    public let path: String
    /// Who the ledger's rows and events name: the OS user by default.
    public let user: String
    private let database: DatabaseQueue
    private let clock: @Sendable () -> Date

    /// Opens the ledger at `path`, creating it (and its missing folders, 0700) if needed.
    /// Refuses a file that others may read.
    public init(
        path: String = LedgerLocation.defaultPath(), user: String = SystemUser.current,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(KeyStoreError) {
        self.path = path
        self.user = user
        self.clock = clock
        try LedgerLocation.makeFolder((path as NSString).deletingLastPathComponent)
        try LedgerLocation.makePrivateFile(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.label = "mlprov key ledger"
        configuration.prepareDatabase { db in
            // FULL: a commit is on disk when it returns, so a recorded key survives power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try LedgerSchema.migrator.migrate(database)
        } catch {
            throw Self.translate(error, path: path)
        }
        LedgerLocation.narrowSideFiles(of: path)
    }

    // MARK: Keys

    /// The key recorded for `serial`; when there is none and `generateIfMissing`, a fresh
    /// one from OpenSSL's CSPRNG, recorded (with `installation`) and committed before it is
    /// returned. Two callers asking for the same serial at once get the same key.
    public func key(for serial: MeterSerial, installation: String? = nil, generateIfMissing: Bool = true) throws(KeyStoreError) -> DeviceKey {
        try issueKey(for: serial, installation: installation, generateIfMissing: generateIfMissing).key
    }

    /// As `key(for:installation:generateIfMissing:)`, also telling whether the key was
    /// generated now or already recorded.
    public func issueKey(for serial: MeterSerial, installation: String? = nil, generateIfMissing: Bool = true) throws(KeyStoreError) -> IssuedKey {
        // Drawn before the transaction so that the write lock is held only for SQL; unused
        // when the serial already has a key.
        let candidate = generateIfMissing ? try DeviceKey.random() : nil
        return try transaction { db in
            let now = self.timestamp()
            if let candidate {
                let inserted = try self.insert(db, serial: serial, key: candidate, origin: .generated, installation: installation, source: "a generated key", at: now)
                if inserted {
                    try self.log(db, serial.ledgerText, .generated, installation.map { "installation \($0)" } ?? "", at: now)
                    return IssuedKey(serial: serial, key: candidate, outcome: .generated)
                }
            }
            guard let recorded = try self.recordedKey(db, serial) else { throw KeyStoreError.unknownSerial(serial.ledgerText) }
            try self.log(db, serial.ledgerText, .issued, "", at: now)
            return IssuedKey(serial: serial, key: recorded, outcome: .existing)
        }
    }

    /// Records `key` for `serial` unless the ledger already holds one; refuses (naming the
    /// serial and `source`, never a key) when the ledger's key differs. `source` says where
    /// the key comes from, e.g. a profile's file name.
    public func record(_ key: DeviceKey, for serial: MeterSerial, installation: String? = nil, source: String) throws(KeyStoreError) -> IssuedKey {
        try transaction { db in
            let now = self.timestamp()
            if try self.insert(db, serial: serial, key: key, origin: .profile, installation: installation, source: source, at: now) {
                try self.log(db, serial.ledgerText, .recorded, "from \(source)", at: now)
                return IssuedKey(serial: serial, key: key, outcome: .recorded)
            }
            guard try self.recordedKey(db, serial) == key else {
                throw KeyStoreError.keyConflict(serial: serial.ledgerText, source: source)
            }
            try self.log(db, serial.ledgerText, .issued, "matches \(source)", at: now)
            return IssuedKey(serial: serial, key: key, outcome: .existing)
        }
    }

    // MARK: Status

    /// Notes that a board was flashed with the serial's key, with the board's identity when
    /// known (a MAC or chip id already recorded is kept when nil is passed).
    public func markFlashed(serial: MeterSerial, mac: String? = nil, chipID: String? = nil) throws(KeyStoreError) {
        try transaction { db in
            let now = self.timestamp()
            try self.update(db, serial, sql: """
                UPDATE devices SET status = 'flashed', flashed_at = ?, mac = coalesce(?, mac), chip_id = coalesce(?, chip_id)
                WHERE serial = ?
                """, arguments: [now, mac, chipID, serial.ledgerText])
            let identity = [mac.map { "mac \($0)" }, chipID.map { "chip id \($0)" }].compactMap { $0 }.joined(separator: ", ")
            try self.log(db, serial.ledgerText, .flashed, identity, at: now)
        }
    }

    /// Notes that the board answered over MQTT with its key.
    public func markCommissioned(serial: MeterSerial) throws(KeyStoreError) {
        try setStatus(.commissioned, column: "commissioned_at", event: .commissioned, serial: serial)
    }

    /// Notes that the board left service. Its key stays: old data is read with it.
    public func retire(serial: MeterSerial) throws(KeyStoreError) {
        try setStatus(.retired, column: "retired_at", event: .retired, serial: serial)
    }

    private func setStatus(_ status: KeyStatus, column: String, event: LedgerEventKind, serial: MeterSerial) throws(KeyStoreError) {
        try transaction { db in
            let now = self.timestamp()
            try self.update(db, serial, sql: "UPDATE devices SET status = ?, \(column) = ? WHERE serial = ?",
                            arguments: [status.rawValue, now, serial.ledgerText])
            try self.log(db, serial.ledgerText, event, "", at: now)
        }
    }

    // MARK: Import and export

    /// Records `rows` in one transaction: a serial the ledger holds with the same key is
    /// left alone; one it holds with a different key (or that `rows` names twice with
    /// different keys) makes the whole import fail, naming the serials and recording
    /// nothing. `file` names the source in events and errors.
    public func importKeys(_ rows: [KeyRow], from file: String, installation: String? = nil) throws(KeyStoreError) -> ImportSummary {
        try transaction { db in
            let now = self.timestamp()
            var added: [MeterSerial] = []
            var unchanged: [MeterSerial] = []
            var conflicts: [String] = []
            for row in rows {
                if try self.insert(db, serial: row.serial, key: row.key, origin: .imported, installation: installation, source: row.source.isEmpty ? file : row.source, at: now) {
                    added.append(row.serial)
                    try self.log(db, row.serial.ledgerText, .imported, "from \(row.source.isEmpty ? file : row.source)", at: now)
                } else if try self.recordedKey(db, row.serial) == row.key {
                    unchanged.append(row.serial)
                } else if !conflicts.contains(row.serial.ledgerText) {
                    conflicts.append(row.serial.ledgerText)
                }
            }
            if !conflicts.isEmpty { throw KeyStoreError.importConflicts(file: file, serials: conflicts) }
            return ImportSummary(added: added, unchanged: unchanged)
        }
    }

    /// The serials and keys to export (all, or one installation's), in serial order. Each
    /// exported key gets an `exported` event naming `destination`, in the same transaction.
    public func exportRows(installation: String? = nil, destination: String) throws(KeyStoreError) -> [KeyRow] {
        try transaction { db in
            let now = self.timestamp()
            let rows = try Row.fetchAll(db, sql: """
                SELECT serial, "key" FROM devices WHERE ?1 IS NULL OR installation = ?1
                """, arguments: [installation])
            let keys = try rows.map { row in
                guard let serial = MeterSerial(row["serial"]), let key = DeviceKey(hex: row["key"]) else {
                    throw KeyStoreError.database(path: self.path, reason: "a row of the devices table is malformed")
                }
                return KeyRow(serial: serial, key: key)
            }.sorted { $0.serial.value < $1.serial.value }
            for row in keys { try self.log(db, row.serial.ledgerText, .exported, "to \(destination)", at: now) }
            return keys
        }
    }

    /// The ledger's keys as text for `format`; each gets an `exported` event.
    public func export(_ format: KeyExportFormat, installation: String? = nil, destination: String) throws(KeyStoreError) -> String {
        format.render(try exportRows(installation: installation, destination: destination))
    }

    // MARK: Reading (no keys)

    /// Every row (or one installation's), in serial order, without keys.
    public func entries(installation: String? = nil) throws(KeyStoreError) -> [LedgerEntry] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM devices WHERE ?1 IS NULL OR installation = ?1", arguments: [installation])
                .map { try self.entry($0) }
                .sorted { $0.serial.value < $1.serial.value }
        }
    }

    /// The row of `serial`, without its key; nil when the ledger has none.
    public func entry(for serial: MeterSerial) throws(KeyStoreError) -> LedgerEntry? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.entryColumns) FROM devices WHERE serial = ?", arguments: [serial.ledgerText]).map { try self.entry($0) }
        }
    }

    /// The history, oldest first: all of it, or one serial's.
    public func events(serial: MeterSerial? = nil) throws(KeyStoreError) -> [LedgerEvent] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE ?1 IS NULL OR serial = ?1 ORDER BY id",
                             arguments: [serial?.ledgerText]).map { row in
                guard let at = Self.date(row["at"]), let what = LedgerEventKind(rawValue: row["what"]) else {
                    throw KeyStoreError.database(path: self.path, reason: "event \(row["id"] as Int64) is malformed")
                }
                return LedgerEvent(id: row["id"], serial: row["serial"], at: at, who: row["who"], what: what, detail: row["detail"])
            }
        }
    }

    // MARK: SQL helpers (internal: the station's ledger extension, KeyStore+Station.swift, uses them)

    /// INSERT … ON CONFLICT DO NOTHING; true when the row is new. Throws `keyShared` when
    /// another serial holds `key` already (`source` names where the key came from).
    func insert(
        _ db: Database, serial: MeterSerial, key: DeviceKey, origin: KeyOrigin, installation: String?, source: String, at now: String
    ) throws -> Bool {
        if let holder = try String.fetchOne(db, sql: #"SELECT serial FROM devices WHERE "key" = ? AND serial <> ?"#,
                                            arguments: [key.hex, serial.ledgerText]) {
            throw KeyStoreError.keyShared(serial: serial.ledgerText, holder: holder, source: source)
        }
        try db.execute(sql: """
            INSERT INTO devices (serial, "key", origin, status, installation, created_at, created_by)
            VALUES (?, ?, ?, 'generated', ?, ?, ?)
            ON CONFLICT (serial) DO NOTHING
            """, arguments: [serial.ledgerText, key.hex, origin.rawValue, installation, now, user])
        return db.changesCount == 1
    }

    func recordedKey(_ db: Database, _ serial: MeterSerial) throws -> DeviceKey? {
        guard let hex = try String.fetchOne(db, sql: #"SELECT "key" FROM devices WHERE serial = ?"#, arguments: [serial.ledgerText]) else {
            return nil
        }
        guard let key = DeviceKey(hex: hex) else {
            throw KeyStoreError.database(path: path, reason: "the key recorded for serial \(serial.ledgerText) is malformed")
        }
        return key
    }

    func update(_ db: Database, _ serial: MeterSerial, sql: String, arguments: StatementArguments) throws {
        try db.execute(sql: sql, arguments: arguments)
        if db.changesCount == 0 { throw KeyStoreError.unknownSerial(serial.ledgerText) }
    }

    func log(_ db: Database, _ serial: String?, _ what: LedgerEventKind, _ detail: String, at now: String) throws {
        try db.execute(sql: "INSERT INTO events (serial, at, who, what, detail) VALUES (?, ?, ?, ?, ?)",
                       arguments: [serial, now, user, what.rawValue, detail])
    }

    /// Every column but the key: listings never read it.
    private static let entryColumns = """
        serial, origin, status, installation, created_at, created_by, flashed_at, commissioned_at, retired_at, mac, chip_id
        """

    private func entry(_ row: Row) throws -> LedgerEntry {
        guard let serial = MeterSerial(row["serial"]), let status = KeyStatus(rawValue: row["status"]),
              let origin = KeyOrigin(rawValue: row["origin"]), let createdAt = Self.date(row["created_at"]) else {
            throw KeyStoreError.database(path: path, reason: "a row of the devices table is malformed")
        }
        return LedgerEntry(
            serial: serial, status: status, origin: origin, installation: row["installation"],
            createdAt: createdAt, createdBy: row["created_by"],
            flashedAt: Self.date(row["flashed_at"]), commissionedAt: Self.date(row["commissioned_at"]),
            retiredAt: Self.date(row["retired_at"]), mac: row["mac"], chipID: row["chip_id"])
    }

    // MARK: Transactions and errors

    /// Runs `body` in one IMMEDIATE transaction, committed when it returns.
    func transaction<T>(_ body: (Database) throws -> T) throws(KeyStoreError) -> T {
        do {
            var result: T?
            try database.inTransaction(.immediate) { db in
                result = try body(db)
                return .commit
            }
            LedgerLocation.narrowSideFiles(of: path)
            guard let result else { throw KeyStoreError.database(path: path, reason: "the transaction returned nothing") }
            return result
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    func reading<T>(_ body: (Database) throws -> T) throws(KeyStoreError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// A library error, worded without the SQL or its arguments (which may hold keys).
    private static func translate(_ error: any Error, path: String) -> KeyStoreError {
        switch error {
        case let error as KeyStoreError: error
        case let error as DatabaseError: .database(path: path, reason: error.message ?? "SQLite error \(error.resultCode.rawValue)")
        default: .database(path: path, reason: String(describing: type(of: error)))
        }
    }

    func timestamp() -> String {
        clock().formatted(Self.timeFormat)
    }

    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: TimeZone(identifier: "UTC") ?? .current)

    static func date(_ text: String?) -> Date? {
        text.flatMap { try? timeFormat.parse($0) }
    }
}
