import Basics
import DeviceSim
import ESPImage
import ESPProtocol
import Foundation
import Testing
import TestSupport

/// esptool's default path (its own stub uploaded to RAM, compressed writes, MD5 checks,
/// baud change through the stub) against the twin on a pseudo-terminal.
@Suite("esptool's stub path against the twin", .serialized)
struct EsptoolStubModeTests {
    /// 1 MiB of a pattern, so any erase beyond what is asked shows up.
    static let pattern: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: ($0 >> 4) &* 31 &+ $0) }

    static func common(_ pty: String) -> [String] {
        ["--chip", "esp8266", "--port", pty, "--before", "no-reset", "--after", "no-reset"]
    }

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

    /// Runs esptool against a twin holding `flash`; returns its output and the twin.
    static func esptool(_ arguments: [String], flash: [UInt8] = pattern, timing: TimingModel = .off) async throws -> (ProcessOutput, ESP8266Twin) {
        let twin = try ESP8266Twin(configuration: TwinConfiguration(timing: timing), flashContents: flash)
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        let output = try await runProcess(esptoolBinary, common(front.slavePath) + arguments, timeout: .seconds(240))
        return (output, twin)
    }

    @Test("write-flash through esptool's stub leaves the same file sectors as --no-stub and erases nothing else")
    func stubWriteEqualsNoStubWrite() async throws {
        let folder = try temporaryDirectory()
        let parts = try Self.writeSampleSet(to: folder)
        let write = ["write-flash", "--flash-mode", "dout", "--flash-size", "1MB"] + parts
        let (stub, stubTwin) = try await Self.esptool(write)
        #expect(stub.succeeded, "\(stub)")
        #expect(stub.stdout.contains("Stub flasher running"), "\(stub)")
        #expect(stub.stdout.contains("Hash of data verified"), "\(stub)")
        #expect(stubTwin.counters.count(.flashDeflData) > 0)
        let stubFailures = stubTwin.events.filter { if case .stubRequest(_, .some) = $0 { true } else { false } }
        #expect(stubFailures.isEmpty, "\(stubFailures)")

        let (rom, romTwin) = try await Self.esptool(["--no-stub"] + write)
        #expect(rom.succeeded, "\(rom)")
        #expect(romTwin.counters.count(.flashDeflData) == 0)

        let byStub = stubTwin.flash.contents
        let byROM = romTwin.flash.contents
        #expect(byteDifference(byStub, Self.pattern) != nil, "the stub wrote nothing: the comparison would prove nothing")
        // Every sector a file touches: byte-identical to what --no-stub left.
        let sectorSize = ESP8266.flashSectorSize
        var touched = Set<Int>()
        for file in SampleImageSet.meterLogger() {
            touched.formUnion((file.offset / sectorSize)...((file.offset + file.bytes.count - 1) / sectorSize))
        }
        for sector in touched.sorted() {
            let range = (sector * sectorSize)..<((sector + 1) * sectorSize)
            #expect(byteDifference(byStub[range], byROM[range], base: range.lowerBound) == nil, "sector \(hex(range.lowerBound))")
        }
        // Elsewhere the stub erased nothing; the ROM path may only have erased more
        // (esptool cannot compensate the ROM's erase bug exactly for one-sector parts).
        for sector in 0..<(Self.pattern.count / sectorSize) where !touched.contains(sector) {
            let range = (sector * sectorSize)..<((sector + 1) * sectorSize)
            #expect(byteDifference(byStub[range], Self.pattern[range], base: range.lowerBound) == nil, "sector \(hex(range.lowerBound))")
            if byteDifference(byROM[range], Self.pattern[range]) != nil {
                #expect(byROM[range].allSatisfy { $0 == 0xFF }, "the ROM path changed sector \(hex(range.lowerBound)) other than by erasing it")
            }
        }
        #expect(byteDifference(byStub[0x76000..<0x79000], Self.pattern[0x76000..<0x79000], base: 0x76000) == nil)
    }

    @Test("with realistic timing (paced line, erase and program times) esptool's stub path still succeeds")
    func realisticTimingStubWrite() async throws {
        let folder = try temporaryDirectory()
        let parts = try Self.writeSampleSet(to: folder)
        let (output, twin) = try await Self.esptool(
            ["--baud", "921600", "write-flash", "--flash-mode", "dout", "--flash-size", "1MB"] + parts, timing: .realistic)
        #expect(output.succeeded, "\(output)")
        #expect(output.stdout.contains("Hash of data verified"), "\(output)")
        let counters = twin.counters
        // Exact erases: the set's sectors only (0x00000: 10, 0x10000: 69, 0x60000: 2, 0xFC000: 1, 0xFE000: 1).
        #expect(counters.sectorsErased == 83)
        #expect(counters.flashBusyTime > .zero)
    }

    @Test("read-flash through the stub returns the twin's bytes")
    func readFlashReturnsTheTwinsBytes() async throws {
        let folder = try temporaryDirectory()
        let out = folder.appendingPathComponent("read.bin")
        let (output, _) = try await Self.esptool(["read-flash", "0x10800", "0x5300", out.path])
        #expect(output.succeeded, "\(output)")
        let read = try [UInt8](Data(contentsOf: out))
        #expect(byteDifference(read, Self.pattern[0x10800..<(0x10800 + 0x5300)], base: 0x10800) == nil)
    }

    @Test("erase-region through the stub erases exactly the region")
    func eraseRegionErasesExactly() async throws {
        let (output, twin) = try await Self.esptool(["erase-region", "0x21000", "0x3000"])
        #expect(output.succeeded, "\(output)")
        let flash = twin.flash.contents
        #expect(flash[0x21000..<0x24000].allSatisfy { $0 == 0xFF })
        #expect(byteDifference(flash[0..<0x21000], Self.pattern[0..<0x21000]) == nil)
        #expect(byteDifference(flash[0x24000...], Self.pattern[0x24000...], base: 0x24000) == nil)
        #expect(twin.counters.count(.eraseRegion) == 1)
    }

    @Test("--baud 460800 is reached through the stub's CHANGE_BAUDRATE")
    func baudChangeThroughTheStub() async throws {
        let folder = try temporaryDirectory()
        let image = (0..<0x9000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 8) }
        let file = folder.appendingPathComponent("b.bin")
        try Data(image).write(to: file)
        let (output, twin) = try await Self.esptool(["--baud", "460800", "write-flash", "0x30000", file.path])
        #expect(output.succeeded, "\(output)")
        #expect(output.stdout.contains("Changed"), "\(output)")
        #expect(twin.counters.count(.changeBaudRate) == 1)
        #expect(twin.counters.ignoredFrames == 0)
        #expect(byteDifference(twin.flash.contents[0x30000..<0x39000], image, base: 0x30000) == nil)
    }

    @Test("verify-flash uses the stub's MD5 and notices a changed byte")
    func verifyFlashUsesTheStubsMD5() async throws {
        let folder = try temporaryDirectory()
        let file = folder.appendingPathComponent("region.bin")
        try Data(Self.pattern[0x40000..<0x48000]).write(to: file)
        let (same, sameTwin) = try await Self.esptool(["verify-flash", "0x40000", file.path])
        #expect(same.succeeded, "\(same)")
        #expect(sameTwin.counters.count(.spiFlashMD5) >= 1)

        var changed = Self.pattern
        changed[0x44321] ^= 0x10
        let (different, _) = try await Self.esptool(["verify-flash", "0x40000", file.path], flash: changed)
        #expect(!different.succeeded, "\(different)")
    }
}
