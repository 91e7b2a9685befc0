import Foundation
import Testing

/// Builds the demo firmware (`firmware/demo`) in a private copy of its source tree, as the
/// toolkit does per device. Synchronous, with Foundation.Process: this test target does
/// not depend on TestSupport (see Package.swift).
enum DemoFirmware {
    /// The package's root folder (this file sits two levels below it).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sourceTree = packageRoot.appendingPathComponent("firmware/demo")
    /// esptool from the venv scripts/setup makes.
    static let esptool = packageRoot.appendingPathComponent(".venv/bin/esptool").path

    static let testKey = "ef500c9268cf749016d26d6cbfaaf7bf"
    static let otherKey = "1f2e3d4c5b6a79880123fedcba987654"

    /// What one `make` run left behind.
    struct Build {
        var directory: URL
        var exitCode: Int32
        /// stdout and stderr, interleaved as make wrote them.
        var log: String

        var succeeded: Bool { exitCode == 0 }
        func file(_ path: String) -> URL { directory.appendingPathComponent(path) }
        func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: file(path))) }
        var app: [UInt8] { get throws { try bytes("firmware/0x00000.bin") } }
        var irom: [UInt8] { get throws { try bytes("firmware/0x10000.bin") } }
        var espfs: [UInt8] { get throws { try bytes("webpages.espfs") } }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// A fresh copy of the demo firmware's sources (without build outputs) in a temp folder.
    static func copySourceTree() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-demo-fw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for entry in ["Makefile", "src", "ld", "tools", "html"] {
            try FileManager.default.copyItem(at: sourceTree.appendingPathComponent(entry), to: directory.appendingPathComponent(entry))
        }
        return directory
    }

    /// Runs `make clean all` (or `goals`) with `variables` on the command line and
    /// `environment` added to the process environment, in a new copy of the sources.
    static func build(
        _ variables: [String: String], environment: [String: String] = [:], goals: [String] = ["clean", "all"]
    ) throws -> Build {
        let directory = try copySourceTree()
        let arguments = goals + ["ESPTOOL=\(esptool)"] + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let (code, log) = try run("/usr/bin/make", arguments, in: directory, environment: environment)
        return Build(directory: directory, exitCode: code, log: log)
    }

    /// Runs a program to completion; returns its exit code and its output (stdout and stderr
    /// through one pipe). A run longer than `timeout` is terminated.
    static func run(
        _ executable: String, _ arguments: [String], in directory: URL, environment: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var merged = ProcessInfo.processInfo.environment
        // The make variables come from the test alone, not from whoever runs the tests.
        for name in makeVariableNames { merged[name] = nil }
        merged.merge(environment) { _, new in new }
        process.environment = merged
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static let makeVariableNames = [
        "KEY", "SERIAL", "EN61107", "MC_66B", "IMPULSE", "FLOW_METER", "THERMO_NO", "THERMO_ON_AC_2",
        "LED_ON_AC", "AC_TEST", "AP", "AUTO_CLOSE", "NO_CRON", "DEBUG", "DEBUG_NO_METER",
        "DEBUG_SHORT_WEB_CONFIG_TIME", "DEBUG_STACK_TRACE", "IMPULSE_DEV_BOARD", "ESPTOOL", "V",
    ]

    /// The key as raw bytes.
    static func keyBytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
    }
}

extension Array where Element == UInt8 {
    /// How often `needle` occurs in the array (overlapping matches counted).
    func occurrences(of needle: [UInt8]) -> Int {
        guard !needle.isEmpty, needle.count <= count else { return 0 }
        var found = 0
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<start + needle.count].elementsEqual(needle) { found += 1 }
        }
        return found
    }
}
