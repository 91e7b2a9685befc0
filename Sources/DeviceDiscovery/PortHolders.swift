#if canImport(Glibc)
import Glibc
#endif

/// A process that has a port open.
public struct PortHolder: Sendable, Hashable, Codable {
    public var pid: Int32
    /// The process's command name (`/proc/<pid>/comm`), e.g. `ModemManager`, `screen`.
    public var command: String

    public init(pid: Int32, command: String) {
        self.pid = pid
        self.command = command
    }
}

/// Finds which processes hold ports open by reading `/proc/<pid>/fd/*` links, without
/// opening the ports (opening a tty raises DTR/RTS, which can reset an ESP8266 board).
/// Without root only the user's own processes can be seen.
public struct PortHolders: Sendable {
    public var paths: SystemPaths

    public init(paths: SystemPaths = .system) {
        self.paths = paths
    }

    /// The processes (other than this one) holding each of `devicePaths` (keys only for
    /// ports that are held). An open file matches a port when both name the same node
    /// (same device and inode): `/proc/<pid>/fd/N` is stat'ed, which follows the link, so
    /// by-path names and umockdev's testbed paths match too. (realpath is not used: under
    /// umockdev 0.17.16 it corrupts the heap for /dev paths.)
    public func holders(of devicePaths: [String]) -> [String: [PortHolder]] {
        var wanted: [FileIdentity: String] = [:]
        for path in devicePaths {
            if let identity = FileIdentity(path: path) { wanted[identity] = path }
        }
        guard !wanted.isEmpty else { return [:] }
        let me = getpid()
        var found: [String: [PortHolder]] = [:]
        for entry in FileProbe.entries(paths.procRoot) {
            guard let pid = Int32(entry), pid != me else { continue }
            let fdFolder = paths.procRoot + "/" + entry + "/fd"
            var held: Set<String> = []
            for fd in FileProbe.entries(fdFolder) {
                if let identity = FileIdentity(path: fdFolder + "/" + fd), let port = wanted[identity] { held.insert(port) }
            }
            guard !held.isEmpty else { continue }
            let command = FileProbe.text(paths.procRoot + "/" + entry + "/comm") ?? "?"
            for port in held { found[port, default: []].append(PortHolder(pid: pid, command: command)) }
        }
        return found.mapValues { $0.sorted { $0.pid < $1.pid } }
    }
}

/// A file node's identity: the device it lives on and its inode.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    /// stat(2) of `path` (links followed); nil when it does not exist.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// The processes running, by command name (`/proc/<pid>/comm`).
public struct ProcessTable: Sendable {
    public var paths: SystemPaths

    public init(paths: SystemPaths = .system) {
        self.paths = paths
    }

    /// Every process whose command name is `command`.
    public func processes(named command: String) -> [PortHolder] {
        FileProbe.entries(paths.procRoot).compactMap { entry in
            guard let pid = Int32(entry), FileProbe.text(paths.procRoot + "/" + entry + "/comm") == command else { return nil }
            return PortHolder(pid: pid, command: command)
        }.sorted { $0.pid < $1.pid }
    }
}
