import Basics
import Foundation

/// Where the ledger lives by default, and how its folder and file are made private.
public enum LedgerLocation {
    /// The ledger's file name inside `mlprov`'s data folder.
    public static let fileName = "ledger.sqlite"
    /// Folder mode: only the owner may list or enter it.
    public static let folderMode: mode_t = 0o700
    /// File mode of the ledger and every file holding keys.
    public static let fileMode: mode_t = 0o600

    /// `$XDG_DATA_HOME/mlprov/ledger.sqlite`, or `~/.local/share/mlprov/ledger.sqlite` when
    /// XDG_DATA_HOME is unset or relative (the XDG base directory spec ignores relative paths).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        UserDirectories.dataHome(environment: environment) + "/mlprov/" + fileName
    }

    /// Makes the folders of `folder` that are missing, each with mode 0700; folders that
    /// exist are left as they are.
    static func makeFolder(_ folder: String) throws(KeyStoreError) {
        var missing: [String] = []
        var current = folder
        while !current.isEmpty, current != "/", !exists(current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for path in missing.reversed() {
            if mkdir(path, folderMode) != 0, errno != EEXIST {
                throw .cannotCreateFolder(path: path, reason: errnoText())
            }
            // mkdir's mode passes through the umask; say exactly what we mean.
            if chmod(path, folderMode) != 0 { throw .cannotCreateFolder(path: path, reason: errnoText()) }
        }
    }

    /// Creates `path` empty with mode 0600 unless it exists; refuses an existing file that
    /// others may read or write.
    static func makePrivateFile(_ path: String) throws(KeyStoreError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        if descriptor >= 0 {
            defer { close(descriptor) }
            if fchmod(descriptor, fileMode) != 0 { throw .cannotOpen(path: path, reason: errnoText()) }
            return
        }
        guard errno == EEXIST else { throw .cannotOpen(path: path, reason: errnoText()) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .cannotOpen(path: path, reason: errnoText()) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        if info.st_mode & 0o077 != 0 {
            throw .exposedLedger(path: path, mode: String(info.st_mode & 0o777, radix: 8))
        }
    }

    /// Narrows SQLite's side files of `path` (rollback journal, WAL, shared memory) to 0600
    /// if any exist. SQLite creates them with the database file's mode already; this keeps
    /// that true whatever SQLite version or umask is in use.
    static func narrowSideFiles(of path: String) {
        for suffix in ["-journal", "-wal", "-shm"] where exists(path + suffix) {
            _ = chmod(path + suffix, fileMode)
        }
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

/// The text of the current `errno`.
func errnoText() -> String {
    String(cString: strerror(errno))
}
