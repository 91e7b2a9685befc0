import ESPImage
import Foundation
import Testing
import TestSupport

/// Our elf2image output as esptool would leave it in a folder: file name → bytes.
private func ourFiles(_ fixture: ELFFixture, flash: FlashParameters = ELF2Image.defaultFlash,
                      source: ELF2Image.Source = .sections) async throws -> [String: [UInt8]] {
    let result = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(fixture), flash: flash, source: source)
    return Dictionary(uniqueKeysWithValues: result.files.map { ($0.name, $0.bytes) })
}

/// Reports the first differing byte, so a failure says where, not just "not equal".
private func expectSameFiles(_ ours: [String: [UInt8]], _ esptool: [String: [UInt8]], _ context: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ours.keys.sorted() == esptool.keys.sorted(), "file names, \(context)", sourceLocation: sourceLocation)
    for (name, theirs) in esptool {
        guard let mine = ours[name] else { continue }
        #expect(mine == theirs,
                "\(name) differs from esptool's, \(context): lengths \(mine.count)/\(theirs.count), first difference at byte \(firstDifference(mine, theirs))",
                sourceLocation: sourceLocation)
    }
}

@Suite("elf2image is byte-identical to esptool")
struct ELF2ImageEsptoolTests {
    @Test("default flags (QIO, 1MB, 40m): every file esptool writes, same names, same bytes", arguments: ELFFixture.all)
    func defaults(fixture: ELFFixture) async throws {
        let elf = try await FixtureBuilder.shared.elf(fixture)
        expectSameFiles(try await ourFiles(fixture), try await esptoolElf2Image(elf), "\(fixture)")
    }

    @Test("flash mode, size and frequency flags land in the header as esptool writes them", arguments: [
        (FlashMode.dout, FlashSize.size1MB, FlashFrequency.mhz40),
        (.dio, .size4MB, .mhz80),
        (.qout, .size2MBc1, .mhz26),
        (.qio, .size512KB, .mhz20),
    ])
    func flashFlags(mode: FlashMode, size: FlashSize, frequency: FlashFrequency) async throws {
        for fixture in [ELFFixture.withIROM, .oddSections] {
            let elf = try await FixtureBuilder.shared.elf(fixture)
            let esptool = try await esptoolElf2Image(elf, ["--flash-mode", mode.name, "--flash-size", size.name, "--flash-freq", frequency.name])
            let ours = try await ourFiles(fixture, flash: FlashParameters(mode: mode, size: size, frequency: frequency))
            expectSameFiles(ours, esptool, "\(fixture) \(mode.name) \(size.name) \(frequency.name)")
        }
    }

    @Test("program headers instead of sections (--use-segments)", arguments: ELFFixture.all)
    func useSegments(fixture: ELFFixture) async throws {
        let elf = try await FixtureBuilder.shared.elf(fixture)
        expectSameFiles(try await ourFiles(fixture, source: .segments), try await esptoolElf2Image(elf, ["--use-segments"]),
                        "\(fixture) --use-segments")
    }

    @Test("two separate flash-mapped sections are refused, as esptool refuses them")
    func twoFlashSegments() async throws {
        let elf = try await FixtureBuilder.shared.elf(.twoIROM)
        #expect(throws: ELF2ImageError.severalFlashSegments([
            .init(address: 0x4021_0000, pieces: [".irom0.text"]), .init(address: 0x4022_0000, pieces: [".irom1.text"]),
        ])) {
            try ELF2Image.convert(elf: [UInt8](try Data(contentsOf: elf)))
        }
        let folder = try temporaryDirectory("esptool-two-irom")
        defer { try? FileManager.default.removeItem(at: folder) }
        let esptool = try await runProcess(esptoolBinary, ["--chip", "esp8266", "elf2image", elf.path, "-o", folder.path + "/"])
        #expect(!esptool.succeeded)
        #expect((esptool.stdout + esptool.stderr).contains("could be irom0"))
    }
}

@Suite("elf2image segment rules")
struct ELF2ImageShapeTests {
    @Test("code only: one IRAM segment, no flash-resident file")
    func iramOnly() async throws {
        let elf = try ELFFile(parsing: try await FixtureBuilder.shared.elfBytes(.iramOnly))
        let result = try ELF2Image.convert(elf)
        #expect(result.ramSegments.map(\.address) == [0x4010_0000])
        #expect(result.iromSegment == nil)
        #expect(result.files.map(\.name) == ["0x00000.bin"])
        let text = elf.contents(of: try #require(elf.section(named: ".text")))
        #expect(Array(result.ramSegments[0].data.prefix(text.count)) == text)
        #expect(result.ramSegments[0].data.count == (text.count + 3) / 4 * 4)
    }

    @Test("adjacent .data and .rodata merge into one DRAM segment, in section order before IRAM")
    func dataAndRodataMerge() async throws {
        let elf = try ELFFile(parsing: try await FixtureBuilder.shared.elfBytes(.iramDram))
        let result = try ELF2Image.convert(elf)
        #expect(result.ramSegments.map(\.address) == [0x3FFE_8000, 0x4010_0000])
        #expect(result.ramSegments[0].pieces == [".data", ".rodata"])
        #expect(result.mergedCount == 1)
        #expect(result.files.map(\.name) == ["0x00000.bin"])
        let data = elf.contents(of: try #require(elf.section(named: ".data")))
        let rodata = elf.contents(of: try #require(elf.section(named: ".rodata")))
        #expect(rodata.count % 4 != 0, "the fixture's .rodata should need padding")
        #expect(result.ramSegments[0].data == data + rodata + [UInt8](repeating: 0, count: (4 - rodata.count % 4) % 4))
    }

    @Test("odd DRAM sections: zero gap filling, no merge across an unpadded end, INIT_ARRAY kept, .bss left out")
    func oddSections() async throws {
        let elf = try ELFFile(parsing: try await FixtureBuilder.shared.elfBytes(.oddSections))
        let result = try ELF2Image.convert(elf)
        let code = elf.contents(of: try #require(elf.section(named: ".text")))
        #expect(code.count == 4)
        #expect(result.ramSegments == [
            .init(address: 0x3FFE_8000, data: [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0, 0, 0x21, 0x22, 0x23, 0], pieces: [".data", ".rodata"]),
            .init(address: 0x3FFE_800B, data: [0x31, 0, 0, 0], pieces: [".dram.flag"]),
            .init(address: 0x3FFE_8010, data: [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0, 0x51, 0x52, 0x53, 0x54],
                  pieces: [".dram.table", ".dram.init"]),
            .init(address: 0x4010_0000, data: code + [0xC0, 0xDB, 0xDC, 0xDD, 0xC0, 0, 0, 0], pieces: [".text", ".iram.tail"]),
        ])
        #expect(result.mergedCount == 3)
        #expect(result.files.map(\.name) == ["0x10000.bin", "0x00000.bin"])
        #expect(result.files[0].bytes == [0x61, 0x62, 0x63, 0x64, 0x65, 0, 0, 0])
        #expect(result.files[0].offset == 0x10000)
    }

    @Test("the image is header, segments, zero padding to a 16-byte line, and the 0xEF XOR checksum")
    func imageLayout() async throws {
        let result = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.oddSections))
        let image = result.image
        #expect(Array(image[0..<4]) == [0xE9, 4, 0x00, 0x20])
        #expect(image.readLE32(at: 4) == result.entry)
        let parsed = try ESP8266Image(parsing: image)
        #expect(parsed.checksumIsValid)
        #expect(parsed.length == image.count)
        #expect(image.count % 16 == 0)
        let dataBytes = result.ramSegments.flatMap(\.data)
        #expect(image.last == dataBytes.reduce(0xEF, ^))
        #expect(parsed.segments.map(\.data) == result.ramSegments.map(\.data))
    }

    @Test("code-first link: IRAM segment first, separate .rodata and .data, flash code named 0x40000.bin")
    func textFirst() async throws {
        let result = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.textFirst))
        #expect(result.ramSegments.map(\.address) == [0x4010_0000, 0x3FFE_8000, 0x3FFE_8020])
        #expect(result.files.map(\.name) == ["0x40000.bin", "0x00000.bin"])
        #expect(result.files.map(\.offset) == [0x40000, 0])
    }

    @Test("file names are 0x and at least five lower-case hex digits")
    func fileNames() {
        #expect(ELF2Image.fileName(forFlashOffset: 0) == "0x00000.bin")
        #expect(ELF2Image.fileName(forFlashOffset: 0x10000) == "0x10000.bin")
        #expect(ELF2Image.fileName(forFlashOffset: 0x123) == "0x00123.bin")
        #expect(ELF2Image.fileName(forFlashOffset: 0xFFFFC) == "0xffffc.bin")
    }

    @Test("flags left nil take esptool's defaults QIO, 1MB, 40m")
    func defaultFlags() async throws {
        let bytes = try await FixtureBuilder.shared.elfBytes(.iramOnly)
        let result = try ELF2Image.convert(elf: bytes, flash: FlashParameters(mode: .dout))
        #expect(result.image[2] == 0x03 && result.image[3] == 0x20)
        #expect(try ELF2Image.convert(elf: bytes, flash: FlashParameters()).image[2...3] == [0x00, 0x20])
    }

    @Test("merging needs neighbours in section order and an exact padded end")
    func mergeRule() {
        let pieces: [ELF2Image.Segment] = [
            .init(address: 0x3FFE_8000, data: [1, 2, 3], pieces: ["a"]),      // pads to 4 → ends at 0x..04
            .init(address: 0x3FFE_8004, data: [4], pieces: ["b"]),            // merges
            .init(address: 0x4010_0000, data: [5, 6, 7, 8], pieces: ["c"]),
            .init(address: 0x3FFE_8008, data: [9], pieces: ["d"]),            // adjacent in memory but not in order
            .init(address: 0x3FFE_8009, data: [10], pieces: ["e"]),           // d ends at 0x..09 unpadded, 0x..0C padded
        ]
        let (segments, merged) = ELF2Image.merge(pieces)
        #expect(merged == 1)
        #expect(segments.map(\.pieces) == [["a", "b"], ["c"], ["d"], ["e"]])
        #expect(segments[0].data == [1, 2, 3, 0, 4, 0, 0, 0])
    }
}
