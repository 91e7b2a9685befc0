import Basics
import ESPImage
import Foundation
import Testing
import TestSupport

/// esptool's command-line spelling of flash settings ("keep" where nil).
private func esptoolFlags(_ flash: FlashParameters) -> [String] {
    ["--flash-mode", flash.mode?.name ?? "keep", "--flash-size", flash.size?.name ?? "keep",
     "--flash-freq", flash.frequency?.name ?? "keep"]
}

/// The MeterLogger file set with the app built from the MeterLogger-like fixture.
private func meterLoggerParts() async throws -> [MergeBin.Part] {
    let built = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.withIROM))
    let sample = SampleImageSet.meterLogger()
    return built.files.map { MergeBin.Part(name: $0.name, offset: $0.offset, bytes: $0.bytes) }
        + sample.dropFirst(2).map { MergeBin.Part(name: $0.name, offset: $0.offset, bytes: $0.bytes) }
}

private func samplePart(_ index: Int) -> MergeBin.Part {
    let file = SampleImageSet.meterLogger()[index]
    return MergeBin.Part(name: file.name, offset: file.offset, bytes: file.bytes)
}

private func expectSameAsEsptool(_ parts: [MergeBin.Part], flash: FlashParameters, extra: [String] = [],
                                 targetOffset: Int = 0, padToSize: Int? = nil,
                                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let ours = try MergeBin.merge(parts, flash: flash, targetOffset: targetOffset, padToSize: padToSize).bytes
    let theirs = try await esptoolMergeBin(parts, esptoolFlags(flash) + extra).get()
    #expect(ours == theirs, "lengths \(ours.count)/\(theirs.count), first difference at byte \(firstDifference(ours, theirs))",
            sourceLocation: sourceLocation)
}

@Suite("merge-bin is byte-identical to esptool")
struct MergeBinEsptoolTests {
    @Test("MeterLogger's five files with DOUT, 1MB, 40m, and with every setting kept", arguments: [
        FlashParameters.dout1MB40MHz, FlashParameters(), FlashParameters(mode: .dio, size: .size4MB, frequency: .mhz80),
        FlashParameters(size: .size2MBc1),
    ])
    func meterLoggerSet(flash: FlashParameters) async throws {
        try await expectSameAsEsptool(try await meterLoggerParts(), flash: flash)
    }

    @Test("parts given out of order, first part at 0x1000 after 0xFF, an image not at 0 left alone")
    func unorderedWithLeadingGap() async throws {
        let built = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.oddSections))
        let parts = [
            MergeBin.Part(name: "late.bin", offset: 0x5000, bytes: [1, 2, 3]),
            MergeBin.Part(name: "image-at-1000.bin", offset: 0x1000, bytes: built.image),
            MergeBin.Part(name: "odd.bin", offset: 0x3010, bytes: Array(repeating: 0xA5, count: 0x7F1)),
        ]
        try await expectSameAsEsptool(parts, flash: .dout1MB40MHz)
        let merged = try MergeBin.merge(parts, flash: .dout1MB40MHz)
        #expect(merged.bytes.prefix(0x1000).allSatisfy { $0 == 0xFF })
        #expect(Array(merged.bytes[0x1000..<0x1000 + built.image.count]) == built.image)
        #expect(merged.bytes.count == 0x5003)
        #expect(merged.parts.map(\.name) == ["image-at-1000.bin", "odd.bin", "late.bin"])
        #expect(merged.headerPatch == .untouched)
    }

    @Test("something that is not a valid image at 0 is copied unchanged even with flash flags")
    func notAnImageAtZero() async throws {
        let image = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.withIROM)).image
        let cases: [[UInt8]] = [
            Array(repeating: 0x00, count: 64),          // no magic
            [0xE9, 0x01, 0x00],                         // shorter than a header
            Array(image.dropLast()),                     // checksum byte missing
            [0xE9, 17] + Array(image.dropFirst(2)),      // 17 segments
        ]
        for bytes in cases {
            let parts = [MergeBin.Part(name: "zero.bin", offset: 0, bytes: bytes), samplePart(4)]
            try await expectSameAsEsptool(parts, flash: .dout1MB40MHz)
            let merged = try MergeBin.merge(parts, flash: .dout1MB40MHz)
            #expect(Array(merged.bytes.prefix(bytes.count)) == bytes)
            guard case .notAnImage(part: "zero.bin", _) = merged.headerPatch else {
                Issue.record("expected notAnImage, got \(merged.headerPatch)")
                continue
            }
        }
    }

    @Test("an image with a wrong checksum is still patched, as esptool does")
    func badChecksumStillPatched() async throws {
        var image = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.iramDram)).image
        image[image.count - 1] ^= 0xFF
        let parts = [MergeBin.Part(name: "bad-checksum.bin", offset: 0, bytes: image)]
        try await expectSameAsEsptool(parts, flash: .dout1MB40MHz)
        #expect(try MergeBin.merge(parts, flash: .dout1MB40MHz).bytes[2...3] == [0x03, 0x20])
    }

    @Test("files ending and starting on a sector boundary, and an empty file, are not overlaps")
    func sectorBoundaries() async throws {
        let parts = [
            MergeBin.Part(name: "full-sector.bin", offset: 0, bytes: Array(repeating: 0x11, count: 0x1000)),
            MergeBin.Part(name: "next.bin", offset: 0x1000, bytes: [0x22, 0x33]),
            MergeBin.Part(name: "empty.bin", offset: 0x2000, bytes: []),
            MergeBin.Part(name: "unaligned.bin", offset: 0x2800, bytes: [0x44]),
        ]
        try await expectSameAsEsptool(parts, flash: FlashParameters())
    }

    @Test("--target-offset and --pad-to-size as esptool applies them", arguments: [(0x1000, 1 << 20), (0, 256 << 10), (0x10000, 512 << 10)])
    func targetAndPadding(targetOffset: Int, padToSize: Int) async throws {
        let parts = [
            MergeBin.Part(name: "a.bin", offset: 0x10000, bytes: Array(repeating: 0x5A, count: 100)),
            MergeBin.Part(name: "b.bin", offset: 0x20000, bytes: [1, 2, 3]),
        ]
        let padSize: FlashSize? = FlashSize.allCases.first(where: { $0.bytes == padToSize && $0.rawValue <= 4 })
        let padName = try #require(padSize).name
        try await expectSameAsEsptool(
            parts, flash: FlashParameters(), extra: ["--target-offset", hex(targetOffset), "--pad-to-size", padName],
            targetOffset: targetOffset, padToSize: padToSize)
        let merged = try MergeBin.merge(parts, targetOffset: targetOffset, padToSize: padToSize)
        #expect(merged.bytes.count == padToSize - targetOffset)
    }
}

@Suite("merge-bin refuses what cannot be flashed")
struct MergeBinErrorTests {
    @Test("files sharing a 4 KiB sector: an overlap naming both files; esptool refuses too")
    func overlapNamesBoth() async throws {
        let parts = [
            MergeBin.Part(name: "0x00000.bin", offset: 0, bytes: Array(repeating: 0xAB, count: 0x1001)),
            MergeBin.Part(name: "0x10000.bin", offset: 0x1000, bytes: [1, 2, 3]),
        ]
        let expected = MergeBinError.overlap(
            first: "0x00000.bin", firstRange: 0..<0x1001, second: "0x10000.bin", secondOffset: 0x1000, sectorEnd: 0x2000)
        #expect(throws: expected) { try MergeBin.merge(parts) }
        #expect(expected.description.contains("0x00000.bin") && expected.description.contains("0x10000.bin"))
        guard case .failure(let failure) = try await esptoolMergeBin(parts) else {
            Issue.record("esptool merged overlapping parts")
            return
        }
        #expect(failure.output.stderr.contains("overlap"))
    }

    @Test("a file starting inside the sector where the previous one ends is an overlap, whatever the order given")
    func overlapWithinSector() {
        let parts = [
            MergeBin.Part(name: "b.bin", offset: 0x800, bytes: [2]),
            MergeBin.Part(name: "a.bin", offset: 0, bytes: [1]),
        ]
        #expect(throws: MergeBinError.overlap(first: "a.bin", firstRange: 0..<1, second: "b.bin", secondOffset: 0x800, sectorEnd: 0x1000)) {
            try MergeBin.merge(parts)
        }
    }

    @Test("a part below the target offset and an empty part list are refused")
    func otherErrors() {
        #expect(throws: MergeBinError.belowTargetOffset(part: "a.bin", offset: 0, targetOffset: 0x1000)) {
            try MergeBin.merge([MergeBin.Part(name: "a.bin", offset: 0, bytes: [1])], targetOffset: 0x1000)
        }
        #expect(throws: MergeBinError.noParts) { try MergeBin.merge([]) }
    }

    @Test("the header patch reports the bytes before and after")
    func patchReport() async throws {
        let image = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.iramOnly)).image
        let merged = try MergeBin.merge([MergeBin.Part(name: "0x00000.bin", offset: 0, bytes: image)], flash: .dout1MB40MHz)
        #expect(merged.headerPatch == .patched(part: "0x00000.bin", from: [0x00, 0x20], to: [0x03, 0x20]))
        #expect(try ESP8266Image(parsing: merged.bytes).checksumIsValid)
    }
}
