/// An error a technician reads: what failed (its `description`), what to try next (`help`)
/// and, when it wraps another library's error, that error (`cause`), still typed.
///
/// Every library error conforms where it is defined; the command line renders any of them
/// in one place (the error line, then the help line). Descriptions and help lines never
/// carry a key or a password.
public protocol ReportableError: Error, CustomStringConvertible, Sendable {
    /// What the user can try next; nil when there is nothing useful to say.
    var help: String? { get }
    /// The error this one wraps, when it wraps one.
    var cause: (any ReportableError)? { get }
}

extension ReportableError {
    public var cause: (any ReportableError)? { nil }
}

/// How any error reads to a user: a reportable error's own text and help, anything else
/// as Swift prints it (with no help).
public struct ErrorReport: Sendable, Equatable {
    public let message: String
    public let help: String?

    public init(message: String, help: String?) {
        self.message = message
        self.help = help
    }

    public init(_ error: any Error) {
        if let error = error as? any ReportableError {
            self.init(message: error.description, help: error.help)
        } else {
            self.init(message: String(describing: error), help: nil)
        }
    }
}
