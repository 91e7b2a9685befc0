import CSysShim
#if canImport(Glibc)
import Glibc
#endif

/// Who may open a device node: its owner, group, mode and POSIX ACL user entries (what
/// udev's `uaccess` tag adds for the user at the seat).
struct PortAccess: Sendable, Hashable {
    var ownerID: UInt32
    var groupID: UInt32
    var mode: UInt32
    /// uid → permission bits (4 read, 2 write) from the access ACL's named-user entries.
    var aclUsers: [UInt32: UInt32]

    /// Reads `path`'s node; nil when it does not exist.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        ownerID = info.st_uid
        groupID = info.st_gid
        mode = UInt32(info.st_mode) & 0o777
        aclUsers = Self.aclUsers(path)
    }

    init(ownerID: UInt32, groupID: UInt32, mode: UInt32, aclUsers: [UInt32: UInt32] = [:]) {
        self.ownerID = ownerID
        self.groupID = groupID
        self.mode = mode
        self.aclUsers = aclUsers
    }

    var modeText: String { "0" + String(mode, radix: 8) }

    /// Why `user` may read and write the node, nil when it may not.
    func grant(for user: UserIdentity) -> String? {
        if user.uid == 0 { return "root" }
        if user.uid == ownerID, mode & 0o600 == 0o600 { return "owner" }
        if let bits = aclUsers[user.uid], bits & 6 == 6 { return "ACL (uaccess)" }
        if user.groupIDs.contains(groupID), mode & 0o060 == 0o060 { return "group" }
        if mode & 0o006 == 0o006 { return "everyone" }
        return nil
    }

    /// The named-user entries of `system.posix_acl_access`: a little-endian header
    /// (version 2, u32), then entries of tag (u16), permissions (u16), id (u32); tag 2 is
    /// ACL_USER. (Layout: the kernel's include/uapi/linux/posix_acl_xattr.h.)
    static func aclUsers(_ path: String) -> [UInt32: UInt32] {
        // getxattr comes through CSysShim: the Glibc module leaves out <sys/xattr.h>.
        var buffer = [UInt8](repeating: 0, count: 1024)
        let length = buffer.withUnsafeMutableBytes { csys_getxattr(path, "system.posix_acl_access", $0.baseAddress, $0.count) }
        guard length >= 4 else { return [:] }
        return parseACL(Array(buffer[..<length]))
    }

    static func parseACL(_ bytes: [UInt8]) -> [UInt32: UInt32] {
        func u16(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 4, u32(0) == 2 else { return [:] }
        let aclUser: UInt32 = 2
        var users: [UInt32: UInt32] = [:]
        var offset = 4
        while offset + 8 <= bytes.count {
            if u16(offset) == aclUser { users[u32(offset + 4)] = u16(offset + 2) }
            offset += 8
        }
        return users
    }
}

/// A Linux kernel release's version numbers, for the ch341 regression check.
struct KernelVersion: Sendable, Hashable, Comparable {
    var major: Int, minor: Int, patch: Int

    /// Parses `5.13.12-arch1-1` → 5.13.12; nil when it does not start with numbers.
    init?(release: String) {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(3).compactMap { Int($0) }
        guard numbers.count >= 2 else { return nil }
        major = numbers[0]
        minor = numbers[1]
        patch = numbers.count > 2 ? numbers[2] : 0
    }

    init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    static func < (a: Self, b: Self) -> Bool { (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }

    /// Kernels whose ch341 driver broke the ESP8266 sync (docs/usb-serial.md, "What steals or slows a port").
    static let ch341Regression = KernelVersion(5, 13, 10)...KernelVersion(5, 13, 13)
}
