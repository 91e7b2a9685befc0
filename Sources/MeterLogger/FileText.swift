import Foundation

/// Reads a small text file (a profile, a password file), with a short reason on failure.
enum FileText {
    static func read(_ url: URL) -> Result<String, Failure> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            return .failure(Failure(reason: "no such file"))
        }
        if isDirectory.boolValue { return .failure(Failure(reason: "it is a folder")) }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let readable = FileManager.default.isReadableFile(atPath: url.path)
            return .failure(Failure(reason: readable ? "it could not be read" : "permission denied"))
        }
        guard let text = String(data: data, encoding: .utf8) else { return .failure(Failure(reason: "it is not UTF-8 text")) }
        return .success(text)
    }

    struct Failure: Error {
        let reason: String
    }
}
