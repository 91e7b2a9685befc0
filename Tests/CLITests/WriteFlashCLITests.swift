import ESPImage
import Foundation
import Testing
import TestSupport

/// The `mlprov` binary against the twin on a pseudo-terminal: the real termios code path.
@Suite("mlprov on a pseudo-terminal twin", .serialized)
struct WriteFlashCLITests {
    @Test("chip-info --json over a pty reports the twin's MAC and chip id")
    func chipInfoOverPTY() async throws {
        let (result, _) = try await withSimProcess(["--pty", "--mac", "ac:d0:74:0a:0b:0c"]) { pty in
            try await runProcess(mlprovBinary, ["chip-info", "--port", pty, "--before", "no-reset", "--after", "no-reset", "--json"])
        }
        #expect(result.succeeded, "\(result)")
        let json = try #require(result.stdout.split(separator: "\n").last.map(String.init))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["mac"] as? String == "ac:d0:74:0a:0b:0c")
        #expect(object["chip_id"] as? String == "0x010a0b0c")
        #expect(object["chip"] as? String == "ESP8266EX")
    }

    @Test("writing 64 KiB at 0x60000 leaves the saved configuration at 0x76000-0x78FFF byte-identical")
    func eraseBugIsCompensated() async throws {
        let folder = try temporaryDirectory()
        let flashFile = folder.appendingPathComponent("flash.bin")
        try EsptoolPeerTests.writePatternFlash(to: flashFile)
        let before = [UInt8](try Data(contentsOf: flashFile))
        let payload = folder.appendingPathComponent("webpages.espfs")
        try Data((0..<65536).map { UInt8(truncatingIfNeeded: $0 * 7) }).write(to: payload)

        let (result, sim) = try await withSimProcess(["--pty", "--flash", flashFile.path]) { pty in
            try await runProcess(mlprovBinary, [
                "write-flash", "--port", pty, "--before", "no-reset", "--after", "no-reset", "0x60000", payload.path,
            ])
        }
        #expect(result.succeeded, "\(result)")
        #expect(sim.succeeded, "\(sim)")
        let after = [UInt8](try Data(contentsOf: flashFile))
        #expect(byteDifference(after[0x60000..<0x70000], [UInt8](try Data(contentsOf: payload)), base: 0x60000) == nil)
        #expect(byteDifference(after[0x70000...], before[0x70000...], base: 0x70000) == nil, "something after the part was erased")
        #expect(byteDifference(after[..<0x60000], before[..<0x60000]) == nil)
    }

    @Test("a plan that would erase the saved configuration is refused before the port is opened")
    func protectedRegionIsRefused() async throws {
        let folder = try temporaryDirectory()
        let payload = folder.appendingPathComponent("big.bin")
        try Data(repeating: 0x42, count: 0x10000).write(to: payload)
        let result = try await runProcess(mlprovBinary, [
            "write-flash", "--port", "/dev/nonexistent-port", "0x70000", payload.path,
        ])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("MeterLogger saved configuration"), "\(result)")
        #expect(result.stderr.contains("--allow-protected"), "\(result)")
        #expect(!result.stderr.contains("nonexistent"), "the port must not even be opened: \(result)")
    }

    @Test("the last sector and the sector just below the saved configuration are written through the stub, exactly; the ROM alone is refused before the port is opened")
    func stubWritesWhatTheROMsEraseBugCannot() async throws {
        let folder = try temporaryDirectory()
        let flashFile = folder.appendingPathComponent("flash.bin")
        try EsptoolPeerTests.writePatternFlash(to: flashFile)
        let before = [UInt8](try Data(contentsOf: flashFile))
        var random = SplitMix64(seed: 0x1A57)
        let last = folder.appendingPathComponent("last.bin"), edge = folder.appendingPathComponent("edge.bin")
        try Data(random.bytes(0x1000)).write(to: last)
        try Data(random.bytes(0x1000)).write(to: edge)

        // The ROM alone: its erase bug would erase past the 1 MB chip (wrapping to sector 0)
        // or into the saved configuration. Refused before the port is opened.
        for (offset, file, reason) in [("0xFF000", last, "wraps to sector 0"), ("0x75000", edge, "MeterLogger saved configuration")] {
            let refused = try await runProcess(mlprovBinary, ["write-flash", "--port", "/dev/nonexistent-port", "--no-stub", offset, file.path])
            #expect(refused.exitCode == 1, "\(refused)")
            #expect(refused.stderr.contains(reason), "\(refused)")
            #expect(!refused.stderr.contains("nonexistent"), "the port must not even be opened: \(refused)")
        }

        let (result, sim) = try await withSimProcess(["--pty", "--flash", flashFile.path]) { pty in
            try await runProcess(mlprovBinary, [
                "write-flash", "--port", pty, "--before", "no-reset", "--after", "no-reset", "--json",
                "0x75000", edge.path, "0xFF000", last.path,
            ])
        }
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout.contains("\"loader\":\"stub\""), "\(result)")
        #expect(sim.succeeded, "\(sim)")
        let after = [UInt8](try Data(contentsOf: flashFile))
        #expect(byteDifference(after[0xFF000..<0x100000], [UInt8](try Data(contentsOf: last)), base: 0xFF000) == nil)
        #expect(byteDifference(after[0x75000..<0x76000], [UInt8](try Data(contentsOf: edge)), base: 0x75000) == nil)
        #expect(byteDifference(after[0x76000..<0xFF000], before[0x76000..<0xFF000], base: 0x76000) == nil, "the saved configuration and all after it are untouched")
        #expect(byteDifference(after[..<0x75000], before[..<0x75000]) == nil, "sector 0 and all before the part are untouched")
    }

    @Test("erase-region of the last sector goes through the stub and erases exactly it; with --no-stub it is refused before the port is opened")
    func lastSectorErase() async throws {
        let folder = try temporaryDirectory()
        let flashFile = folder.appendingPathComponent("flash.bin")
        try EsptoolPeerTests.writePatternFlash(to: flashFile)
        let before = [UInt8](try Data(contentsOf: flashFile))
        let refused = try await runProcess(mlprovBinary, ["erase-region", "--port", "/dev/nonexistent-port", "--no-stub", "0xFF000", "0x1000"])
        #expect(refused.exitCode == 1, "\(refused)")
        #expect(refused.stderr.contains("wraps to sector 0"), "\(refused)")
        #expect(!refused.stderr.contains("nonexistent"), "\(refused)")

        let (result, sim) = try await withSimProcess(["--pty", "--flash", flashFile.path]) { pty in
            try await runProcess(mlprovBinary, ["erase-region", "--port", pty, "--before", "no-reset", "--after", "no-reset", "0xFF000", "0x1000"])
        }
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout.contains("Erased 0x000ff000–0x000fffff"), "\(result)")
        #expect(sim.succeeded, "\(sim)")
        let after = [UInt8](try Data(contentsOf: flashFile))
        #expect(after[0xFF000..<0x100000].allSatisfy { $0 == 0xFF })
        #expect(byteDifference(after[..<0xFF000], before[..<0xFF000]) == nil, "only the last sector was erased")
    }

    @Test("an unplugged port fails with the port's name and exit code 1")
    func missingPortNamesThePort() async throws {
        let folder = try temporaryDirectory()
        let payload = folder.appendingPathComponent("a.bin")
        try Data(repeating: 0x42, count: 100).write(to: payload)
        let result = try await runProcess(mlprovBinary, ["write-flash", "--port", "/dev/ttyUSB-missing", "0x0", payload.path])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("/dev/ttyUSB-missing"), "\(result)")
    }

    @Test("with --json a failure is one JSON object with ok false and the error, and exit code 1")
    func jsonFailure() async throws {
        let result = try await runProcess(mlprovBinary, ["chip-info", "--port", "/dev/ttyUSB-missing", "--json"])
        #expect(result.exitCode == 1, "\(result)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect((object["error"] as? String)?.contains("/dev/ttyUSB-missing") == true)
    }
}
