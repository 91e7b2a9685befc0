import ESPImage
import Foundation
import Testing
import TestSupport

private let iram: UInt32 = 0x4010_0000
private let dram: UInt32 = 0x3FFE_8000

/// A two-segment image: 20 bytes of IRAM, 4 bytes of DRAM holding the SLIP specials.
private let twoSegments = makeImage(segments: [(iram, Array(1...20)), (dram, [0xC0, 0xDB, 0x55, 0xAA])])

@Suite("Parsing a v1 image")
struct ImageParsingTests {
    @Test("segments, addresses, file offsets, entry and header bytes are read back")
    func readsSegments() throws {
        let image = try ESP8266Image(parsing: twoSegments)
        #expect(image.segments == [
            .init(loadAddress: iram, data: Array(1...20), fileOffset: 8),
            .init(loadAddress: dram, data: [0xC0, 0xDB, 0x55, 0xAA], fileOffset: 36),
        ])
        #expect(image.entry == 0x4010_0004)
        #expect(image.flashModeByte == 0x03)
        #expect(image.sizeFrequencyByte == 0x20)
        #expect(image.flashMode == .dout)
        #expect(image.flashSize == .size1MB)
        #expect(image.flashFrequency == .mhz40)
    }

    @Test("the checksum is 0xEF XOR every segment byte and is found after the padding")
    func checksum() throws {
        // 0xEF ^ (1^2^…^20 = 20) ^ 0xC0 ^ 0xDB ^ 0x55 ^ 0xAA
        let expected: UInt8 = 0xEF ^ 20 ^ 0xC0 ^ 0xDB ^ 0x55 ^ 0xAA
        let image = try ESP8266Image(parsing: twoSegments)
        #expect(image.storedChecksum == expected)
        #expect(image.computedChecksum == expected)
        #expect(image.checksumIsValid)
        // 8 + 28 + 12 = 48 bytes of content, padded to 63, checksum at 63.
        #expect(image.length == 64)
        #expect(twoSegments.count == 64)
        #expect(twoSegments[63] == expected)
    }

    @Test("a tiny image: 3 data bytes, padded so the checksum is byte 31")
    func tiny() throws {
        let bytes = makeImage(segments: [(iram, [0x01, 0x02, 0x04])])
        #expect(bytes.count == 32)
        #expect(Array(bytes[19..<31]) == [UInt8](repeating: 0, count: 12))
        let image = try ESP8266Image(parsing: bytes)
        #expect(image.storedChecksum == 0xE8)
        #expect(image.length == 32)
        #expect(image.checksumIsValid)
    }

    @Test("no padding when the segments end one byte before a 16-byte line ends; a full line when they end on one",
          arguments: [(15, 32), (16, 48), (0, 32), (14, 32)] as [(Int, Int)])
    func paddingEdges(dataCount: Int, length: Int) throws {
        let bytes = makeImage(segments: [(iram, [UInt8](repeating: 0x42, count: dataCount))])
        #expect(bytes.count == length)
        let image = try ESP8266Image(parsing: bytes)
        #expect(image.length == length)
        #expect(image.checksumIsValid)
    }

    @Test("bytes after the image do not count in its length")
    func trailingBytes() throws {
        let image = try ESP8266Image(parsing: twoSegments + [UInt8](repeating: 0xFF, count: 100))
        #expect(image.length == 64)
        #expect(image.checksumIsValid)
    }

    @Test("random images of 1 to 16 segments parse back exactly")
    func randomImages() throws {
        var rng = SplitMix64(seed: 42)
        for count in 1...16 {
            let segments = (0..<count).map { index in
                (address: UInt32(0x4010_0000 + index * 0x1000), data: rng.bytes(Int.random(in: 0...300, using: &rng)))
            }
            let bytes = makeImage(segments: segments, mode: 0x02, sizeFrequency: 0x4F, entry: 0x4010_1234)
            let image = try ESP8266Image(parsing: bytes)
            #expect(image.segments.map(\.loadAddress) == segments.map(\.address))
            #expect(image.segments.map(\.data) == segments.map(\.data))
            #expect(image.entry == 0x4010_1234)
            #expect(image.flashMode == .dio && image.flashSize == .size4MB && image.flashFrequency == .mhz80)
            #expect(image.length == bytes.count)
            #expect(image.length % 16 == 0)
            #expect(image.checksumIsValid)
        }
    }

    @Test("flipping one data byte makes the checksum invalid", arguments: [16, 20, 35, 44, 47])
    func flippedByte(offset: Int) throws {
        var bytes = twoSegments
        bytes[offset] ^= 0x01
        let image = try ESP8266Image(parsing: bytes)
        #expect(!image.checksumIsValid)
        #expect(image.storedChecksum == twoSegments[63])
    }

    @Test("changing the padding or the header's flash bytes leaves the checksum valid")
    func checksumCoversDataOnly() throws {
        var bytes = twoSegments
        bytes[50] = 0x77
        bytes[2] = 0x00
        bytes[3] = 0x4F
        #expect(try ESP8266Image(parsing: bytes).checksumIsValid)
    }

    @Test("unknown header values are kept as bytes but have no named meaning")
    func unknownHeaderValues() throws {
        let image = try ESP8266Image(parsing: makeImage(segments: [(iram, [1])], mode: 0x07, sizeFrequency: 0x7C))
        #expect(image.flashModeByte == 0x07 && image.flashMode == nil)
        #expect(image.flashSize == nil)
        #expect(image.flashFrequency == nil)
    }
}

@Suite("Refusing broken images")
struct ImageErrorTests {
    @Test("fewer than 8 bytes: truncated at 0", arguments: 0..<8)
    func shortHeader(count: Int) {
        #expect(throws: ImageError.truncated(offset: 0, needed: 8, available: count)) {
            try ESP8266Image(parsing: Array(twoSegments[..<count]))
        }
    }

    @Test("a first byte other than 0xE9 is not an image")
    func badMagic() {
        var bytes = twoSegments
        bytes[0] = 0xEA
        #expect(throws: ImageError.badMagic(found: 0xEA)) { try ESP8266Image(parsing: bytes) }
        #expect(throws: ImageError.badMagic(found: 0xFF)) { try ESP8266Image(parsing: [UInt8](repeating: 0xFF, count: 64)) }
    }

    @Test("segment count 0 or above 16 is a corrupt header", arguments: [0, 17, 255])
    func badSegmentCount(count: Int) {
        var bytes = twoSegments
        bytes[1] = UInt8(count)
        #expect(throws: ImageError.badSegmentCount(count)) { try ESP8266Image(parsing: bytes) }
    }

    @Test("16 segments is the most accepted")
    func sixteenSegments() throws {
        let bytes = makeImage(segments: (0..<16).map { (UInt32(0x4010_0000 + $0 * 4), [UInt8($0)]) })
        #expect(try ESP8266Image(parsing: bytes).segments.count == 16)
    }

    @Test("a segment header cut short: truncated at the segment header's offset")
    func truncatedSegmentHeader() {
        #expect(throws: ImageError.truncated(offset: 8, needed: 8, available: 0)) {
            try ESP8266Image(parsing: Array(twoSegments[..<8]))
        }
        #expect(throws: ImageError.truncated(offset: 8, needed: 8, available: 5)) {
            try ESP8266Image(parsing: Array(twoSegments[..<13]))
        }
        // The second segment's header starts at 36.
        #expect(throws: ImageError.truncated(offset: 36, needed: 8, available: 4)) {
            try ESP8266Image(parsing: Array(twoSegments[..<40]))
        }
    }

    @Test("a segment longer than what follows: overrun naming the segment and its header offset")
    func segmentOverrun() {
        #expect(throws: ImageError.segmentOverrun(index: 0, offset: 8, length: 20, available: 4)) {
            try ESP8266Image(parsing: Array(twoSegments[..<20]))
        }
        var bytes = twoSegments
        bytes[40...43] = [0x00, 0x01, 0x00, 0x00]   // second segment claims 256 bytes
        #expect(throws: ImageError.segmentOverrun(index: 1, offset: 36, length: 256, available: 64 - 44)) {
            try ESP8266Image(parsing: bytes)
        }
        bytes[40...43] = [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: ImageError.segmentOverrun(index: 1, offset: 36, length: 0xFFFF_FFFF, available: 64 - 44)) {
            try ESP8266Image(parsing: bytes)
        }
    }

    @Test("a missing checksum byte: truncated at the checksum's offset")
    func missingChecksum() {
        #expect(throws: ImageError.truncated(offset: 63, needed: 1, available: 0)) {
            try ESP8266Image(parsing: Array(twoSegments.dropLast()))
        }
        #expect(throws: ImageError.truncated(offset: 63, needed: 1, available: 0)) {
            try ESP8266Image(parsing: Array(twoSegments[..<48]))
        }
    }

    @Test("error messages give the offsets")
    func descriptions() {
        #expect(ImageError.badMagic(found: 0xEA).description.contains("0xea"))
        #expect(ImageError.badSegmentCount(17).description.contains("17"))
        #expect(ImageError.truncated(offset: 63, needed: 1, available: 0).description.contains("63"))
        let overrun = ImageError.segmentOverrun(index: 1, offset: 36, length: 256, available: 20).description
        #expect(overrun.contains("36") && overrun.contains("256") && overrun.contains("20"))
    }
}

@Suite("Patching the header")
struct HeaderPatchTests {
    /// QIO, 4MB, 80m as built.
    private let built = makeImage(segments: [(iram, Array(1...20))], mode: 0x00, sizeFrequency: 0x4F)

    @Test("MeterLogger parameters write 0x03 and 0x20 and nothing else")
    func meterLogger() throws {
        let patched = try ESP8266Image.patchingHeader(built, with: .dout1MB40MHz)
        #expect(patched[2] == 0x03 && patched[3] == 0x20)
        #expect(Array(patched[4...]) == Array(built[4...]))
        #expect(Array(patched[..<2]) == Array(built[..<2]))
        #expect(try ESP8266Image(parsing: patched).checksumIsValid)
    }

    @Test("mode alone changes byte 2 only")
    func modeOnly() throws {
        let patched = try ESP8266Image.patchingHeader(built, with: FlashParameters(mode: .dio))
        var expected = built
        expected[2] = 0x02
        #expect(patched == expected)
    }

    @Test("size alone changes the high nibble of byte 3 only")
    func sizeOnly() throws {
        let patched = try ESP8266Image.patchingHeader(built, with: FlashParameters(size: .size2MBc1))
        var expected = built
        expected[3] = 0x5F
        #expect(patched == expected)
    }

    @Test("frequency alone changes the low nibble of byte 3 only")
    func frequencyOnly() throws {
        let patched = try ESP8266Image.patchingHeader(built, with: FlashParameters(frequency: .mhz26))
        var expected = built
        expected[3] = 0x41
        #expect(patched == expected)
    }

    @Test("keeping everything changes nothing")
    func keep() throws {
        #expect(FlashParameters().keepsAll)
        #expect(!FlashParameters.dout1MB40MHz.keepsAll)
        #expect(try ESP8266Image.patchingHeader(built, with: FlashParameters()) == built)
    }

    @Test("patching something that is not an image is refused")
    func refuses() {
        #expect(throws: ImageError.badMagic(found: 0x00)) {
            try ESP8266Image.patchingHeader([UInt8](repeating: 0, count: 16), with: .dout1MB40MHz)
        }
        #expect(throws: ImageError.truncated(offset: 0, needed: 8, available: 4)) {
            try ESP8266Image.patchingHeader([0xE9, 1, 0, 0], with: .dout1MB40MHz)
        }
    }
}

@Suite("esptool agrees")
struct EsptoolImageInfoTests {
    private func imageInfo(_ bytes: [UInt8]) async throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-image-\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try await runProcess(esptoolBinary, ["--chip", "esp8266", "image-info", url.path])
        #expect(result.succeeded, "esptool failed: \(result)")
        return result.stdout + result.stderr
    }

    @Test("esptool image-info reads a hand-built image as valid with the same header")
    func validImage() async throws {
        let output = try await imageInfo(twoSegments)
        let expected = try ESP8266Image(parsing: twoSegments).storedChecksum
        #expect(output.contains("Checksum: 0x\(String(expected, radix: 16)) (valid)"))
        #expect(output.contains("Entry point: 0x40100004"))
        #expect(output.contains("Segments: 2"))
        #expect(output.contains("Flash mode: DOUT"))
        #expect(output.contains("Flash size: 1MB"))
        #expect(output.contains("Flash freq: 40m"))
    }

    @Test("esptool image-info calls a flipped image invalid, as the parser does")
    func flippedImage() async throws {
        var bytes = twoSegments
        bytes[20] ^= 0x01
        #expect(try !ESP8266Image(parsing: bytes).checksumIsValid)
        #expect(try await imageInfo(bytes).contains("(invalid"))
    }

    @Test("esptool image-info agrees after the header is patched for MeterLogger")
    func patchedImage() async throws {
        let built = makeImage(segments: [(iram, Array(1...20)), (dram, [9, 8, 7])], mode: 0x00, sizeFrequency: 0x4F)
        let output = try await imageInfo(try ESP8266Image.patchingHeader(built, with: .dout1MB40MHz))
        #expect(output.contains("(valid)"))
        #expect(output.contains("Flash mode: DOUT") && output.contains("Flash size: 1MB") && output.contains("Flash freq: 40m"))
    }
}
