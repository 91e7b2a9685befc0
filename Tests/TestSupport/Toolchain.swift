import Basics
import ESPImage
import Foundation

/// A tool the tests need is not installed: a failure, never a skip (the setup installs them).
public struct MissingTool: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "\(name) is not on PATH: run the project's setup (Debian: apt-get install gcc-xtensa-lx106)" }
}

/// A child process that did not succeed.
public struct ToolFailed: Error, CustomStringConvertible {
    public var command: String
    public var output: ProcessOutput
    public var description: String { "\(command) failed: \(output)" }
}

/// The absolute path of `name` found on PATH.
public func toolPath(_ name: String) throws -> String {
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
    for directory in directories {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw MissingTool(name: name)
}

/// Runs `tool` and throws with its output unless it exits 0.
@discardableResult
public func runTool(_ tool: String, _ arguments: [String]) async throws -> ProcessOutput {
    let output = try await runProcess(tool, arguments)
    guard output.succeeded else { throw ToolFailed(command: ([tool] + arguments).joined(separator: " "), output: output) }
    return output
}

/// Links each fixture once per test process, in a shared temporary folder.
public actor FixtureBuilder {
    public static let shared = FixtureBuilder()

    private var builds: [String: Task<URL, any Error>] = [:]
    private var root: URL?

    /// The linked ELF of `fixture` (`<name>.elf`), built on first use.
    public func elf(_ fixture: ELFFixture) async throws -> URL {
        if let build = builds[fixture.name] { return try await build.value }
        let folder = try rootFolder().appendingPathComponent(fixture.name)
        let build = Task { try await Self.link(fixture, in: folder) }
        builds[fixture.name] = build
        return try await build.value
    }

    /// The ELF's bytes.
    public func elfBytes(_ fixture: ELFFixture) async throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try await elf(fixture)))
    }

    private func rootFolder() throws -> URL {
        if let root { return root }
        let made = try temporaryDirectory("mlprov-elf-fixtures")
        root = made
        return made
    }

    private static func link(_ fixture: ELFFixture, in folder: URL) async throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let source = folder.appendingPathComponent("\(fixture.name).\(fixture.language.rawValue)")
        let script = folder.appendingPathComponent("\(fixture.name).ld")
        let elf = folder.appendingPathComponent("\(fixture.name).elf")
        try Data(fixture.source.utf8).write(to: source)
        try Data(fixture.linkerScript.utf8).write(to: script)
        try await runTool(
            try toolPath("xtensa-lx106-elf-gcc"),
            fixture.compilerFlags + ["-T", script.path, "-o", elf.path, source.path])
        return elf
    }
}

// MARK: - esptool, the reference peer

/// The index of the first byte where `a` and `b` differ (the shorter length when one is a prefix).
public func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a.indices, zip(a, b)).first { $0.1.0 != $0.1.1 }?.0 ?? min(a.count, b.count)
}

/// Every file in `folder`, by name.
public func filesIn(_ folder: URL) throws -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
        files[name] = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }
    return files
}

/// `esptool --chip esp8266 elf2image ELF -o DIR/ [extra]`: every file it wrote, by name.
public func esptoolElf2Image(_ elf: URL, _ extra: [String] = []) async throws -> [String: [UInt8]] {
    let folder = try temporaryDirectory("esptool-elf2image")
    defer { try? FileManager.default.removeItem(at: folder) }
    try await runTool(esptoolBinary, ["--chip", "esp8266", "elf2image", elf.path, "-o", folder.path + "/"] + extra)
    return try filesIn(folder)
}

/// `esptool --chip esp8266 merge-bin -o OUT [flags] OFFSET FILE…` with each part written to
/// a file named after it; the merged bytes, or the failed run.
public func esptoolMergeBin(_ parts: [MergeBin.Part], _ flags: [String] = []) async throws -> Result<[UInt8], ToolFailed> {
    let folder = try temporaryDirectory("esptool-merge-bin")
    defer { try? FileManager.default.removeItem(at: folder) }
    var arguments = ["--chip", "esp8266", "merge-bin", "-o", folder.appendingPathComponent("merged.bin").path] + flags
    for part in parts {
        let url = folder.appendingPathComponent(part.name)
        try Data(part.bytes).write(to: url)
        arguments += [hex(part.offset), url.path]
    }
    let output = try await runProcess(esptoolBinary, arguments)
    guard output.succeeded else { return .failure(ToolFailed(command: "esptool merge-bin", output: output)) }
    return .success([UInt8](try Data(contentsOf: folder.appendingPathComponent("merged.bin"))))
}

/// What `esptool --chip esp8266 image-info FILE` printed, read into fields.
public struct EsptoolImageInfo: Equatable {
    public init() {}

    public struct Segment: Equatable {
        public var index: Int
        public var length: Int
        public var loadAddress: UInt32
        public var fileOffset: Int
        public var memory: String

        public init(index: Int, length: Int, loadAddress: UInt32, fileOffset: Int, memory: String) {
            self.index = index
            self.length = length
            self.loadAddress = loadAddress
            self.fileOffset = fileOffset
            self.memory = memory
        }
    }
    public var imageSize: Int?
    public var entry: UInt32?
    public var segmentCount: Int?
    public var flashSize: String?
    public var flashFreq: String?
    public var flashMode: String?
    public var segments: [Segment] = []
    public var checksum: UInt8?
    public var checksumValid: Bool?
    public var calculatedChecksum: UInt8?
}

public func esptoolImageInfo(_ bytes: [UInt8]) async throws -> EsptoolImageInfo {
    let folder = try temporaryDirectory("esptool-image-info")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("image.bin")
    try Data(bytes).write(to: file)
    let output = try await runTool(esptoolBinary, ["--chip", "esp8266", "image-info", file.path])
    return parseEsptoolImageInfo(output.stdout)
}

public func parseEsptoolImageInfo(_ text: String) -> EsptoolImageInfo {
    var info = EsptoolImageInfo()
    func value(_ line: String, after prefix: String) -> String? {
        line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) : nil
    }
    func number(_ text: String) -> UInt64? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let line = String(rawLine)
        if let size = value(line, after: "Image size:") {
            info.imageSize = Int(size.split(separator: " ").first ?? "")
        } else if let entry = value(line, after: "Entry point:") {
            info.entry = number(entry).map { UInt32($0) }
        } else if let count = value(line, after: "Segments:") {
            info.segmentCount = Int(count)
        } else if let size = value(line, after: "Flash size:") {
            info.flashSize = size
        } else if let freq = value(line, after: "Flash freq:") {
            info.flashFreq = freq
        } else if let mode = value(line, after: "Flash mode:") {
            info.flashMode = mode
        } else if let checksum = value(line, after: "Checksum:") {
            let words = checksum.split(separator: " ").map(String.init)
            info.checksum = number(words[0]).map { UInt8($0) }
            info.checksumValid = checksum.contains("(valid)")
            if let calculated = words.last, calculated.hasPrefix("0x") {
                info.calculatedChecksum = number(String(calculated.prefix { $0 != ")" })).map { UInt8($0) }
            }
        } else {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if fields.count >= 4, let index = Int(fields[0]), fields[1].hasPrefix("0x"),
               let length = number(fields[1]), let address = number(fields[2]), let offset = number(fields[3]) {
                info.segments.append(.init(
                    index: index, length: Int(length), loadAddress: UInt32(address), fileOffset: Int(offset),
                    memory: fields.dropFirst(4).joined(separator: " ")))
            }
        }
    }
    return info
}
