import Foundation

/// Reads a small text file (a profile, a key or password file) as UTF-8, with a short
/// reason when it cannot.
public enum TextFile {
    public static func read(_ path: String) throws(TextFileError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextFileError(path: path, problem: .missing)
        }
        if isDirectory.boolValue { throw TextFileError(path: path, problem: .folder) }
        guard let data = FileManager.default.contents(atPath: path) else {
            let readable = FileManager.default.isReadableFile(atPath: path)
            throw TextFileError(path: path, problem: readable ? .unreadable : .permissionDenied)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TextFileError(path: path, problem: .notUTF8)
        }
        return text
    }
}

/// Why a text file could not be read.
public struct TextFileError: ReportableError, Equatable {
    public enum Problem: Sendable, Equatable {
        case missing, folder, permissionDenied, unreadable, notUTF8
    }

    public let path: String
    public let problem: Problem

    /// "no such file", "it is a folder", "permission denied", "it could not be read" or
    /// "it is not UTF-8 text".
    public var reason: String {
        switch problem {
        case .missing: "no such file"
        case .folder: "it is a folder"
        case .permissionDenied: "permission denied"
        case .unreadable: "it could not be read"
        case .notUTF8: "it is not UTF-8 text"
        }
    }

    public var description: String { "cannot read \(path): \(reason)" }
    public var help: String? { "check the path and the file's permissions" }
}

extension String {
    /// The text without one trailing line break ("\n" or "\r\n", a single Character): a
    /// one-line file's content.
    public var droppingTrailingLineBreak: String {
        last?.isNewline == true ? String(dropLast()) : self
    }
}
