import GRDB

/// The ledger's tables, built by GRDB migrations (append a migration; never edit one that
/// has shipped: ledgers in the field already ran it).
///
/// `devices`: one row per meter serial, holding its key. Triggers keep a recorded key from
/// ever changing and a row from ever being deleted (retire it instead).
/// `events`: append-only history (triggers refuse UPDATE and DELETE) of who did what to
/// which serial's key, so that who got which key can be traced.
/// `assignments` (v2): which board (MAC, chip id) a flashing station tied to which serial,
/// and how far it got (see `StationAssignmentSchema`).
enum LedgerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: devices and events") { db in
            try db.execute(sql: """
                CREATE TABLE devices (
                    serial TEXT NOT NULL PRIMARY KEY
                        CHECK (length(serial) BETWEEN 7 AND 10 AND serial NOT GLOB '*[^0-9]*'),
                    "key" TEXT NOT NULL
                        CHECK (length("key") = 32 AND "key" NOT GLOB '*[^0-9a-f]*'),
                    origin TEXT NOT NULL CHECK (origin IN ('generated', 'profile', 'imported')),
                    status TEXT NOT NULL DEFAULT 'generated'
                        CHECK (status IN ('generated', 'flashed', 'commissioned', 'retired')),
                    installation TEXT,
                    created_at TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    flashed_at TEXT,
                    commissioned_at TEXT,
                    retired_at TEXT,
                    mac TEXT,
                    chip_id TEXT
                );

                CREATE TRIGGER devices_key_is_permanent BEFORE UPDATE OF serial, "key" ON devices
                BEGIN
                    SELECT RAISE(ABORT, 'a recorded key never changes');
                END;

                CREATE TRIGGER devices_are_never_deleted BEFORE DELETE ON devices
                BEGIN
                    SELECT RAISE(ABORT, 'ledger rows are never deleted: retire the device instead');
                END;

                CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    serial TEXT,
                    at TEXT NOT NULL,
                    who TEXT NOT NULL,
                    what TEXT NOT NULL,
                    detail TEXT NOT NULL DEFAULT ''
                );

                CREATE INDEX events_by_serial ON events (serial, id);

                CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                BEGIN
                    SELECT RAISE(ABORT, 'the events table is append-only');
                END;

                CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                BEGIN
                    SELECT RAISE(ABORT, 'the events table is append-only');
                END;
                """)
        }
        migrator.registerMigration("v2: station assignments") { db in
            try db.execute(sql: StationAssignmentSchema.v2)
        }
        return migrator
    }
}
