import Basics
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What a finished child process left behind.
public struct ProcessOutput: Sendable, CustomStringConvertible {
    /// The exit code, or nil when the process died by a signal (a timeout kills it).
    public var exitCode: Int32?
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { exitCode == 0 }
    public var description: String { "exit \(exitCode.map(String.init) ?? "by signal")\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// The package's root folder (the test files sit two levels below it).
public let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `mlprov` binary built with these tests: the one next to the test executable (so
/// `swift test --scratch-path X` runs the binary built in X), else `.build/{debug,release}`.
public var mlprovBinary: String {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var folder = URL(fileURLWithPath: me).deletingLastPathComponent()
    if folder.lastPathComponent == "MacOS" || folder.pathExtension == "xctest" { folder = folder.deletingLastPathComponent() }
    var candidates = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("mlprov").path }
    candidates += ["debug", "release"].map { packageRoot.appendingPathComponent(".build/\($0)/mlprov").path }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[2]
}

/// esptool from the venv scripts/setup makes: the independent reference peer.
public var esptoolBinary: String { packageRoot.appendingPathComponent(".venv/bin/esptool").path }

/// The venv's Python, for asking esptool's own functions directly.
public var esptoolPython: String { packageRoot.appendingPathComponent(".venv/bin/python").path }

/// Runs a program to completion with a clean signal mask (swift-subprocess), collecting
/// its output. A process still running after `timeout` is killed (exitCode then nil).
public func runProcess(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(300)) async throws -> ProcessOutput {
    let watchdog = Watchdog()
    let result = try await run(
        .path(FilePath(executable)), arguments: Arguments(arguments),
        input: .none, output: .string(limit: 8 << 20), error: .string(limit: 8 << 20)
    ) { execution in
        watchdog.arm(after: timeout) { try? execution.send(signal: .kill) }
    }
    watchdog.disarm()
    let code: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
    return ProcessOutput(exitCode: code, stdout: result.standardOutput, stderr: result.standardError)
}

/// Runs `mlprov sim` with `arguments`, waits for its first line (`pty: /dev/pts/N`), runs
/// `body` with that path, then stops the twin with SIGTERM and returns its output.
public func withSimProcess<T: Sendable>(
    _ arguments: [String], timeout: Duration = .seconds(300),
    _ body: @Sendable (String) async throws -> T
) async throws -> (T, ProcessOutput) {
    let watchdog = Watchdog()
    let result = try await run(
        .path(FilePath(mlprovBinary)), arguments: Arguments(["sim"] + arguments),
        input: .none, output: .sequence, error: .string(limit: 1 << 20)
    ) { execution in
        watchdog.arm(after: timeout) { try? execution.send(signal: .kill) }
        var lines = execution.standardOutput.strings().makeAsyncIterator()
        guard let first = try await lines.next() else { throw SimStartError(line: "") }
        let prefix = "pty: "
        guard first.hasPrefix(prefix) else { throw SimStartError(line: first) }
        let path = String(first.dropFirst(prefix.count)).trimmingCharacters(in: .whitespacesAndNewlines)
        let value: T
        do {
            value = try await body(path)
        } catch {
            try? execution.send(signal: .terminate)
            throw error
        }
        try execution.send(signal: .terminate)
        var rest: [String] = [first]
        while let line = try await lines.next() { rest.append(line) }
        return (value, rest.joined(separator: "\n"))
    }
    watchdog.disarm()
    let code: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
    let (value, stdout) = result.closureResult
    return (value, ProcessOutput(exitCode: code, stdout: stdout, stderr: result.standardError))
}

public struct SimStartError: Error, CustomStringConvertible {
    public var line: String
    public var description: String { "mlprov sim did not print 'pty: PATH' first; it printed '\(line)'" }
}

/// A fresh temporary directory for one test.
public func temporaryDirectory(_ label: String = "mlprov") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
