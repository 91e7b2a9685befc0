import Basics

/// Writes files that hold keys: created 0600 next to the target, flushed to disk, then
/// renamed over it (`AtomicFile`), so the target is never briefly readable by others and
/// never half written (an existing file with a wider mode is replaced, not reused).
public enum SecretFile {
    public static func write(_ text: String, to path: String) throws(KeyStoreError) {
        do {
            try AtomicFile.write(text, to: path, mode: LedgerLocation.fileMode)
        } catch {
            throw .cannotWrite(path: path, reason: error.reason)
        }
    }
}
