import Foundation
import TestSupport

/// Writes `text` to a new file in a fresh temporary folder and returns its path.
func writeTemporary(_ text: String, name: String) throws -> String {
    let url = try temporaryDirectory("mlprov-discovery").appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// `[{…}, …]` of `ports --json`, parsed.
func parsePorts(_ json: String) throws -> [[String: Any]] {
    let value = try JSONSerialization.jsonObject(with: Data(json.utf8))
    guard let array = value as? [[String: Any]] else { throw ParseFailure(text: json) }
    return array
}

struct ParseFailure: Error, CustomStringConvertible {
    var text: String
    var description: String { "not the expected JSON: \(text)" }
}
