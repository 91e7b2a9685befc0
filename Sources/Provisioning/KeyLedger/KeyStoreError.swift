import Basics
/// What can go wrong with the key ledger. No case carries a key, and no description
/// repeats one: a conflict names the serial, never either key.
public enum KeyStoreError: ReportableError, Hashable, Sendable, CustomStringConvertible {
    /// The ledger's folder could not be made.
    case cannotCreateFolder(path: String, reason: String)
    /// The ledger file could not be created or opened.
    case cannotOpen(path: String, reason: String)
    /// The ledger file exists but others may read it (`mode` in octal, e.g. "644").
    case exposedLedger(path: String, mode: String)
    /// SQLite refused a statement (locked, full disk, not a database…).
    case database(path: String, reason: String)
    /// OpenSSL's random generator did not deliver.
    case randomSourceFailed
    /// The ledger has no key for this serial.
    case unknownSerial(String)
    /// The ledger already holds a different key for this serial than `source` gives.
    case keyConflict(serial: String, source: String)
    /// The key given for `serial` is already the key of `holder`: one key on two boards
    /// would let each read and forge the other's messages.
    case keyShared(serial: String, holder: String, source: String)
    /// An import file's line is not `serial,key`.
    case importSyntax(file: String, line: Int, problem: String)
    /// An import that would change keys the ledger holds; nothing was imported.
    case importConflicts(file: String, serials: [String])
    /// A file holding keys could not be written.
    case cannotWrite(path: String, reason: String)
    /// A station was asked for a serial whose board is already provisioned.
    case alreadyProvisioned(serial: String, mac: String)
    /// The board (by MAC) is tied to another serial that is not finished.
    case boardTaken(mac: String, serial: String)
    /// Another board (`mac`) is being worked on as this serial right now.
    case serialInProgress(serial: String, mac: String)
    /// The serial was moved to another board (`mac`) while this board worked on it.
    case takenOver(serial: String, mac: String)

    public var description: String {
        switch self {
        case .cannotCreateFolder(let path, let reason):
            "cannot create the key ledger's folder \(path): \(reason)"
        case .cannotOpen(let path, let reason):
            "cannot open the key ledger \(path): \(reason)"
        case .exposedLedger(let path, let mode):
            "the key ledger \(path) can be read by others (mode \(mode))"
        case .database(let path, let reason):
            "the key ledger \(path) failed: \(reason)"
        case .randomSourceFailed:
            "OpenSSL's random generator (RAND_bytes) failed to make a key"
        case .unknownSerial(let serial):
            "the key ledger has no key for serial \(serial)"
        case .keyConflict(let serial, let source):
            "the key ledger already holds a different key for serial \(serial) than \(source) gives"
        case .keyShared(let serial, let holder, let source):
            "\(source) gives serial \(serial) the key the ledger already holds for serial \(holder); nothing was recorded"
        case .importSyntax(let file, let line, let problem):
            "\(file):\(line): \(problem)"
        case .importConflicts(let file, let serials):
            "\(file) has keys that differ from the ledger's for serial\(serials.count == 1 ? "" : "s") "
                + serials.joined(separator: ", ") + "; nothing was imported"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)"
        case .alreadyProvisioned(let serial, let mac):
            "serial \(serial) is already provisioned, on the board with MAC \(mac)"
        case .boardTaken(let mac, let serial):
            "the board with MAC \(mac) is already being provisioned as serial \(serial)"
        case .serialInProgress(let serial, let mac):
            "serial \(serial) is being provisioned on the board with MAC \(mac)"
        case .takenOver(let serial, let mac):
            "serial \(serial) was moved to the board with MAC \(mac) meanwhile; this board's work on it was not recorded"
        }
    }

    /// What to try next.
    public var help: String? {
        switch self {
        case .cannotCreateFolder:
            "check that the parent folder exists and is writable, or pass --ledger PATH"
        case .cannotOpen:
            "check the path and its permissions, or pass --ledger PATH"
        case .exposedLedger(let path, _):
            "the ledger holds every board's key: run `chmod 600 \(path)`"
        case .database:
            "another mlprov may hold the ledger locked; try again. If the file is damaged, restore it from a backup"
        case .randomSourceFailed:
            "check that libcrypto can read the system's entropy source (/dev/urandom, getrandom)"
        case .unknownSerial:
            "generate one with `mlprov keys generate --serial S`, or import it with `mlprov keys import FILE.csv`"
        case .keyConflict:
            "a board flashed with a key can only be read with that key: find out which key the board carries "
                + "before changing either; `mlprov keys export --csv` shows the ledger's"
        case .keyShared:
            "every board needs a key of its own: generate one (key: generate) or give the right key for one of the two serials"
        case .importSyntax:
            "each line is `serial,key`: a decimal serial and 32 hex characters; a first line `serial,key` is a header"
        case .importConflicts:
            "remove those lines from the file, or find out which key each board carries before importing"
        case .cannotWrite:
            "check the folder exists and is writable"
        case .alreadyProvisioned:
            "give the serial of a meter whose board is not provisioned yet; `mlprov ledger export --csv` lists them"
        case .boardTaken(_, let serial):
            "this board continues as \(serial) when it is flashed again; give that serial, or use another board"
        case .serialInProgress:
            "wait until that board is done or failed, or give another serial"
        case .takenOver:
            "re-plug this board to give it a serial of its own"
        }
    }
}
