import Basics
/// The `name=value&name=value&` text MeterLogger uses in samples, scan results, `mem`
/// replies and the `set_cron`/`set_ssid_pwd` arguments. Values are taken literally (the
/// firmware does no percent-decoding); a trailing `&` is allowed, as samples carry one.
public struct MeterForm: Sendable, Equatable, CustomStringConvertible {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// In the order written.
    public var fields: [Field]

    public init(_ fields: [Field]) { self.fields = fields }

    public init(_ pairs: KeyValuePairs<String, String>) {
        fields = pairs.map { Field(name: $0.key, value: $0.value) }
    }

    /// Parses `text`. Throws naming the first piece that has no `=` or no name.
    public init(parsing text: String) throws(MeterFormError) {
        var fields: [Field] = []
        let pieces = text.split(separator: "&", omittingEmptySubsequences: false)
        for (index, piece) in pieces.enumerated() {
            if piece.isEmpty {
                // Only a trailing "&" (or an empty text) may leave an empty piece.
                if index == pieces.count - 1 { continue }
                throw .emptyField(position: index + 1)
            }
            guard let equals = piece.firstIndex(of: "=") else { throw .noValue(field: String(piece)) }
            let name = piece[..<equals]
            guard !name.isEmpty else { throw .noName(position: index + 1) }
            fields.append(Field(name: String(name), value: String(piece[piece.index(after: equals)...])))
        }
        self.fields = fields
    }

    /// The first value for `name`.
    public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    /// `a=1&b=2` (no trailing `&`).
    public var text: String { fields.map { "\($0.name)=\($0.value)" }.joined(separator: "&") }
    public var description: String { text }
}

/// What is wrong with a form text; names the field.
public enum MeterFormError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// A piece without "=".
    case noValue(field: String)
    /// A piece that starts with "=".
    case noName(position: Int)
    /// "&&" in the middle.
    case emptyField(position: Int)

    public var description: String {
        switch self {
        case .noValue(let field): "the field \"\(field)\" has no \"=value\""
        case .noName(let position): "field \(position) has a value but no name"
        case .emptyField(let position): "field \(position) is empty (\"&&\")"
        }
    }

    public var help: String? { "write the fields as name=value pairs joined by \"&\"" }
}
