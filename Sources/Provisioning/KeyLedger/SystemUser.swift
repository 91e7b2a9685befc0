import Foundation

/// The OS user running mlprov: what the ledger writes as `created_by` and an event's `who`.
public enum SystemUser {
    /// The login name of the effective user (from the password database, then $USER), or
    /// `uid N` when neither knows it.
    public static var current: String {
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            let text = String(cString: name)
            if !text.isEmpty { return text }
        }
        if let name = ProcessInfo.processInfo.environment["USER"], !name.isEmpty { return name }
        return "uid \(uid)"
    }
}
