import ESPImage
import Foundation
import Testing
import TestSupport

/// Checks every field esptool's image-info prints against our description of the same bytes.
private func expectAgreement(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let ours = try ImageDescription(describing: bytes)
    let theirs = try await esptoolImageInfo(bytes)
    #expect(theirs.imageSize == ours.fileLength, "Image size", sourceLocation: sourceLocation)
    #expect(theirs.entry == ours.entry, "Entry point", sourceLocation: sourceLocation)
    #expect(theirs.segmentCount == ours.segmentCount, "Segments", sourceLocation: sourceLocation)
    #expect(theirs.flashMode == ours.flashMode, "Flash mode", sourceLocation: sourceLocation)
    #expect(theirs.flashSize == ours.flashSize, "Flash size", sourceLocation: sourceLocation)
    #expect(theirs.flashFreq == ours.flashFrequency, "Flash freq", sourceLocation: sourceLocation)
    #expect(theirs.segments == ours.segments.map {
        EsptoolImageInfo.Segment(index: $0.index, length: $0.length, loadAddress: $0.loadAddress,
                                 fileOffset: $0.fileOffset, memory: $0.region ?? "")
    }, "segment table", sourceLocation: sourceLocation)
    #expect(theirs.checksum == ours.storedChecksum, "stored checksum", sourceLocation: sourceLocation)
    #expect(theirs.checksumValid == ours.checksumValid, "validity", sourceLocation: sourceLocation)
    if !ours.checksumValid {
        #expect(theirs.calculatedChecksum == ours.computedChecksum, "computed checksum", sourceLocation: sourceLocation)
    }
}

@Suite("image-info agrees with esptool")
struct ImageDescriptionEsptoolTests {
    @Test("every fixture's 0x00000.bin: entry, flash settings, segment table, checksum", arguments: ELFFixture.all)
    func fixtures(fixture: ELFFixture) async throws {
        let result = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(fixture), flash: .dout1MB40MHz)
        try await expectAgreement(result.image)
    }

    @Test("a wrong checksum: stored and computed values both reported, invalid")
    func wrongChecksum() async throws {
        var image = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.withIROM)).image
        image[image.count - 1] ^= 0x5A
        let description = try ImageDescription(describing: image)
        #expect(!description.checksumValid)
        #expect(description.storedChecksum ^ description.computedChecksum == 0x5A)
        try await expectAgreement(image)
    }

    @Test("bytes after the image: file length counts them, image length does not")
    func trailingBytes() async throws {
        let image = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.iramDram)).image
        let file = image + [UInt8](repeating: 0xFF, count: 100)
        let description = try ImageDescription(describing: file)
        #expect(description.imageLength == image.count)
        #expect(description.fileLength == image.count + 100)
        try await expectAgreement(file)
    }

    @Test("memory regions by load address: IRAM, DRAM, IROM, DPORT and unnamed ones")
    func regions() async throws {
        let addresses: [UInt32] = [
            0x4010_0000, 0x4010_7FFC, 0x4010_8000, 0x3FFE_8000, 0x3FFF_FFFC, 0x3FFE_7FFC, 0x4020_1010, 0x402E_100C,
            0x402E_1010, 0x3FF0_0000, 0x3FF0_0010, 0x6000_1000, 0x4000_0000,
        ]
        let bytes = makeImage(segments: addresses.enumerated().map { ($1, [UInt8](repeating: UInt8($0), count: 4)) },
                              mode: 0x02, sizeFrequency: 0x4F)
        let description = try ImageDescription(describing: bytes)
        #expect(description.segments.map(\.region) == [
            "IRAM", "IRAM", nil, "DRAM", "DRAM", nil, "IROM", "IROM", nil, "DPORT", nil, nil, nil,
        ])
        #expect(description.flashMode == "DIO" && description.flashSize == "4MB" && description.flashFrequency == "80m")
        try await expectAgreement(bytes)
    }

    @Test("segments outside the plausible RAM window are flagged, as esptool warns")
    func suspiciousSegments() throws {
        let bytes = makeImage(segments: [(0x4010_0000, [1, 2, 3, 4]), (0x4021_0000, [5, 6, 7, 8]), (0x3FF0_0000, [9, 9, 9, 9])])
        let description = try ImageDescription(describing: bytes)
        #expect(description.warnings.count == 2)
        #expect(description.warnings[0].contains("segment 1") && description.warnings[0].contains("0x40210000"))
        #expect(description.warnings[1].contains("segment 2") && description.warnings[1].contains("0x3ff00000"))
    }

    @Test("unknown header values are reported without a name")
    func unknownHeader() throws {
        let description = try ImageDescription(describing: makeImage(segments: [(0x4010_0000, [1, 2, 3, 4])], mode: 7, sizeFrequency: 0x7C))
        #expect(description.flashMode == nil && description.flashSize == nil && description.flashFrequency == nil)
        #expect(description.flashModeByte == 7 && description.sizeFrequencyByte == 0x7C)
        #expect(description.warnings.count == 3)
    }

    @Test("the description encodes to JSON with numbers and decodes back equal")
    func jsonRoundTrip() async throws {
        let image = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.withIROM)).image
        let description = try ImageDescription(describing: image)
        let data = try JSONEncoder().encode(description)
        #expect(try JSONDecoder().decode(ImageDescription.self, from: data) == description)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["entry"] as? Int == Int(description.entry))
        #expect(object["checksumValid"] as? Bool == true)
    }
}
