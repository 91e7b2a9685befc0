#if canImport(Glibc)
import Glibc
#endif

/// Small reads of sysfs, /dev and /proc through plain libc calls (opendir, readlink,
/// realpath, open/read), which umockdev's preload library redirects into its testbed.
enum FileProbe {
    /// The names in a directory (without `.` and `..`), sorted; empty when it cannot be read.
    static func entries(_ path: String) -> [String] {
        (try? listing(path).get()) ?? []
    }

    /// The names in a directory (without `.` and `..`), sorted, or the errno of opendir
    /// (EACCES for another user's `/proc/<pid>/fd`, ENOENT when it is gone).
    static func listing(_ path: String) -> Result<[String], Errno> {
        guard let dir = opendir(path) else { return .failure(Errno(code: errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names.sorted())
    }

    /// An errno value as an Error.
    struct Errno: Error, Equatable {
        var code: Int32
    }

    /// A small text file (a sysfs attribute), whitespace-trimmed; nil when absent or unreadable.
    static func text(_ path: String, limit: Int = 4096) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: limit)
        var count = 0
        while count < limit {
            let got = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress.map { $0 + count }, limit - count)
            }
            if got < 0, errno == EINTR { continue }
            if got <= 0 { break }
            count += got
        }
        return trimmed(String(decoding: buffer[..<count], as: UTF8.self))
    }

    /// The target of a symbolic link, as stored; nil when `path` is not a link.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` with every symbolic link resolved; nil when it does not exist. For sysfs paths
    /// only: umockdev 0.17.16's realpath corrupts the heap for /dev paths.
    static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The last component of a path or link target (`../../bus/usb/drivers/cp210x` → `cp210x`).
    static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The folder above `path` (`/a/b/c` → `/a/b`).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func trimmed(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first.isWhitespace || first == "\0" { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace || last == "\0" { scalars.removeLast() }
        return String(scalars)
    }
}
