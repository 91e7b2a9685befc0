#if canImport(Glibc)
import Glibc
#endif

/// Writes a file whole or not at all: the content goes to a fresh temporary file beside the
/// target (`.<name>.XXXXXX`, created 0600 with O_EXCL by mkstemp, so nothing planted in the
/// folder is ever opened, followed or truncated), gets its mode, is synced to disk, and is
/// renamed over the target. The target is never half written and never briefly readable by
/// others; an existing file with a wider mode is replaced, not reused.
public enum AtomicFile {
    /// Private to its owner: keys, passwords.
    public static let privateMode: mode_t = 0o600

    /// Writes `bytes` to `path` with `mode` (set explicitly; the umask does not narrow it).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = privateMode) throws(AtomicFileError) {
        let temporary = try stage(bytes, besides: path, mode: mode)
        try commit(temporary, to: path)
    }

    /// Writes `text` as UTF-8 to `path` with `mode`.
    public static func write(_ text: String, to path: String, mode: mode_t = privateMode) throws(AtomicFileError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// The first half of `write`, for several files that must all be written before any is
    /// put in place: writes the temporary file beside `target` and returns its path. Rename
    /// it with `commit`, or `unlink` it.
    public static func stage(_ bytes: [UInt8], besides target: String, mode: mode_t) throws(AtomicFileError) -> String {
        let slash = target.lastIndex(of: "/")
        let folder = slash.map { String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        var template = Array(((folder.isEmpty ? "/" : folder) + "/." + name + ".XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard descriptor >= 0 else { throw AtomicFileError(path: target, reason: errnoText(errno)) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let failure = fill(descriptor, with: bytes, mode: mode)
        close(descriptor)
        if failure != 0 {
            unlink(temporary)
            throw AtomicFileError(path: target, reason: errnoText(failure))
        }
        return temporary
    }

    /// The second half of `write`: renames a staged file over `target` (removes it if that
    /// fails).
    public static func commit(_ temporary: String, to target: String) throws(AtomicFileError) {
        guard rename(temporary, target) == 0 else {
            let reason = errnoText(errno)
            unlink(temporary)
            throw AtomicFileError(path: target, reason: reason)
        }
    }

    /// fsync of a folder, so that renames into it survive a crash (best effort).
    public static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Writes all of `bytes`, sets `mode` and syncs; 0 or the errno of the first failure.
    private static func fill(_ descriptor: Int32, with bytes: [UInt8], mode: mode_t) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        if fchmod(descriptor, mode) != 0 { return errno }
        if fsync(descriptor) != 0 { return errno }
        return 0
    }

    private static func errnoText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// Why a file could not be written: its path and the system's reason.
public struct AtomicFileError: ReportableError, Equatable {
    public let path: String
    public let reason: String

    public var description: String { "cannot write \(path): \(reason)" }
    public var help: String? { "check that the folder exists and that you may write to it" }
}
