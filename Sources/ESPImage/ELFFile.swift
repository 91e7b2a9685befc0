import Basics
/// A 32-bit little-endian ELF file as the Xtensa LX106 toolchain writes it (e_machine 94):
/// the header, the section headers with their names, the program headers and the symbol
/// table. Every table and every section with file contents is checked to lie inside the
/// file when parsing, so that reading a section's bytes later cannot fail.
///
/// Field layout: the System V ABI's ELF32 header (52 bytes), section header (40 bytes),
/// program header (32 bytes) and symbol (16 bytes) records.
public struct ELFFile: Sendable {
    /// e_ident[EI_MAG0…3].
    public static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]
    /// e_ident[EI_CLASS] for 32-bit objects.
    public static let class32: UInt8 = 1
    /// e_ident[EI_DATA] for little-endian objects.
    public static let littleEndian: UInt8 = 1
    /// e_machine of Tensilica Xtensa (the ESP8266's LX106 core).
    public static let machineXtensa: UInt16 = 94
    public static let headerSize = 52
    public static let sectionHeaderSize = 40
    public static let programHeaderSize = 32
    public static let symbolSize = 16

    /// The ELF header (e_type … e_shstrndx).
    public struct Header: Equatable, Sendable {
        public var type: UInt16
        public var machine: UInt16
        public var version: UInt32
        public var entry: UInt32
        public var programHeaderOffset: UInt32
        public var sectionHeaderOffset: UInt32
        public var flags: UInt32
        public var headerSize: UInt16
        public var programHeaderEntrySize: UInt16
        public var programHeaderCount: UInt16
        public var sectionHeaderEntrySize: UInt16
        public var sectionHeaderCount: UInt16
        public var sectionNameTableIndex: UInt16
    }

    /// Section types this toolkit looks at (sh_type).
    public enum SectionType {
        public static let null: UInt32 = 0
        public static let progbits: UInt32 = 1
        public static let symtab: UInt32 = 2
        public static let strtab: UInt32 = 3
        public static let note: UInt32 = 7
        public static let nobits: UInt32 = 8
        public static let initArray: UInt32 = 14
        public static let finiArray: UInt32 = 15
        public static let preinitArray: UInt32 = 16
    }

    /// Section flags (sh_flags).
    public enum SectionFlags {
        public static let write: UInt32 = 0x1
        public static let alloc: UInt32 = 0x2
        public static let execute: UInt32 = 0x4
    }

    /// Program header type of a loadable segment (p_type).
    public static let loadSegment: UInt32 = 1

    /// One section header, with its name resolved from the section name string table.
    public struct Section: Equatable, Sendable {
        public var index: Int
        public var name: String
        public var type: UInt32
        public var flags: UInt32
        public var address: UInt32
        public var offset: UInt32
        public var size: UInt32
        public var link: UInt32
        public var info: UInt32
        public var addressAlignment: UInt32
        public var entrySize: UInt32

        /// Whether the section occupies bytes in the file (everything except NULL and NOBITS).
        public var hasFileContents: Bool { type != SectionType.nobits && type != SectionType.null }
    }

    /// One program header (segment).
    public struct ProgramHeader: Equatable, Sendable {
        public var index: Int
        public var type: UInt32
        public var offset: UInt32
        public var virtualAddress: UInt32
        public var physicalAddress: UInt32
        public var fileSize: UInt32
        public var memorySize: UInt32
        public var flags: UInt32
        public var alignment: UInt32
    }

    /// One symbol table entry with its name.
    public struct Symbol: Equatable, Sendable {
        public var name: String
        public var value: UInt32
        public var size: UInt32
        public var info: UInt8
        public var other: UInt8
        public var sectionIndex: UInt16

        /// STB_LOCAL 0, STB_GLOBAL 1, STB_WEAK 2.
        public var binding: UInt8 { info >> 4 }
        /// STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_SECTION 3, STT_FILE 4.
        public var type: UInt8 { info & 0x0F }
    }

    /// The whole file.
    public let bytes: [UInt8]
    public let header: Header
    public let sections: [Section]
    public let programHeaders: [ProgramHeader]

    public init(parsing bytes: [UInt8]) throws(ELFError) {
        self.bytes = bytes
        let header = try Self.parseHeader(bytes)
        self.header = header
        self.programHeaders = try Self.parseProgramHeaders(bytes, header)
        self.sections = try Self.parseSections(bytes, header)
    }

    /// The entry point (e_entry).
    public var entry: UInt32 { header.entry }

    /// The first section called `name`.
    public func section(named name: String) -> Section? {
        sections.first { $0.name == name }
    }

    /// The bytes a section holds in the file (empty for NOBITS and NULL sections).
    /// Parsing checked that they lie inside the file.
    public func contents(of section: Section) -> [UInt8] {
        guard section.hasFileContents, section.size > 0 else { return [] }
        let start = Int(section.offset)
        return Array(bytes[start..<start + Int(section.size)])
    }

    /// The bytes a program header maps from the file (p_filesz of them).
    public func contents(of segment: ProgramHeader) -> [UInt8] {
        guard segment.fileSize > 0 else { return [] }
        let start = Int(segment.offset)
        return Array(bytes[start..<start + Int(segment.fileSize)])
    }

    /// Every entry of the symbol table (`.symtab`, else the first SYMTAB section); empty
    /// when the file has none (a stripped file).
    public func symbols() throws(ELFError) -> [Symbol] {
        guard let table = sections.first(where: { $0.type == SectionType.symtab }) else { return [] }
        guard Int(table.link) < sections.count else {
            throw .badLink(section: table.name, link: Int(table.link), sectionCount: sections.count)
        }
        let strings = sections[Int(table.link)]
        let data = contents(of: table)
        let names = contents(of: strings)
        var symbols: [Symbol] = []
        let count = data.count / Self.symbolSize
        symbols.reserveCapacity(count)
        for index in 0..<count {
            let base = index * Self.symbolSize
            let nameOffset = data.readLE32(at: base) ?? 0
            let name = try Self.string(in: names, at: Int(nameOffset), table: strings.name)
            symbols.append(Symbol(
                name: name,
                value: data.readLE32(at: base + 4) ?? 0,
                size: data.readLE32(at: base + 8) ?? 0,
                info: data[base + 12],
                other: data[base + 13],
                sectionIndex: data.readLE16(at: base + 14) ?? 0))
        }
        return symbols
    }

    /// The first symbol called `name` (a global one wins over a local one of the same name).
    public func symbol(named name: String) throws(ELFError) -> Symbol? {
        let matches = try symbols().filter { $0.name == name }
        return matches.first { $0.binding != 0 } ?? matches.first
    }

    // MARK: - Parsing

    private static func parseHeader(_ bytes: [UInt8]) throws(ELFError) -> Header {
        let prefix = Array(bytes.prefix(magic.count))
        guard prefix == Array(magic.prefix(prefix.count)) else { throw .badMagic(found: prefix) }
        guard bytes.count >= magic.count else {
            throw .truncated(what: "ELF header", offset: 0, needed: headerSize, available: bytes.count)
        }
        guard bytes.count >= 6 else {
            throw .truncated(what: "ELF header", offset: 0, needed: headerSize, available: bytes.count)
        }
        guard bytes[4] == class32 else { throw .notClass32(found: bytes[4]) }
        guard bytes[5] == littleEndian else { throw .notLittleEndian(found: bytes[5]) }
        guard bytes.count >= headerSize else {
            throw .truncated(what: "ELF header", offset: 0, needed: headerSize, available: bytes.count)
        }
        func u16(_ offset: Int) -> UInt16 { bytes.readLE16(at: offset) ?? 0 }
        func u32(_ offset: Int) -> UInt32 { bytes.readLE32(at: offset) ?? 0 }
        let header = Header(
            type: u16(16), machine: u16(18), version: u32(20), entry: u32(24),
            programHeaderOffset: u32(28), sectionHeaderOffset: u32(32), flags: u32(36),
            headerSize: u16(40), programHeaderEntrySize: u16(42), programHeaderCount: u16(44),
            sectionHeaderEntrySize: u16(46), sectionHeaderCount: u16(48), sectionNameTableIndex: u16(50))
        guard header.machine == machineXtensa else { throw .notXtensa(found: header.machine) }
        return header
    }

    private static func parseProgramHeaders(_ bytes: [UInt8], _ header: Header) throws(ELFError) -> [ProgramHeader] {
        let count = Int(header.programHeaderCount)
        guard count > 0 else { return [] }
        guard Int(header.programHeaderEntrySize) == programHeaderSize else {
            throw .badEntrySize(table: "program header", found: Int(header.programHeaderEntrySize), expected: programHeaderSize)
        }
        let start = Int(header.programHeaderOffset)
        try checkTable("program header table", start: start, size: count * programHeaderSize, in: bytes)
        let headers = (0..<count).map { index in
            let base = start + index * programHeaderSize
            func u32(_ offset: Int) -> UInt32 { bytes.readLE32(at: base + offset) ?? 0 }
            return ProgramHeader(
                index: index, type: u32(0), offset: u32(4), virtualAddress: u32(8), physicalAddress: u32(12),
                fileSize: u32(16), memorySize: u32(20), flags: u32(24), alignment: u32(28))
        }
        for segment in headers where segment.fileSize > 0 && Int(segment.offset) + Int(segment.fileSize) > bytes.count {
            throw .segmentOutOfFile(
                index: segment.index, offset: Int(segment.offset), size: Int(segment.fileSize), fileSize: bytes.count)
        }
        return headers
    }

    private static func parseSections(_ bytes: [UInt8], _ header: Header) throws(ELFError) -> [Section] {
        let count = Int(header.sectionHeaderCount)
        guard count > 0 else { return [] }
        guard Int(header.sectionHeaderEntrySize) == sectionHeaderSize else {
            throw .badEntrySize(table: "section header", found: Int(header.sectionHeaderEntrySize), expected: sectionHeaderSize)
        }
        let start = Int(header.sectionHeaderOffset)
        try checkTable("section header table", start: start, size: count * sectionHeaderSize, in: bytes)
        var sections: [Section] = (0..<count).map { index in
            let base = start + index * sectionHeaderSize
            func u32(_ offset: Int) -> UInt32 { bytes.readLE32(at: base + offset) ?? 0 }
            return Section(
                index: index, name: "", type: u32(4), flags: u32(8), address: u32(12), offset: u32(16),
                size: u32(20), link: u32(24), info: u32(28), addressAlignment: u32(32), entrySize: u32(36))
        }
        let nameIndex = Int(header.sectionNameTableIndex)
        if nameIndex != 0 {   // 0 (SHN_UNDEF): the file has no section names
            guard nameIndex < count else { throw .badSectionNameTableIndex(nameIndex, sectionCount: count) }
            let nameTable = sections[nameIndex]
            try checkContents(nameTable, in: bytes)
            // An empty table may name any offset, even one past the end: it holds no bytes.
            let names: [UInt8] = nameTable.hasFileContents && nameTable.size > 0
                ? Array(bytes[Int(nameTable.offset)..<Int(nameTable.offset) + Int(nameTable.size)]) : []
            for index in sections.indices {
                let nameOffset = bytes.readLE32(at: start + index * sectionHeaderSize) ?? 0
                sections[index].name = try string(in: names, at: Int(nameOffset), table: ".shstrtab")
            }
        }
        for section in sections { try checkContents(section, in: bytes) }
        return sections
    }

    /// Throws when a section's file bytes are not all inside the file.
    private static func checkContents(_ section: Section, in bytes: [UInt8]) throws(ELFError) {
        guard section.hasFileContents, section.size > 0 else { return }
        if Int(section.offset) + Int(section.size) > bytes.count {
            throw .sectionOutOfFile(
                index: section.index, name: section.name.isEmpty ? nil : section.name,
                offset: Int(section.offset), size: Int(section.size), fileSize: bytes.count)
        }
    }

    private static func checkTable(_ what: String, start: Int, size: Int, in bytes: [UInt8]) throws(ELFError) {
        guard start + size <= bytes.count else {
            throw .truncated(what: what, offset: start, needed: size, available: max(0, bytes.count - start))
        }
    }

    /// The NUL-terminated string at `offset` of a string table.
    private static func string(in table: [UInt8], at offset: Int, table name: String) throws(ELFError) -> String {
        guard offset < table.count || (offset == 0 && table.isEmpty) else {
            throw .nameOutOfTable(table: name, offset: offset, tableSize: table.count)
        }
        guard !table.isEmpty else { return "" }
        let end = table[offset...].firstIndex(of: 0) ?? table.endIndex
        return String(decoding: table[offset..<end], as: UTF8.self)
    }
}

/// What is wrong with an ELF file, with the byte offset where it was found.
public enum ELFError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case badMagic(found: [UInt8])
    case notClass32(found: UInt8)
    case notLittleEndian(found: UInt8)
    case notXtensa(found: UInt16)
    /// A header or table runs past the end of the file.
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    case badEntrySize(table: String, found: Int, expected: Int)
    /// `name` is nil when the section names were not read yet.
    case sectionOutOfFile(index: Int, name: String?, offset: Int, size: Int, fileSize: Int)
    case segmentOutOfFile(index: Int, offset: Int, size: Int, fileSize: Int)
    case badSectionNameTableIndex(Int, sectionCount: Int)
    case nameOutOfTable(table: String, offset: Int, tableSize: Int)
    case badLink(section: String, link: Int, sectionCount: Int)

    public var description: String {
        switch self {
        case .badMagic(let found):
            "not an ELF file: bytes 0-3 are \(found.map { hexString([$0]) }.joined(separator: " ")), expected 7f 45 4c 46"
        case .notClass32(let found):
            "not a 32-bit ELF file: byte 4 (class) is \(found), expected 1"
        case .notLittleEndian(let found):
            "not a little-endian ELF file: byte 5 (data encoding) is \(found), expected 1"
        case .notXtensa(let found):
            "not an Xtensa ELF file: bytes 18-19 (machine) say \(found), expected 94"
        case .truncated(let what, let offset, let needed, let available):
            "ELF file truncated: the \(what) at byte \(offset) needs \(needed) bytes, \(available) there"
        case .badEntrySize(let table, let found, let expected):
            "corrupt ELF header: \(table) entries are \(found) bytes, expected \(expected)"
        case .sectionOutOfFile(let index, let name, let offset, let size, let fileSize):
            "section \(index)\(name.map { " (\($0))" } ?? "") lies outside the file: bytes \(offset)..<\(offset + size) of a \(fileSize)-byte file"
        case .segmentOutOfFile(let index, let offset, let size, let fileSize):
            "program header \(index) lies outside the file: bytes \(offset)..<\(offset + size) of a \(fileSize)-byte file"
        case .badSectionNameTableIndex(let index, let count):
            "corrupt ELF header: bytes 50-51 name section \(index) as the name table, but there are \(count) sections"
        case .nameOutOfTable(let table, let offset, let size):
            "a name at byte \(offset) of \(table) is outside that \(size)-byte table"
        case .badLink(let section, let link, let count):
            "\(section) links to section \(link), but there are \(count) sections"
        }
    }

    /// What to try next.
    public var help: String? {
        switch self {
        case .badMagic, .notClass32, .notLittleEndian, .notXtensa:
            "pass the linked firmware (e.g. build/app.out) made by xtensa-lx106-elf-gcc, not a .bin image or a host binary"
        default:
            "the file is damaged or cut short: relink the firmware and check that the copy is complete"
        }
    }
}

