/// The ledger's `assignments` table (migration v2): one row per serial a flashing station
/// tied to a board. Keys stay in `devices` (immutable); this table only says which board
/// carries which serial and how far its provisioning got, so that a restarted station,
/// or a re-plugged board, continues where it stopped.
///
/// - `mac` is unique: one board is never tied to two serials, so two slots can never be
///   given the same device and a board never eats a second device.
/// - `state` moves assigned → flashed → provisioned; `failed` (with `result` saying why)
///   until the board is taken up again. Rows are never deleted.
enum StationAssignmentSchema {
    static let v2 = """
        CREATE TABLE assignments (
            serial TEXT NOT NULL PRIMARY KEY REFERENCES devices (serial),
            installation TEXT,
            mac TEXT NOT NULL,
            chip_id TEXT NOT NULL,
            slot TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL CHECK (state IN ('assigned', 'flashed', 'provisioned', 'failed')),
            result TEXT NOT NULL DEFAULT '',
            assigned_at TEXT NOT NULL,
            assigned_by TEXT NOT NULL,
            flashed_at TEXT,
            provisioned_at TEXT,
            updated_at TEXT NOT NULL
        );

        CREATE UNIQUE INDEX assignments_one_serial_per_board ON assignments (mac);

        CREATE TRIGGER assignments_are_never_deleted BEFORE DELETE ON assignments
        BEGIN
            SELECT RAISE(ABORT, 'station assignments are never deleted');
        END;
        """
}
