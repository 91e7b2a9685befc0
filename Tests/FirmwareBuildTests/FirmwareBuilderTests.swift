import FirmwareBuild
import Foundation
import Testing
import TestSupport

/// FirmwareBuilder against small make-based source trees: real make runs, real files.
@Suite("Firmware builder")
struct FirmwareBuilderTests {
    static let key = "ef500c9268cf749016d26d6cbfaaf7bf"

    /// A source tree whose Makefile writes MeterLogger's three outputs from its variables,
    /// and (deliberately careless) echoes KEY into its log.
    static func makeSource(makefileExtra: String = "") throws -> URL {
        let root = try temporaryDirectory("fwsrc")
        let makefile = """
            all:
            \t@mkdir -p firmware
            \t@echo "building with KEY=$(KEY) SERIAL=$(SERIAL) EN61107=$(EN61107)"
            \t@printf 'image %s %s %s' "$(EN61107)" "$(KEY)" "$(SERIAL)" > firmware/0x00000.bin
            \t@printf 'irom %s' "$(EN61107)" > firmware/0x10000.bin
            \t@printf 'espfs' > webpages.espfs
            \t@sleep 0.2
            \(makefileExtra)
            clean:
            \t@rm -rf firmware webpages.espfs

            """
        try makefile.write(to: root.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: 128).write(to: root.appendingPathComponent("bin/init.bin"))
        return root
    }

    static func request(_ source: URL, en61107: String = "0", key: String = key, serial: String = "9999999") -> BuildRequest {
        BuildRequest(
            source: SourceTree(directory: source),
            variables: [MakeVariable("EN61107", en61107)],
            secrets: [MakeVariable("KEY", key), MakeVariable("SERIAL", serial)],
            initDataPath: "bin/init.bin", label: en61107 == "1" ? "mc66c" : "kmp")
    }

    @Test("a build yields the five parts at MeterLogger's offsets, with the secrets given to make")
    func buildsFiveParts() async throws {
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        let outcome = try await builder.build(Self.request(try Self.makeSource()))
        #expect(!outcome.cacheHit)
        let parts = outcome.artefacts.parts
        #expect(parts.map(\.name) == ["0x00000.bin", "0x10000.bin", "webpages.espfs", "esp_init_data_default_112th_byte_0x03.bin", "blank.bin"])
        #expect(parts.map(\.offset) == [0x00000, 0x10000, 0x60000, 0xFC000, 0xFE000])
        let image = try String(contentsOfFile: parts[0].path, encoding: .utf8)
        #expect(image == "image 0 \(Self.key) 9999999")
        #expect(try Data(contentsOf: URL(fileURLWithPath: parts[3].path)) == Data(repeating: 0x5A, count: 128))
        #expect(try Data(contentsOf: URL(fileURLWithPath: parts[4].path)) == Data(repeating: 0xFF, count: 4096))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outcome.artefacts.manifest))) as? [String: Any]
        let builds = try #require(manifest?["builds"] as? [[String: Any]])
        #expect(builds.first?["chipFamily"] as? String == "ESP8266")
        #expect((builds.first?["parts"] as? [[String: Any]])?.count == 5)
    }

    @Test("the build log never holds the key or the serial, even when the Makefile prints them")
    func logIsRedacted() async throws {
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        let outcome = try await builder.build(Self.request(try Self.makeSource()))
        let log = try String(contentsOfFile: outcome.artefacts.log, encoding: .utf8)
        #expect(log.contains("building with KEY=<KEY redacted> SERIAL=<SERIAL redacted> EN61107=0"), "\(log)")
        #expect(!log.contains(Self.key))
        #expect(!log.contains(Self.key.uppercased()))
        #expect(!log.contains("9999999"))
    }

    @Test("artefacts are private: folders 0700, files 0600")
    func artefactsArePrivate() async throws {
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        let outcome = try await builder.build(Self.request(try Self.makeSource()))
        let folder = try FileManager.default.attributesOfItem(atPath: outcome.artefacts.directory)[.posixPermissions] as? Int
        #expect(folder == 0o700)
        for path in outcome.artefacts.parts.map(\.path) + [outcome.artefacts.manifest, outcome.artefacts.log] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(path)")
        }
    }

    @Test("the same request again is a cache hit and make does not run; another key or variable is a miss")
    func cacheHitsAndMisses() async throws {
        let cache = try temporaryDirectory("cache")
        let builder = FirmwareBuilder(cacheRoot: cache, esptool: "esptool")
        let source = try Self.makeSource()
        let first = try await builder.build(Self.request(source))
        let second = try await builder.build(Self.request(source))
        #expect(second.cacheHit)
        #expect(second.artefacts == first.artefacts)
        let otherKey = try await builder.build(Self.request(source, key: "00112233445566778899aabbccddeeff"))
        #expect(!otherKey.cacheHit)
        #expect(otherKey.artefacts.cacheKey != first.artefacts.cacheKey)
        let otherVariant = try await builder.build(Self.request(source, en61107: "1"))
        #expect(!otherVariant.cacheHit)
        // The cache key is a hash: the key does not appear in any path.
        #expect(!first.artefacts.directory.contains(Self.key))
    }

    @Test("changing a source file invalidates the cache; build outputs left in the tree do not")
    func sourceChangesInvalidate() async throws {
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        let source = try Self.makeSource()
        let first = try await builder.build(Self.request(source))
        try FileManager.default.createDirectory(at: source.appendingPathComponent("firmware"), withIntermediateDirectories: true)
        try Data("stale".utf8).write(to: source.appendingPathComponent("firmware/0x00000.bin"))
        #expect(try await builder.build(Self.request(source)).cacheHit)
        try "// a change\n".write(to: source.appendingPathComponent("user_main.c"), atomically: true, encoding: .utf8)
        let changed = try await builder.build(Self.request(source))
        #expect(!changed.cacheHit)
        #expect(changed.artefacts.cacheKey != first.artefacts.cacheKey)
    }

    @Test("parallel builds of different variants run in separate copies and each gets its own outputs")
    func parallelBuildsDoNotCollide() async throws {
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        let source = try Self.makeSource()
        let requests = (0..<6).map { index in
            Self.request(source, en61107: index % 2 == 0 ? "0" : "1", serial: "10000\(index)")
        }
        let results = await builder.build(requests, jobs: 3)
        for (index, result) in results.enumerated() {
            let outcome = try result.get()
            let image = try String(contentsOfFile: outcome.artefacts.parts[0].path, encoding: .utf8)
            #expect(image == "image \(index % 2 == 0 ? "0" : "1") \(Self.key) 10000\(index)")
        }
        // Nothing was built inside the source tree itself.
        #expect(!FileManager.default.fileExists(atPath: source.appendingPathComponent("webpages.espfs").path))
    }

    @Test("a failing make reports the end of its log, redacted, and keeps the whole log")
    func makeFailureSurfaces() async throws {
        let source = try Self.makeSource(makefileExtra: "\t@echo 'user_main.c:12: error: expected ; before KEY $(KEY)'\n\t@false\n")
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        var caught: BuildError?
        do {
            _ = try await builder.build(Self.request(source))
        } catch {
            caught = error as? BuildError
        }
        let error = try #require(caught, "a failing make must throw")
        guard case .makeFailed(let label, let code, let tail, let logPath) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(label == "kmp")
        #expect(code == 2)
        #expect(tail.contains { $0.contains("user_main.c:12: error: expected ; before KEY <KEY redacted>") }, "\(tail)")
        #expect(!error.description.contains(Self.key))
        #expect(FileManager.default.fileExists(atPath: logPath))
    }

    @Test("a Makefile that does not write an expected output is reported by name")
    func missingOutput() async throws {
        let root = try temporaryDirectory("fwsrc")
        try "all:\n\t@true\nclean:\n\t@true\n".write(to: root.appendingPathComponent("Makefile"), atomically: true, encoding: .utf8)
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        await #expect(throws: BuildError.outputMissing(label: "kmp", path: "firmware/0x00000.bin")) {
            try await builder.build(Self.request(root))
        }
    }

    @Test("a missing source folder is named")
    func missingSource() async throws {
        let builder = FirmwareBuilder(cacheRoot: try temporaryDirectory("cache"), esptool: "esptool")
        let nowhere = URL(fileURLWithPath: "/nonexistent/firmware")
        await #expect(throws: BuildError.sourceMissing(path: "/nonexistent/firmware")) {
            try await builder.build(Self.request(nowhere))
        }
    }
}
