import Basics
/// A line and column in a profile, both counted from 1 (columns in Unicode scalars, as
/// libyaml counts them).
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    /// "12:5".
    public var description: String { "\(line):\(column)" }
}

/// One thing wrong in a profile, printed as
/// `file:line:column: field path: what is wrong (what is allowed)`.
public struct ProfileIssue: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The file could not be read.
        case unreadable
        /// The YAML itself is malformed (the parser's position).
        case syntax
        /// A key the schema does not know.
        case unknownKey
        /// A required key is missing.
        case missing
        /// A value of the wrong type (a list where a mapping belongs, text for a boolean…).
        case wrongType
        /// A value of the right type that is not allowed (bad key, unknown meter kind…).
        case invalidValue
        /// Keys or values that cannot be combined (two firmware sources, a Kamstrup-only
        /// setting on an impulse meter, a duplicate serial…).
        case conflict
        /// A secret written into the profile (`password:`).
        case inlineSecret
    }

    public let kind: Kind
    public let file: String
    public let location: SourceLocation
    /// Where in the profile's structure, e.g. `devices[2].impulse.meter_serial`.
    public let path: String
    /// What is wrong.
    public let message: String
    /// What is allowed instead, or what to do.
    public let allowed: String?

    public init(kind: Kind, file: String, location: SourceLocation, path: String, message: String, allowed: String? = nil) {
        self.kind = kind
        self.file = file
        self.location = location
        self.path = path
        self.message = message
        self.allowed = allowed
    }

    public var description: String {
        "\(file):\(location): \(path): \(message)" + (allowed.map { " (\($0))" } ?? "")
    }
}

/// Everything wrong with a profile, in file order: one line per issue.
public struct ProfileError: ReportableError, Hashable, Sendable, CustomStringConvertible {
    public let issues: [ProfileIssue]

    /// Sorts `issues` by position; issues at the same position keep their order.
    public init(issues: [ProfileIssue]) {
        self.issues = issues.enumerated()
            .sorted { ($0.element.location, $0.offset) < ($1.element.location, $1.offset) }
            .map(\.element)
    }

    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }

    /// What to try next.
    public var help: String? {
        "fix the lines above and run again; profiles/README.md describes every field"
    }
}
