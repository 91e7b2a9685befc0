import Yams

/// Reads typed values out of Yams nodes and collects every problem with its position, so
/// that one pass reports all of a profile's mistakes.
final class NodeReader {
    let file: String
    private(set) var issues: [ProfileIssue] = []

    init(file: String) {
        self.file = file
    }

    // MARK: Reporting

    func report(_ kind: ProfileIssue.Kind, at node: Node, _ path: String, _ message: String, allowed: String? = nil) {
        report(kind, at: location(of: node), path, message, allowed: allowed)
    }

    func report(_ kind: ProfileIssue.Kind, at location: SourceLocation, _ path: String, _ message: String, allowed: String? = nil) {
        issues.append(ProfileIssue(kind: kind, file: file, location: location, path: path, message: message, allowed: allowed))
    }

    func location(of node: Node) -> SourceLocation {
        node.mark.map { SourceLocation(line: $0.line, column: $0.column) } ?? SourceLocation(line: 1, column: 1)
    }

    // MARK: Mappings

    /// A mapping's entries by key, after checking that `node` is a mapping whose keys are
    /// all in `allowed` (each unknown key is reported; nil allows any text key). `special`
    /// keys are reported with their own message and left out.
    func mapping(
        _ node: Node, _ path: String, allowed: [String]?, what: String,
        special: [String: (kind: ProfileIssue.Kind, message: String, allowed: String)] = [:]
    ) -> Fields? {
        guard case .mapping(let mapping) = node else {
            wrongType(node, path, expected: "a mapping", allowed: what)
            return nil
        }
        var entries: [(String, Fields.Entry)] = []
        for (keyNode, value) in mapping {
            // `<<` (a merge key) and other odd tags still count as text, to be named as unknown keys.
            guard case .scalar(let scalar) = keyNode, [.text, .other].contains(scalarKind(keyNode)) else {
                report(.wrongType, at: keyNode, path, "a key must be text, found \(found(keyNode))", allowed: allowed.map { "allowed keys: \($0.joined(separator: ", "))" } ?? what)
                continue
            }
            let key = scalar.string
            if let special = special[key] {
                report(special.kind, at: keyNode, join(path, key), special.message, allowed: special.allowed)
            } else if let allowed, !allowed.contains(key) {
                let suggestion = Self.closest(to: key, in: allowed).map { ", did you mean \"\($0)\"?" } ?? ""
                report(.unknownKey, at: keyNode, path, "unknown key \"\(key)\"\(suggestion)", allowed: "allowed keys: \(allowed.joined(separator: ", "))")
            } else {
                entries.append((key, Fields.Entry(key: keyNode, value: value)))
            }
        }
        return Fields(node: node, path: path, ordered: entries)
    }

    /// Reports a missing required key at the mapping.
    func missing(_ key: String, in fields: Fields, allowed: String) {
        report(.missing, at: fields.node, fields.path, "missing required key \"\(key)\"", allowed: allowed)
    }

    // MARK: Scalars

    /// Text: any scalar but booleans and nulls, as written (so `serial: 0612345` keeps its
    /// zero). `reveal: false` keeps the value out of messages.
    func text(_ node: Node, _ path: String, allowed: String, reveal: Bool = true) -> String? {
        guard case .scalar(let scalar) = node, [.text, .number, .other].contains(scalarKind(node)) else {
            wrongType(node, path, expected: "text", allowed: allowed, reveal: reveal)
            return nil
        }
        return scalar.string
    }

    func bool(_ node: Node, _ path: String) -> Bool? {
        guard scalarKind(node) == .boolean, let value = node.bool else {
            wrongType(node, path, expected: "a boolean", allowed: "true or false")
            return nil
        }
        return value
    }

    func integer(_ node: Node, _ path: String, in range: ClosedRange<Int>, allowed: String) -> Int? {
        guard scalarKind(node) == .number, node.tag.rawValue == Tag.Name.int.rawValue else {
            wrongType(node, path, expected: "a whole number", allowed: allowed)
            return nil
        }
        guard let value = node.int, range.contains(value) else {
            report(.invalidValue, at: node, path, "\(node.scalar?.string ?? "") is out of range", allowed: allowed)
            return nil
        }
        return value
    }

    /// One of `options`, by name.
    func choice<T>(_ node: Node, _ path: String, _ options: [(String, T)], matching: (String, String) -> Bool = (==)) -> T? {
        let names = "one of " + options.map(\.0).joined(separator: ", ")
        guard let text = text(node, path, allowed: names) else { return nil }
        guard let option = options.first(where: { matching($0.0, text) }) else {
            report(.invalidValue, at: node, path, "unknown value \"\(text)\"", allowed: names)
            return nil
        }
        return option.1
    }

    // MARK: Types

    enum ScalarKind: Equatable { case text, number, boolean, null, other, collection }

    func scalarKind(_ node: Node) -> ScalarKind {
        guard case .scalar = node else { return .collection }
        switch node.tag.rawValue {
        case Tag.Name.str.rawValue: return .text
        case Tag.Name.int.rawValue, Tag.Name.float.rawValue: return .number
        case Tag.Name.bool.rawValue: return .boolean
        case Tag.Name.null.rawValue: return .null
        default: return .other
        }
    }

    func wrongType(_ node: Node, _ path: String, expected: String, allowed: String, reveal: Bool = true) {
        report(.wrongType, at: node, path, "expected \(expected), found \(found(node, reveal: reveal))", allowed: allowed)
    }

    /// "the text \"fast\"", "the number 12", "a list", "an empty value"…
    func found(_ node: Node, reveal: Bool = true) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            let value = scalar.string
            switch scalarKind(node) {
            case .text: return reveal ? "the text \"\(value)\"" : "text"
            case .number: return reveal ? "the number \(value)" : "a number"
            case .boolean: return reveal ? "the boolean \(value)" : "a boolean"
            case .null: return "an empty value"
            case .other, .collection: return "a value tagged \(node.tag.rawValue)"
            }
        }
    }

    // MARK: Paths

    func join(_ path: String, _ key: String) -> String {
        path == ProfileParser.rootPath ? key : "\(path).\(key)"
    }

    /// The allowed key closest to a misspelt one (at most 2 edits away, and fewer than half
    /// its length), if any.
    static func closest(to key: String, in allowed: [String]) -> String? {
        allowed.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= 2 && 2 * $0.1 < key.count }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A checked mapping's entries, by key and in file order.
struct Fields {
    struct Entry {
        let key: Node
        let value: Node
    }

    let node: Node
    let path: String
    /// The entries in file order.
    let ordered: [(name: String, entry: Entry)]

    init(node: Node, path: String, ordered: [(String, Entry)]) {
        self.node = node
        self.path = path
        self.ordered = ordered.map { (name: $0.0, entry: $0.1) }
    }

    subscript(key: String) -> Node? { ordered.first { $0.name == key }?.entry.value }

    /// The key node of `key`, for messages about the key itself.
    func keyNode(_ key: String) -> Node? { ordered.first { $0.name == key }?.entry.key }
}
