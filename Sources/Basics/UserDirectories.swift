import Foundation

/// The user's folders as the XDG base directory specification names them: an absolute
/// `XDG_*_HOME` wins, else a folder under `$HOME` (the password database's home only when
/// HOME is unset). The ledger and the firmware cache both follow it, so a run under another
/// HOME keeps its keys and its key-bearing builds there, together.
public enum UserDirectories {
    /// `$HOME`, else the password database's home directory.
    public static func home(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        if let entry = getpwuid(geteuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
        return FileManager.default.homeDirectoryForCurrentUser.path
    }

    /// `$XDG_DATA_HOME`, or `~/.local/share` when it is unset or relative.
    public static func dataHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        base("XDG_DATA_HOME", else: ".local/share", environment: environment)
    }

    /// `$XDG_CACHE_HOME`, or `~/.cache` when it is unset or relative.
    public static func cacheHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        base("XDG_CACHE_HOME", else: ".cache", environment: environment)
    }

    /// The spec ignores relative values.
    private static func base(_ variable: String, else fallback: String, environment: [String: String]) -> String {
        if let value = environment[variable], value.hasPrefix("/") { return value }
        return home(environment: environment) + "/" + fallback
    }
}
