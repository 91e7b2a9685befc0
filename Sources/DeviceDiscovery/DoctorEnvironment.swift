#if canImport(Glibc)
import Glibc
#endif

/// Everything `Doctor` looks at, injectable so tests can build a fake situation: sysfs,
/// /dev and /proc (`paths`), the files below `filesRoot` (`/etc/group`, the udev rules
/// folders, brltty), the user and the kernel release.
public struct DoctorEnvironment: Sendable {
    public var paths: SystemPaths
    /// Prefix for /etc, /lib and /usr lookups ("" on the real system).
    public var filesRoot: String
    public var user: UserIdentity
    /// `uname -r`, e.g. `6.1.0-18-amd64`.
    public var kernelRelease: String
    /// How USB devices are listed (libusb on the real system).
    public var enumeration: AdapterDiscovery.Enumeration

    public init(paths: SystemPaths, filesRoot: String, user: UserIdentity, kernelRelease: String, enumeration: AdapterDiscovery.Enumeration = .automatic) {
        self.paths = paths
        self.filesRoot = filesRoot
        self.user = user
        self.kernelRelease = kernelRelease
        self.enumeration = enumeration
    }

    /// The running system and user.
    public static func system() -> DoctorEnvironment {
        DoctorEnvironment(paths: .system, filesRoot: "", user: .current(), kernelRelease: currentKernelRelease())
    }

    /// `path` (absolute) below `filesRoot`.
    func file(_ path: String) -> String { filesRoot + path }

    /// The groups in `/etc/group`: gid → (name, member user names).
    func groupTable() -> [UInt32: (name: String, members: [String])] {
        guard let text = FileProbe.text(file("/etc/group"), limit: 1 << 20) else { return [:] }
        var table: [UInt32: (name: String, members: [String])] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let gid = UInt32(fields[2]) else { continue }
            table[gid] = (String(fields[0]), fields[3].split(separator: ",").map(String.init))
        }
        return table
    }

    static func currentKernelRelease() -> String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// The user the doctor checks for: ids of this process, not just what /etc/group says
/// (a user added to a group gets it only after logging in again).
public struct UserIdentity: Sendable, Hashable {
    public var uid: UInt32
    public var name: String
    /// The primary and supplementary group ids of the running process.
    public var groupIDs: [UInt32]

    public init(uid: UInt32, name: String, groupIDs: [UInt32]) {
        self.uid = uid
        self.name = name
        self.groupIDs = groupIDs
    }

    public static func current() -> UserIdentity {
        let uid = geteuid()
        let name = getpwuid(uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? String(uid)
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
        let got = getgroups(count, &groups)
        return UserIdentity(uid: uid, name: name, groupIDs: [getegid()] + groups.prefix(Int(max(got, 0))))
    }
}
