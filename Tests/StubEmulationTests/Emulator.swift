import Basics
import Foundation
import Subprocess
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The real stub on an emulated LX106: qemu-system-xtensa (`-cpu lx106`) with the fake mask
/// ROM of firmware/stub/emu and its TCG plugin. The line is a pseudo-terminal: QEMU's
/// stdin/stdout (the ROM's semihosted UART) on the master, the client on the slave.
enum Emulator {
    static let qemu = "/usr/bin/qemu-system-xtensa"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: qemu) }
    static let skipMessage: Comment = "qemu-system-xtensa is not installed (scripts/setup installs qemu-system-misc)"

    /// The receive tick (µs of virtual time); 50–200 µs keeps QEMU's I/O fed on a loaded machine.
    static let tickMicroseconds: UInt32 = 100
    /// CCOUNT cycles per µs of QEMU's lx106 (ets_delay_us only).
    static let cyclesPerMicrosecond: UInt32 = 40
    /// The stack the stub may use below the loader's 0x3FFFFD00: the measured high-water of
    /// the scenarios here is 416–912 B (painted stack and plugin agree; the deepest is the
    /// compressed write of mlprov's client), so 1280 B leaves ~40 % for what they miss.
    static let stackBudget = 1280

    /// How a run ended (the ROM's exit code).
    enum End: Int32 {
        case eof = 10, reboot = 11, flashBoot = 12, loaderReturn = 13, fatal = 14, badReturn = 15, badConfig = 16
    }

    enum Mode: UInt32 {
        /// QEMU loads the stub; the ROM starts it as the loader would after MEM_END.
        case direct = 0
        /// The ROM plays the serial loader; the client uploads the stub.
        case loader = 1
    }

    /// A cross-built stub: its ELF's segments as files for QEMU's loader, and its symbols.
    struct Stub: Sendable {
        var text: String
        var textAddress: UInt32
        var data: String
        var dataAddress: UInt32
        var entry: UInt32
        var bssStart: UInt32
        var bssEnd: UInt32
    }

    struct Build: Sendable {
        var rom: String
        var plugin: String
        var stub: Stub
    }

    /// What a run left behind.
    struct Result: Sendable, CustomStringConvertible {
        var exitCode: Int32?
        var report: [String: String]
        var plugin: [String: String]
        var violations: [String]
        var stderr: String

        var end: End? { exitCode.flatMap(End.init(rawValue:)) }
        func number(_ key: String) -> Int { Int(report[key] ?? "") ?? -1 }
        var stack: Int { number("stack") }
        var pluginStack: Int { Int(plugin["stack_depth"] ?? "") ?? -1 }
        var iramViolations: Int { Int(plugin["violations"] ?? "") ?? -1 }
        var unerasedBytes: Int { number("unerased_bytes") }
        var contractViolations: Int { number("contract_violations") }
        var description: String {
            "exit \(exitCode.map(String.init) ?? "by signal"); report \(report.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); plugin \(plugin); \(violations.joined(separator: "; ")) stderr: \(stderr.suffix(2000))"
        }

        /// The checks every run makes: no byte access to IRAM, nothing programmed over
        /// unerased bits, the HAL's contract kept, the stack within its budget, the right end.
        func expectClean(_ end: End, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(self.end == end, "the run ends as \(end): \(self)", sourceLocation: sourceLocation)
            #expect(iramViolations == 0, "byte/halfword accesses to IRAM: \(violations)", sourceLocation: sourceLocation)
            #expect(unerasedBytes == 0, "bytes programmed over unerased flash: \(self)", sourceLocation: sourceLocation)
            #expect(contractViolations == 0, "HAL contract violations: \(self)", sourceLocation: sourceLocation)
            #expect(stack > 0 && stack <= Emulator.stackBudget, "stack \(stack) B within \(Emulator.stackBudget) B", sourceLocation: sourceLocation)
            #expect(pluginStack > 0 && pluginStack <= Emulator.stackBudget, "plugin stack depth \(pluginStack) B", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Building

    private static let builds = BuildCache()

    /// The ROM, the plugin and the stub from firmware/stub (built once per test run).
    static func build() async throws -> Build {
        try await builds.build(variant: "real", stubSources: packageRoot.appendingPathComponent("firmware/stub"))
    }

    /// A stub built from a copy of firmware/stub changed by `mutate` (core and esp8266 files).
    static func buildMutant(_ name: String, _ mutate: @Sendable (URL) throws -> Void) async throws -> Build {
        let base = try await build()
        let folder = try temporaryDirectory("mlprov-mutant-\(name)")
        let source = packageRoot.appendingPathComponent("firmware/stub")
        for item in ["Makefile", "core", "esp8266"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(item), to: folder.appendingPathComponent(item))
        }
        try mutate(folder)
        let stub = try await buildStub(from: folder, into: folder.appendingPathComponent("build"))
        return Build(rom: base.rom, plugin: base.plugin, stub: stub)
    }

    fileprivate static func buildAll(stubSources: URL) async throws -> Build {
        let out = try temporaryDirectory("mlprov-stubemu")
        let emu = try await runProcess("/usr/bin/make", ["-C", packageRoot.appendingPathComponent("firmware/stub/emu").path, "BUILD=\(out.appendingPathComponent("emu").path)"])
        try #require(emu.succeeded, "fake ROM and plugin build: \(emu)")
        let stub = try await buildStub(from: stubSources, into: out.appendingPathComponent("stub"))
        return Build(rom: out.appendingPathComponent("emu/rom.elf").path, plugin: out.appendingPathComponent("emu/iramcheck.so").path, stub: stub)
    }

    private static func buildStub(from sources: URL, into folder: URL) async throws -> Stub {
        let make = try await runProcess("/usr/bin/make", ["-C", sources.path, "BUILD=\(folder.path)"])
        try #require(make.succeeded, "stub build: \(make)")
        let elf = folder.appendingPathComponent("mlprov-stub.elf").path
        let text = folder.appendingPathComponent("text.bin").path, data = folder.appendingPathComponent("data.bin").path
        for (section, file) in [(".text", text), (".data", data)] {
            let copy = try await runProcess("/usr/bin/xtensa-lx106-elf-objcopy", ["-O", "binary", "-j", section, elf, file])
            try #require(copy.succeeded, "\(copy)")
        }
        let nm = try await runProcess("/usr/bin/xtensa-lx106-elf-nm", [elf])
        try #require(nm.succeeded, "\(nm)")
        var symbols: [String: UInt32] = [:]
        for line in nm.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3, let value = UInt32(parts[0], radix: 16) { symbols[String(parts[2])] = value }
        }
        let need = ["_text_start", "_data_start", "stub_entry", "_bss_start", "_bss_end"]
        for name in need { try #require(symbols[name] != nil, "symbol \(name) in \(elf)") }
        return Stub(
            text: text, textAddress: symbols["_text_start"] ?? 0, data: data, dataAddress: symbols["_data_start"] ?? 0,
            entry: symbols["stub_entry"] ?? 0, bssStart: symbols["_bss_start"] ?? 0, bssEnd: symbols["_bss_end"] ?? 0)
    }

    // MARK: - Running

    /// Starts QEMU on `build`, waits for its first output (the ROM loader's boot line, or the
    /// directly started stub's OHAI), and runs `body` (blocking client code, on its own thread)
    /// with the line's path; then waits for the ROM's end report. A run that `endsByItself`
    /// (reboot, flash boot) keeps the line open until QEMU exits; any other is ended by
    /// closing the line (EOF), so work the stub still does is not cut short by the EOF.
    static func run<T: Sendable>(
        _ build: Build, mode: Mode = .direct, flashSize: Int = 0x10_0000, fill: UInt8 = 0xFF,
        endsByItself: Bool = false, timeout: Duration = .seconds(120), _ body: @escaping @Sendable (String) throws -> T
    ) async throws -> (T, Result) {
        var master: Int32 = -1, slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        try #require(openpty(&master, &slave, &name, nil, nil) == 0)
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var raw = termios()
        tcgetattr(slave, &raw)
        cfmakeraw(&raw)
        tcsetattr(slave, TCSANOW, &raw)
        let output = dup(master)
        defer {
            close(master)
            close(output)
        }
        let pluginFolder = try temporaryDirectory("mlprov-iramcheck")
        defer { try? FileManager.default.removeItem(at: pluginFolder) }
        let pluginOut = pluginFolder.appendingPathComponent("iramcheck.txt").path
        let stub = build.stub
        func config(_ index: Int, _ value: UInt32) -> [String] {
            ["-device", "loader,addr=0x\(String(0x3FFC_0000 + index * 4, radix: 16)),data=0x\(String(value, radix: 16)),data-len=4"]
        }
        var arguments = ["-M", "sim", "-cpu", "lx106", "-m", "64M", "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "none",
                         "-semihosting", "-kernel", build.rom]
        arguments += config(0, 0x434D_5545) + config(1, mode.rawValue) + config(2, UInt32(flashSize)) + config(3, UInt32(fill))
        arguments += config(4, stub.entry) + config(5, stub.bssStart) + config(6, stub.bssEnd)
        arguments += config(7, tickMicroseconds) + config(8, cyclesPerMicrosecond)
        if mode == .direct {
            arguments += ["-device", "loader,file=\(stub.text),addr=0x\(String(stub.textAddress, radix: 16)),force-raw=on"]
            arguments += ["-device", "loader,file=\(stub.data),addr=0x\(String(stub.dataAddress, radix: 16)),force-raw=on"]
        }
        // The stack depth counts from the stub's first instruction (the uploaded image's entry
        // in loader runs: the same ELF, FlasherStubBuildTests checks the committed image).
        arguments += ["-plugin", "file=\(build.plugin),out=\(pluginOut),start=0x\(String(stub.entry, radix: 16))"]

        let watchdog = Watchdog()
        let slaveFD = SlaveHolder(slave)
        let slaveSide = slave
        let result = try await Subprocess.run(
            .path(FilePath(qemu)), arguments: Arguments(arguments),
            input: .fileDescriptor(FileDescriptor(rawValue: master), closeAfterSpawningProcess: false),
            output: .fileDescriptor(FileDescriptor(rawValue: output), closeAfterSpawningProcess: false),
            error: .string(limit: 1 << 20)
        ) { execution in
            watchdog.arm(after: timeout) { try? execution.send(signal: .kill) }
            let outcome: Swift.Result<T, any Error> = await blocking("emulator client") {
                Swift.Result {
                    try awaitFirstOutput(of: mode, fd: slaveSide)
                    return try body(path)
                }
            }
            // The client is done: closing the last slave descriptor is EOF for the ROM.
            if !endsByItself { slaveFD.close() }
            return outcome
        }
        watchdog.disarm()
        slaveFD.close()
        let code: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
        let stderr = result.standardError ?? ""
        let pluginText = (try? String(contentsOfFile: pluginOut, encoding: .utf8)) ?? ""
        let run = Result(
            exitCode: code, report: fields(after: "EMU-REPORT", in: stderr), plugin: fields(after: "IRAMCHECK", in: pluginText),
            violations: pluginText.split(separator: "\n").filter { $0.hasPrefix("IRAM-VIOLATION") }.map(String.init), stderr: stderr)
        if ProcessInfo.processInfo.environment["STUBEMU_REPORT"] != nil { print("STUBEMU \(run)") }
        switch result.closureResult {
        case .success(let value):
            return (value, run)
        case .failure(let error):
            Issue.record("the client failed (\(error)); the emulated run: \(run)")
            throw error
        }
    }

    /// Reads the ROM loader's boot line, or the started stub's OHAI frame (and nothing
    /// before it), from the test's own slave descriptor. Then the line is the client's: a
    /// SerialPort discards pending input when it opens, so a client that opened after the
    /// greeting (a loaded machine) would lose it; and a peer that syncs only briefly is not
    /// raced against QEMU's start.
    private static func awaitFirstOutput(of mode: Mode, fd: Int32) throws {
        let marker: [UInt8] = mode == .loader ? Array("serial loader\r\n".utf8) : [0xC0] + Array("OHAI".utf8) + [0xC0]
        let deadline = ContinuousClock.now + .seconds(60)
        var seen: [UInt8] = []
        while !seen.ends(with: marker) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw StartTimeout(mode: mode, seen: seen) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left.components.seconds * 1000 + 1))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { throw StartTimeout(mode: mode, seen: seen) }
            var byte: UInt8 = 0
            if read(fd, &byte, 1) == 1 { seen.append(byte) }
        }
        if mode == .direct, seen != marker { throw StartTimeout(mode: mode, seen: seen) }
    }

    struct StartTimeout: Error, CustomStringConvertible {
        var mode: Mode
        var seen: [UInt8]
        var description: String { "the emulated \(mode == .loader ? "ROM loader" : "stub") did not start as expected within 60 s; got \(seen.prefix(64))" }
    }

    private static func fields(after marker: String, in text: String) -> [String: String] {
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix(marker) }) else { return [:] }
        var fields: [String: String] = [:]
        for word in line.split(separator: " ").dropFirst() {
            let pair = word.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        return fields
    }
}

/// Caches the builds (make runs once per variant and test process).
private actor BuildCache {
    private var builds: [String: Task<Emulator.Build, any Error>] = [:]

    func build(variant: String, stubSources: URL) async throws -> Emulator.Build {
        if let task = builds[variant] { return try await task.value }
        let task = Task { try await Emulator.buildAll(stubSources: stubSources) }
        builds[variant] = task
        return try await task.value
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// The test's own descriptor of the pty's slave side, closed once.
private final class SlaveHolder: Sendable {
    private let fd: Mutex<Int32>
    init(_ fd: Int32) { self.fd = Mutex(fd) }
    func close() {
        fd.withLock { fd in
            if fd >= 0 {
                _ = Glibc.close(fd)
                fd = -1
            }
        }
    }
}

/// All emulation suites, one after another: each run keeps a QEMU busy on a core, and the
/// machine (2 cores) is shared with the rest of the suite.
@Suite("The stub on an emulated LX106", .serialized, .enabled(if: Emulator.available, Emulator.skipMessage))
struct StubEmulation {}
