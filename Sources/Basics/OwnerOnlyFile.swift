import Foundation

/// Reads a secret (a key, a password) from a file only its owner may read or write. Like ssh
/// with its keys, a file open to its group or to others is refused, not used.
public enum OwnerOnlyFile {
    /// The file's text; throws `.notPrivate` when its mode lets group or others in (any of
    /// 0o077), `.unreadable` when it cannot be read as UTF-8 text.
    public static func read(_ path: String) throws(OwnerOnlyFileError) -> String {
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int,
           mode & 0o077 != 0 {
            throw .notPrivate(path: path, mode: mode)
        }
        do {
            return try TextFile.read(path)
        } catch {
            throw .unreadable(error)
        }
    }
}

/// Why a secret file was not read. Names the file, never its content.
public enum OwnerOnlyFileError: ReportableError, Equatable {
    /// Its group or others may read or write it (`mode`, e.g. 0o644).
    case notPrivate(path: String, mode: Int)
    case unreadable(TextFileError)

    public var path: String {
        switch self {
        case .notPrivate(let path, _): path
        case .unreadable(let error): error.path
        }
    }

    public var description: String {
        switch self {
        case .notPrivate(let path, let mode): "the file \(path) is open to others (mode \(String(mode, radix: 8)))"
        case .unreadable(let error): error.description
        }
    }

    public var help: String? {
        switch self {
        case .notPrivate(let path, _): "run chmod 600 \(path)"
        case .unreadable(let error): error.help
        }
    }

    public var cause: (any ReportableError)? {
        switch self {
        case .notPrivate: nil
        case .unreadable(let error): error
        }
    }
}
