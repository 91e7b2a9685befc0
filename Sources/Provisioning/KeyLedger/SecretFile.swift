import Foundation

/// Writes files that hold keys: created 0600 next to the target, flushed to disk, then
/// renamed over it, so the target is never briefly readable by others and never half
/// written (an existing file with a wider mode is replaced, not reused).
public enum SecretFile {
    public static func write(_ text: String, to path: String) throws(KeyStoreError) {
        let folder = (path as NSString).deletingLastPathComponent
        var template = Array(((folder.isEmpty ? "." : folder) + "/.mlprov-secret-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard descriptor >= 0 else { throw .cannotWrite(path: path, reason: errnoText()) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            try fill(descriptor, with: Array(text.utf8), path: path)
            close(descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw .cannotWrite(path: path, reason: reason)
        }
    }

    private static func fill(_ descriptor: Int32, with bytes: [UInt8], path: String) throws(KeyStoreError) {
        guard fchmod(descriptor, LedgerLocation.fileMode) == 0 else { throw .cannotWrite(path: path, reason: errnoText()) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: path, reason: errnoText())
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw .cannotWrite(path: path, reason: errnoText()) }
    }
}
