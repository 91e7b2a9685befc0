import Basics

/// A failure found by the command line itself: a file it cannot read, say.
struct CommandFailure: ReportableError {
    var message: String
    var help: String?
    init(message: String, help: String?) {
        self.message = message
        self.help = help
    }
    var description: String { message }
}
