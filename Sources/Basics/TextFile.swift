import Foundation

/// Reads a small text file (a profile, a key or password file) as UTF-8, with a short
/// reason when it cannot.
public enum TextFile {
    public static func read(_ path: String) throws(TextFileError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextFileError(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw TextFileError(path: path, reason: "it is a folder") }
        guard let data = FileManager.default.contents(atPath: path) else {
            let readable = FileManager.default.isReadableFile(atPath: path)
            throw TextFileError(path: path, reason: readable ? "it could not be read" : "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TextFileError(path: path, reason: "it is not UTF-8 text")
        }
        return text
    }
}

/// Why a text file could not be read: "no such file", "it is a folder", "permission
/// denied", "it could not be read" or "it is not UTF-8 text".
public struct TextFileError: ReportableError, Equatable {
    public let path: String
    public let reason: String

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
