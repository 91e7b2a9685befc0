import Basics
import ESPImage
import Foundation
import Testing
import TestSupport

/// esptool, written by others, is the independent peer: it must accept the twin as a real
/// ESP8266, and mlprov must leave the twin's flash exactly as esptool does.
@Suite("esptool as the independent peer", .serialized)
struct EsptoolPeerTests {
    static let mac = "18:fe:34:12:34:56"

    /// The MeterLogger set as OFFSET FILE arguments, written to `folder`.
    static func writeSampleSet(to folder: URL) throws -> [String] {
        var arguments: [String] = []
        for file in SampleImageSet.meterLogger() {
            let url = folder.appendingPathComponent(file.name)
            try Data(file.bytes).write(to: url)
            arguments += [hex(file.offset, digits: 5), url.path]
        }
        return arguments
    }

    /// A 1 MiB flash file filled with a pattern, so erases beyond what is asked show up.
    static func writePatternFlash(to url: URL) throws {
        let pattern = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: ($0 >> 4) &* 31 &+ $0) }
        try Data(pattern).write(to: url)
    }

    /// Both through the ROM loader alone (--no-stub: the ROM's erase bug, compensated alike),
    /// and both through their stubs (esptool's, emulated by the twin, and mlprov's own):
    /// the same arguments leave the same flash.
    @Test("esptool and mlprov write-flash with the same arguments leave byte-identical flash on the twin", arguments: [true, false])
    func esptoolAndMlprovAgreeByteForByte(noStub: Bool) async throws {
        let stubArguments = noStub ? ["--no-stub"] : []
        let folder = try temporaryDirectory()
        let parts = try Self.writeSampleSet(to: folder)
        let esptoolFlash = folder.appendingPathComponent("flash-esptool.bin")
        let mlprovFlash = folder.appendingPathComponent("flash-mlprov.bin")
        try Self.writePatternFlash(to: esptoolFlash)
        try Self.writePatternFlash(to: mlprovFlash)
        let original = try Data(contentsOf: esptoolFlash)

        let (esptool, esptoolSim) = try await withSimProcess(["--pty", "--flash", esptoolFlash.path]) { pty in
            try await runProcess(esptoolBinary, [
                "--chip", "esp8266", "--port", pty, "--before", "no-reset", "--after", "no-reset",
            ] + stubArguments + ["write-flash", "--flash-mode", "dout", "--flash-size", "1MB"] + parts)
        }
        #expect(esptool.succeeded, "\(esptool)")
        #expect(esptoolSim.succeeded, "\(esptoolSim)")

        let (mlprov, mlprovSim) = try await withSimProcess(["--pty", "--flash", mlprovFlash.path]) { pty in
            try await runProcess(mlprovBinary, [
                "write-flash", "--port", pty, "--baud", "115200", "--before", "no-reset", "--after", "no-reset",
                "--flash-mode", "dout", "--flash-size", "1MB", "--json",
            ] + stubArguments + parts)
        }
        #expect(mlprov.succeeded, "\(mlprov)")
        #expect(mlprov.stdout.contains(noStub ? "\"loader\":\"rom\"" : "\"loader\":\"stub\""), "\(mlprov.stdout)")
        #expect(mlprovSim.succeeded, "\(mlprovSim)")

        let byEsptool = try Data(contentsOf: esptoolFlash)
        let byMlprov = try Data(contentsOf: mlprovFlash)
        #expect(byEsptool.count == 1 << 20)
        #expect(byteDifference(byEsptool, original) != nil, "esptool changed nothing: the comparison would prove nothing")
        #expect(byteDifference(byMlprov, byEsptool) == nil, "mlprov's flash against esptool's")

        // And both hold the set: the image at 0 with its header set to dout/1MB/40m.
        let flash = [UInt8](byMlprov)
        for file in SampleImageSet.meterLogger() {
            var expected = file.bytes
            if file.offset == 0 { expected[2] = 0x03; expected[3] = 0x20 }
            #expect(byteDifference(flash[file.offset..<file.offset + expected.count], expected, base: file.offset) == nil, "\(file.name)")
        }
        // MeterLogger's saved configuration survived both.
        #expect(byteDifference(flash[0x76000..<0x79000], [UInt8](original)[0x76000..<0x79000], base: 0x76000) == nil)
    }

    @Test("esptool's read-mac and chip-id report the twin's configured MAC and chip id")
    func esptoolReadsTheTwinsIdentity() async throws {
        let (outputs, sim) = try await withSimProcess(["--pty", "--mac", Self.mac]) { pty in
            let common = ["--chip", "esp8266", "--port", pty, "--before", "no-reset", "--after", "no-reset", "--no-stub"]
            return [
                try await runProcess(esptoolBinary, common + ["read-mac"]),
                try await runProcess(esptoolBinary, common + ["chip-id"]),
            ]
        }
        #expect(sim.succeeded, "\(sim)")
        #expect(outputs[0].succeeded, "\(outputs[0])")
        #expect(Self.field("MAC", in: outputs[0].stdout) == Self.mac, "\(outputs[0])")
        #expect(outputs[1].succeeded, "\(outputs[1])")
        // Chip id = (MAC0 >> 24) | ((MAC1 & 0xFFFFFF) << 8): the MAC's last three bytes here.
        #expect(Self.field("Chip ID", in: outputs[1].stdout) == "0x00123456", "\(outputs[1])")
    }

    /// The value after "NAME:" on esptool's first line that starts with it (esptool pads
    /// with spaces to align its columns).
    static func field(_ name: String, in output: String) -> String? {
        for line in output.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).lowercased()
        }
        return nil
    }
}
