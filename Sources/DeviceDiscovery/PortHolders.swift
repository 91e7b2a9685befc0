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

/// What a look through `/proc` found: the holders of each port, and how many processes'
/// open files could not be read (without root, those of other users, e.g. ModemManager's).
public struct PortHolderScan: Sendable, Hashable {
    /// The processes (other than this one) holding each port (keys only for held ports).
    public var holders: [String: [PortHolder]]
    /// Processes whose `/proc/<pid>/fd` could not be read: any of them may hold a port.
    public var unreadableProcesses: Int

    public init(holders: [String: [PortHolder]] = [:], unreadableProcesses: Int = 0) {
        self.holders = holders
        self.unreadableProcesses = unreadableProcesses
    }
}

/// Finds which processes hold ports open by reading `/proc/<pid>/fd/*` links, without
/// opening the ports (opening a tty raises DTR/RTS, which can reset an ESP8266 board).
/// Without root only the user's own processes can be seen; the others are counted.
public struct PortHolders: Sendable {
    public var paths: SystemPaths

    public init(paths: SystemPaths = .system) {
        self.paths = paths
    }

    /// The processes (other than this one) holding each of `devicePaths` (keys only for
    /// ports that are held).
    public func holders(of devicePaths: [String]) -> [String: [PortHolder]] {
        scan(of: devicePaths).holders
    }

    /// The holders of each of `devicePaths` and the number of processes that could not be
    /// looked into. An open file matches a port when both name the same node (same device
    /// and inode): `/proc/<pid>/fd/N` is stat'ed, which follows the link, so by-path names
    /// and umockdev's testbed paths match too. (realpath is not used: under umockdev
    /// 0.17.16 it corrupts the heap for /dev paths.) A process that ended meanwhile
    /// (ENOENT) is not counted as unreadable.
    public func scan(of devicePaths: [String]) -> PortHolderScan {
        var wanted: [FileIdentity: String] = [:]
        for path in devicePaths {
            if let identity = FileIdentity(path: path) { wanted[identity] = path }
        }
        guard !wanted.isEmpty else { return PortHolderScan() }
        let me = getpid()
        var found: [String: [PortHolder]] = [:]
        var unreadable = 0
        for entry in FileProbe.entries(paths.procRoot) {
            guard let pid = Int32(entry), pid != me else { continue }
            let fdFolder = paths.procRoot + "/" + entry + "/fd"
            let fds: [String]
            switch FileProbe.listing(fdFolder) {
            case .success(let names): fds = names
            case .failure(let error):
                if error.code != ENOENT { unreadable += 1 }
                continue
            }
            var held: Set<String> = []
            for fd in fds {
                if let identity = FileIdentity(path: fdFolder + "/" + fd), let port = wanted[identity] { held.insert(port) }
            }
            guard !held.isEmpty else { continue }
            let command = FileProbe.text(paths.procRoot + "/" + entry + "/comm") ?? "?"
            for port in held { found[port, default: []].append(PortHolder(pid: pid, command: command)) }
        }
        return PortHolderScan(holders: found.mapValues { $0.sorted { $0.pid < $1.pid } }, unreadableProcesses: unreadable)
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
