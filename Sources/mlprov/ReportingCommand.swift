import ArgumentParser
import Basics

/// A command whose failures are rendered in one place: any library error (every one is a
/// `ReportableError`) becomes "error: …" and "help: …" on standard error, plus a JSON
/// failure object on standard output when the command reports JSON, and exit code 1.
/// Commands implement `run(console:)` and let errors go.
protocol ReportingCommand: AsyncParsableCommand {
    /// True when the command's result, and so its failure, is printed as JSON.
    var reportsJSON: Bool { get }
    func run(console: Console) async throws
}

extension ReportingCommand {
    var reportsJSON: Bool { false }

    func run() async throws {
        let console = Console()
        do {
            try await run(console: console)
        } catch let error as any ReportableError {
            throw console.fail(error, json: reportsJSON)
        }
    }
}
