import Basics
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Writes the embedded udev rules files into a rules folder and asks udev to apply them.
public struct UdevRulesInstaller: Sendable {
    /// The rules files' mode: readable by everyone (udev and the user), written by root.
    public static let fileMode: mode_t = 0o644

    public var rulesDirectory: String
    /// Run `udevadm control --reload-rules` and `udevadm trigger --subsystem-match=tty` after writing.
    public var reload: Bool
    /// The command line to suggest with sudo when root is needed.
    public var invocation: String
    /// The effective user id (injectable for tests; root is 0).
    public var effectiveUserID: uid_t
    /// The files to write (all of `UdevRules.files` unless a test says otherwise).
    public var files: [UdevRulesFile]

    public init(
        rulesDirectory: String = UdevRules.defaultDirectory, reload: Bool = true, invocation: String = "mlprov udev install",
        effectiveUserID: uid_t = geteuid(), files: [UdevRulesFile] = UdevRules.files
    ) {
        self.rulesDirectory = rulesDirectory
        self.reload = reload
        self.invocation = invocation
        self.effectiveUserID = effectiveUserID
        self.files = files
    }

    /// The folder without a trailing slash.
    var folder: String { FileProbe.trimmedSlash(rulesDirectory) }

    /// Where `file` is written.
    public func path(of file: UdevRulesFile) -> String { folder + "/" + file.name }

    /// Every rules file's path, in the order they are written.
    public var rulesPaths: [String] { files.map(path(of:)) }

    /// The commands run after writing.
    public var reloadCommands: [[String]] {
        reload ? [["udevadm", "control", "--reload-rules"], ["udevadm", "trigger", "--subsystem-match=tty"]] : []
    }

    /// What root is needed for, or nil when it is not (or we are root).
    public var rootNeededFor: String? {
        guard effectiveUserID != 0 else { return nil }
        if UdevRules.searchDirectories.contains(folder) {
            return "writing " + rulesPaths.joined(separator: " and ")
        }
        if reload { return "reloading udev (udevadm control --reload-rules)" }
        return nil
    }

    /// Writes every rules file (mode 0644, each replaced atomically) and reloads udev.
    /// All files are written to temporary files first and renamed into place only when all
    /// were written, so a failed write leaves the installed rules as they were; no
    /// temporary file is left behind.
    /// - Throws: `.needsRoot` before anything is written, `.writeFailed`, `.commandFailed`.
    public func install() throws(DiscoveryError) {
        if let action = rootNeededFor {
            throw .needsRoot(action: action, command: "sudo \(invocation)")
        }
        var staged: [(temporary: String, target: String)] = []
        do throws(AtomicFileError) {
            for file in files {
                let target = path(of: file)
                staged.append((try AtomicFile.stage(Array(file.text.utf8), besides: target, mode: Self.fileMode), target))
            }
            while let (temporary, target) = staged.first {
                staged.removeFirst()
                try AtomicFile.commit(temporary, to: target)
            }
        } catch {
            for (temporary, _) in staged { unlink(temporary) }
            throw .writeFailed(path: error.path, reason: error.reason)
        }
        AtomicFile.syncFolder(folder)
        for command in reloadCommands { try run(command) }
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
