#if canImport(Glibc)
import Glibc
#endif

/// A new file's content written to a fresh temporary file beside its target, ready to be
/// renamed over it. The temporary name is unpredictable and created with O_EXCL (mkstemp),
/// so a file or symbolic link someone planted in the folder is never opened, followed or
/// truncated — which matters when root writes into a folder others can write to.
enum StagedFile {
    /// Writes `text` to `<folder of target>/.<name of target>.XXXXXX` with `mode` (set
    /// explicitly, the umask does not narrow it), synced to disk; returns its path.
    static func write(_ text: String, besides target: String, mode: mode_t) throws(DiscoveryError) -> String {
        var template = Array((FileProbe.parent(target) + "/." + FileProbe.lastComponent(target) + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .writeFailed(path: target, reason: String(cString: strerror(errno))) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let bytes = Array(text.utf8)
        var written = 0
        var failure: Int32 = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + written }, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            written += count
        }
        if failure == 0, fchmod(fd, mode) != 0 { failure = errno }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure != 0 {
            unlink(temporary)
            throw .writeFailed(path: target, reason: String(cString: strerror(failure)))
        }
        return temporary
    }

    /// fsync of a folder, so renames into it survive a crash (best effort).
    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
