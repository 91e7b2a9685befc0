#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes the embedded udev rules into a rules folder and asks udev to apply them.
public struct UdevRulesInstaller: Sendable {
    /// The rules file's mode: readable by everyone (udev and the user), written by root.
    public static let fileMode: mode_t = 0o644

    public var rulesDirectory: String
    /// Run `udevadm control --reload-rules` and `udevadm trigger --subsystem-match=tty` after writing.
    public var reload: Bool
    /// The command line to suggest with sudo when root is needed.
    public var invocation: String
    /// The effective user id (injectable for tests; root is 0).
    public var effectiveUserID: uid_t

    public init(rulesDirectory: String = UdevRules.defaultDirectory, reload: Bool = true, invocation: String = "mlprov udev install", effectiveUserID: uid_t = geteuid()) {
        self.rulesDirectory = rulesDirectory
        self.reload = reload
        self.invocation = invocation
        self.effectiveUserID = effectiveUserID
    }

    /// The rules file's path.
    public var rulesPath: String {
        (rulesDirectory.hasSuffix("/") ? String(rulesDirectory.dropLast()) : rulesDirectory) + "/" + UdevRules.fileName
    }

    /// The commands run after writing.
    public var reloadCommands: [[String]] {
        reload ? [["udevadm", "control", "--reload-rules"], ["udevadm", "trigger", "--subsystem-match=tty"]] : []
    }

    /// What root is needed for, or nil when it is not (or we are root).
    public var rootNeededFor: String? {
        guard effectiveUserID != 0 else { return nil }
        if UdevRules.searchDirectories.contains(where: { FileProbe.trimmedSlash(rulesDirectory) == $0 }) {
            return "writing \(rulesPath)"
        }
        if reload { return "reloading udev (udevadm control --reload-rules)" }
        return nil
    }

    /// Writes the rules file (mode 0644, replaced atomically) and reloads udev.
    /// - Throws: `.needsRoot` before anything is written, `.writeFailed`, `.commandFailed`.
    public func install() throws(DiscoveryError) {
        if let action = rootNeededFor {
            throw .needsRoot(action: action, command: "sudo \(invocation)")
        }
        try write()
        for command in reloadCommands { try run(command) }
    }

    private func write() throws(DiscoveryError) {
        let temporary = rulesPath + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, Self.fileMode)
        guard fd >= 0 else { throw .writeFailed(path: rulesPath, reason: String(cString: strerror(errno))) }
        let bytes = Array(UdevRules.text.utf8)
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
        // The mode is set explicitly: open's mode is narrowed by the umask.
        if failure == 0, fchmod(fd, Self.fileMode) != 0 { failure = errno }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, rulesPath) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw .writeFailed(path: rulesPath, reason: String(cString: strerror(failure)))
        }
    }

    private func run(_ command: [String]) throws(DiscoveryError) {
        let shown = command.joined(separator: " ")
        guard let executable = Self.findExecutable(command[0]) else {
            throw .commandFailed(command: shown, reason: "\(command[0]) is not installed (no udev on this system?)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        do {
            try process.run()
        } catch {
            throw .commandFailed(command: shown, reason: "\(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw .commandFailed(command: shown, reason: "exit status \(process.terminationStatus)")
        }
    }

    /// `name` looked up in PATH and the usual system folders.
    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return folders.map { $0 + "/" + name }.first { access($0, X_OK) == 0 }
    }
}

extension FileProbe {
    /// `path` without a trailing slash (`/etc/udev/rules.d/` → `/etc/udev/rules.d`).
    static func trimmedSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}
