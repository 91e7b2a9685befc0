import ESPImage
import Foundation
import Testing
import TestSupport

/// readelf's view of a file, the independent reference for the ELF reader.
private struct ReadelfView {
    struct Section: Equatable { var index: Int; var name: String; var type: String; var address: UInt32; var offset: UInt32; var size: UInt32 }
    struct Segment: Equatable { var offset: UInt32; var virtualAddress: UInt32; var physicalAddress: UInt32; var fileSize: UInt32; var memorySize: UInt32 }
    struct Symbol: Equatable { var value: UInt32; var size: UInt32; var name: String }
    var entry: UInt32 = 0
    var sections: [Section] = []
    var segments: [Segment] = []
    var symbols: [Symbol] = []
}

private func readelf(_ elf: URL) async throws -> ReadelfView {
    let tool = try toolPath("xtensa-lx106-elf-readelf")
    let output = try await runTool(tool, ["-h", "-S", "-l", "-s", "-W", elf.path]).stdout
    var view = ReadelfView()
    func hexValue(_ text: String) -> UInt32 {
        UInt32(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16) ?? .max
    }
    for line in output.split(separator: "\n").map(String.init) {
        let fields = line.split(separator: " ").map(String.init)
        if line.contains("Entry point address:") {
            view.entry = hexValue(fields.last ?? "")
        } else if line.hasPrefix("  ["), let close = line.firstIndex(of: "]"),
                  let index = Int(line[line.index(line.startIndex, offsetBy: 3)..<close].trimmingCharacters(in: .whitespaces)) {
            let rest = line[line.index(after: close)...].split(separator: " ").map(String.init)
            // The NULL section has no name.
            let named = rest.first == "NULL" && index == 0 ? [""] + rest : rest
            view.sections.append(.init(
                index: index, name: named[0], type: named[1], address: hexValue(named[2]),
                offset: hexValue(named[3]), size: hexValue(named[4])))
        } else if fields.first == "LOAD" {
            view.segments.append(.init(
                offset: hexValue(fields[1]), virtualAddress: hexValue(fields[2]), physicalAddress: hexValue(fields[3]),
                fileSize: hexValue(fields[4]), memorySize: hexValue(fields[5])))
        } else if fields.count >= 7, fields[0].hasSuffix(":"), Int(fields[0].dropLast()) != nil, fields[1].count == 8 {
            view.symbols.append(.init(
                value: hexValue(fields[1]), size: UInt32(fields[2]) ?? .max, name: fields.count >= 8 ? fields[7] : ""))
        }
    }
    return view
}

private let sectionTypeNames: [UInt32: String] = [
    0: "NULL", 1: "PROGBITS", 2: "SYMTAB", 3: "STRTAB", 7: "NOTE", 8: "NOBITS", 14: "INIT_ARRAY",
]

@Suite("Reading ELF files")
struct ELFFileTests {
    @Test("header, sections, program headers and symbols agree with readelf", arguments: ELFFixture.all + [.twoIROM])
    func agreesWithReadelf(fixture: ELFFixture) async throws {
        let url = try await FixtureBuilder.shared.elf(fixture)
        let elf = try ELFFile(parsing: [UInt8](try Data(contentsOf: url)))
        let reference = try await readelf(url)

        #expect(elf.header.machine == 94)
        #expect(elf.entry == reference.entry)
        #expect(elf.sections.count == reference.sections.count)
        for (ours, theirs) in zip(elf.sections, reference.sections) {
            #expect(ours.index == theirs.index)
            #expect(ours.name == theirs.name)
            #expect(ours.address == theirs.address, "\(ours.name)")
            #expect(ours.offset == theirs.offset, "\(ours.name)")
            #expect(ours.size == theirs.size, "\(ours.name)")
            if let name = sectionTypeNames[ours.type] { #expect(name == theirs.type, "\(ours.name)") }
        }
        let loads = elf.programHeaders.filter { $0.type == ELFFile.loadSegment }
        #expect(loads.map { [$0.offset, $0.virtualAddress, $0.physicalAddress, $0.fileSize, $0.memorySize] }
            == reference.segments.map { [$0.offset, $0.virtualAddress, $0.physicalAddress, $0.fileSize, $0.memorySize] })
        let symbols = try elf.symbols()
        // readelf shows a section symbol (type 3, no name of its own) by its section's name.
        let named = symbols.map { symbol in
            let name = symbol.type == 3 && Int(symbol.sectionIndex) < elf.sections.count
                ? elf.sections[Int(symbol.sectionIndex)].name : symbol.name
            return ReadelfView.Symbol(value: symbol.value, size: symbol.size, name: name)
        }
        #expect(named == reference.symbols)
    }

    @Test("a section's contents are its bytes in the file; .bss has none")
    func sectionContents() async throws {
        let elf = try ELFFile(parsing: try await FixtureBuilder.shared.elfBytes(.oddSections))
        let data = try #require(elf.section(named: ".data"))
        #expect(elf.contents(of: data) == [0x11, 0x12, 0x13, 0x14, 0x15, 0x16])
        #expect(elf.contents(of: try #require(elf.section(named: ".rodata"))) == [0x21, 0x22, 0x23])
        let bss = try #require(elf.section(named: ".bss"))
        #expect(bss.type == ELFFile.SectionType.nobits && bss.size == 9)
        #expect(elf.contents(of: bss).isEmpty)
        #expect(elf.section(named: ".nothing") == nil)
    }

    @Test("symbols are found by name: the entry function, data in DRAM, code in flash")
    func symbolLookup() async throws {
        let elf = try ELFFile(parsing: try await FixtureBuilder.shared.elfBytes(.withIROM))
        let entry = try #require(try elf.symbol(named: "call_user_start"))
        #expect(entry.value == elf.entry)
        #expect(entry.type == 2 && entry.binding == 1)   // FUNC, GLOBAL
        let serial = try #require(try elf.symbol(named: "meter_serial"))
        #expect(serial.value == 0x3FFE_8000 && serial.size == 4 && serial.type == 1)
        let data = try #require(elf.section(named: ".data"))
        #expect(Int(serial.sectionIndex) == data.index)
        let format = try #require(try elf.symbol(named: "format_ssid"))
        #expect(ESP8266MemoryMap.flashMappedCode.contains(format.value))
        #expect(try elf.symbol(named: "no_such_symbol") == nil)
    }
}

@Suite("Refusing malformed ELF files")
struct MalformedELFTests {
    private func fixture() async throws -> [UInt8] {
        try await FixtureBuilder.shared.elfBytes(.withIROM)
    }

    @Test("a file shorter than the 52-byte header is truncated at byte 0")
    func truncatedHeader() async throws {
        let bytes = Array(try await fixture().prefix(30))
        #expect(throws: ELFError.truncated(what: "ELF header", offset: 0, needed: 52, available: 30)) {
            try ELFFile(parsing: bytes)
        }
        #expect(throws: ELFError.truncated(what: "ELF header", offset: 0, needed: 52, available: 0)) {
            try ELFFile(parsing: [])
        }
    }

    @Test("bytes 0-3 other than 7f 45 4c 46 are not an ELF file")
    func badMagic() async throws {
        var bytes = try await fixture()
        bytes[1] = 0x46
        #expect(throws: ELFError.badMagic(found: [0x7F, 0x46, 0x4C, 0x46])) { try ELFFile(parsing: bytes) }
        let image = SampleImageSet.meterLogger()[0].bytes
        #expect(throws: ELFError.badMagic(found: Array(image.prefix(4)))) { try ELFFile(parsing: image) }
        #expect(throws: ELFError.badMagic(found: [0x41, 0x42])) { try ELFFile(parsing: [0x41, 0x42]) }
        let message = ELFError.badMagic(found: [0xE9, 0x02, 0x03, 0x20]).description
        #expect(message == "not an ELF file: bytes 0-3 are e9 02 03 20, expected 7f 45 4c 46")
    }

    @Test("64-bit, big-endian and non-Xtensa files are refused naming the byte")
    func wrongKind() async throws {
        var bytes = try await fixture()
        bytes[4] = 2
        #expect(throws: ELFError.notClass32(found: 2)) { try ELFFile(parsing: bytes) }
        bytes = try await fixture()
        bytes[5] = 2
        #expect(throws: ELFError.notLittleEndian(found: 2)) { try ELFFile(parsing: bytes) }
        bytes = try await fixture()
        bytes[18] = 0x3E   // x86-64
        #expect(throws: ELFError.notXtensa(found: 0x3E)) { try ELFFile(parsing: bytes) }
    }

    @Test("a file cut inside the section header table is truncated at the table's offset")
    func truncatedSectionTable() async throws {
        let full = try await fixture()
        let tableOffset = Int(try #require(full.readLE32(at: 32)))
        let count = Int(try #require(full.readLE16(at: 48)))
        let bytes = Array(full.prefix(tableOffset + 10))
        #expect(throws: ELFError.truncated(what: "section header table", offset: tableOffset, needed: count * 40, available: 10)) {
            try ELFFile(parsing: bytes)
        }
    }

    @Test("a file cut inside the program header table is truncated at byte 52")
    func truncatedProgramTable() async throws {
        let full = try await fixture()
        let count = Int(try #require(full.readLE16(at: 44)))
        #expect(throws: ELFError.truncated(what: "program header table", offset: 52, needed: count * 32, available: 48)) {
            try ELFFile(parsing: Array(full.prefix(100)))
        }
    }

    @Test("a section whose bytes lie past the end of the file is named with its offset")
    func sectionOutOfFile() async throws {
        var bytes = try await fixture()
        let elf = try ELFFile(parsing: bytes)
        let data = try #require(elf.section(named: ".data"))
        let header = Int(elf.header.sectionHeaderOffset) + data.index * 40
        let offset = bytes.count - 2
        bytes.replaceSubrange(header + 16..<header + 20, with: le32(UInt32(offset)))
        #expect(throws: ELFError.sectionOutOfFile(index: data.index, name: ".data", offset: offset, size: 4, fileSize: bytes.count)) {
            try ELFFile(parsing: bytes)
        }
    }

    @Test("an empty section name table placed past the end of the file is an error naming it, not a crash")
    func emptyNameTablePastTheEnd() async throws {
        var bytes = try await fixture()
        let elf = try ELFFile(parsing: bytes)
        let nameIndex = Int(try #require(bytes.readLE16(at: 50)))
        let header = Int(elf.header.sectionHeaderOffset) + nameIndex * 40
        bytes.replaceSubrange(header + 16..<header + 20, with: le32(UInt32(bytes.count + 0x1000)))   // sh_offset past the end
        bytes.replaceSubrange(header + 20..<header + 24, with: le32(0))                              // sh_size 0
        let firstNamed = try #require(elf.sections.first { !$0.name.isEmpty })
        let nameOffset = Int(try #require(bytes.readLE32(at: Int(elf.header.sectionHeaderOffset) + firstNamed.index * 40)))
        #expect(throws: ELFError.nameOutOfTable(table: ".shstrtab", offset: nameOffset, tableSize: 0)) {
            try ELFFile(parsing: bytes)
        }
    }

    @Test("a program header whose bytes lie past the end of the file is refused")
    func segmentOutOfFile() async throws {
        var bytes = try await fixture()
        bytes.replaceSubrange(52 + 16..<52 + 20, with: le32(0x10_0000))   // p_filesz of program header 0
        let offset = Int(try #require(bytes.readLE32(at: 52 + 4)))
        #expect(throws: ELFError.segmentOutOfFile(index: 0, offset: offset, size: 0x10_0000, fileSize: bytes.count)) {
            try ELFFile(parsing: bytes)
        }
    }

    @Test("elf2image reports the ELF error unchanged")
    func elf2imageWrapsErrors() async throws {
        let bytes = Array(try await fixture().prefix(10))
        #expect(throws: ELF2ImageError.elf(.truncated(what: "ELF header", offset: 0, needed: 52, available: 10))) {
            try ELF2Image.convert(elf: bytes)
        }
    }
}
