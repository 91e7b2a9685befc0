import Basics
import Foundation

/// Where a site's wifi password is read from. Profiles never hold the password itself: they
/// are shared and committed.
public enum PasswordSource: Hashable, Sendable {
    /// `password_env: NAME`: the environment variable NAME.
    case environment(String)
    /// `password_file: path`: the file's contents without the trailing line break.
    case file(URL)

    /// Reads the password now.
    public func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(WifiPasswordError) -> WifiPassword {
        let text: String
        switch self {
        case .environment(let name):
            guard let value = environment[name] else { throw .environmentVariableUnset(name) }
            text = value
        case .file(let url):
            // Like ssh with its keys: a secret others can read is refused, not used.
            do {
                // One trailing line break is not part of it.
                text = try OwnerOnlyFile.read(url.path).droppingTrailingLineBreak
            } catch {
                switch error {
                case .notPrivate(_, let mode): throw .fileNotPrivate(url.path, mode: mode)
                case .unreadable(let failure): throw .fileUnreadable(url.path, reason: failure.reason)
                }
            }
        }
        guard let password = WifiPassword(text) else {
            throw .invalid(source: self, problem: WifiPassword.problem(with: text) ?? "")
        }
        return password
    }

    /// "environment variable SITE_WIFI" or "file /etc/site.pw".
    public var summary: String {
        switch self {
        case .environment(let name): "environment variable \(name)"
        case .file(let url): "file \(url.path)"
        }
    }
}

/// A WPA2 passphrase: 8 to 63 printable ASCII characters (IEEE 802.11i; the firmware keeps
/// at most 63). Printing it shows `<redacted>`; `text` gives it out.
public struct WifiPassword: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let text: String

    /// Nil unless `text` is a WPA2 passphrase.
    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        self.text = text
    }

    public var description: String { DeviceKey.redacted }
    public var debugDescription: String { DeviceKey.redacted }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    static func problem(with text: String) -> String? {
        let scalars = text.unicodeScalars
        if !scalars.allSatisfy({ (0x20...0x7E).contains($0.value) }) {
            return "it contains characters other than printable ASCII"
        }
        if !(8...63).contains(scalars.count) {
            return "it has \(scalars.count) characters, a WPA2 passphrase has 8 to 63"
        }
        return nil
    }
}

/// Why the wifi password could not be read. Never contains the password.
public enum WifiPasswordError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case environmentVariableUnset(String)
    case fileUnreadable(String, reason: String)
    /// The file is readable or writable by others than its owner.
    case fileNotPrivate(String, mode: Int)
    case invalid(source: PasswordSource, problem: String)

    public var description: String {
        switch self {
        case .environmentVariableUnset(let name):
            "the wifi password's environment variable \(name) is not set (export \(name)=… before running, or use password_file)"
        case .fileUnreadable(let path, let reason):
            "cannot read the wifi password file \(path): \(reason)"
        case .fileNotPrivate(let path, let mode):
            "the wifi password file \(path) is open to others (mode \(String(mode, radix: 8))): run chmod 600 \(path)"
        case .invalid(let source, let problem):
            "the wifi password from \(source.summary) is not usable: \(problem)"
        }
    }

    public var help: String? {
        switch self {
        case .environmentVariableUnset(let name): "export \(name)=… before running, or use password_file"
        case .fileUnreadable: "check the file name and its permissions"
        case .fileNotPrivate(let path, _): "run chmod 600 \(path)"
        case .invalid: "a WPA2 passphrase has 8 to 63 printable ASCII characters"
        }
    }
}
