import Foundation
import MeterLogger

/// Reads `serial,key` lines (what `keys export --csv` writes, or a list kept elsewhere).
/// A first line `serial,key` is a header; blank lines and lines starting with `#` are
/// skipped; fields may be wrapped in double quotes; CRLF line ends are fine. Messages name
/// the file and line and never repeat a field's text (a swapped column would put a key there).
public enum KeyImportFile {
    public static func read(path: String) throws(KeyStoreError) -> [KeyRow] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .importSyntax(file: path, line: 0, problem: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .importSyntax(file: path, line: 0, problem: "the file is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(KeyStoreError) -> [KeyRow] {
        var rows: [KeyRow] = []
        var sawContent = false
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(unquoted)
            defer { sawContent = true }
            if !sawContent, fields.map({ $0.lowercased() }) == ["serial", "key"] { continue }
            guard fields.count == 2 else {
                throw .importSyntax(file: file, line: number, problem: "expected 2 fields (serial,key), found \(fields.count)")
            }
            guard let serial = MeterSerial(fields[0]) else {
                throw .importSyntax(file: file, line: number, problem: "the first field is not a meter serial (1 to 10 decimal digits, at most \(MeterSerial.maxValue))")
            }
            guard let key = DeviceKey(hex: fields[1]) else {
                let count = fields[1].unicodeScalars.count
                let problem = count == 2 * DeviceKey.byteCount ? "it holds a character that is not a hex digit" : "it has \(count) characters"
                throw .importSyntax(file: file, line: number, problem: "the second field is not a key (32 hex characters): \(problem)")
            }
            rows.append(KeyRow(serial: serial, key: key, source: "\(file):\(number)"))
        }
        return rows
    }

    private static func unquoted(_ field: Substring) -> String {
        var text = field.trimmingCharacters(in: .whitespaces)
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            text = String(text.dropFirst().dropLast())
        }
        return text
    }
}
