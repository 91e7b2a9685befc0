import Basics
/// Turns a linked ESP8266 firmware (ELF) into the two files the ROM boots from
/// (docs/esp8266-rom-protocol.md, "Image format"), byte for byte as
/// `esptool --chip esp8266 elf2image FILE -o DIR/` (version 1 images) makes them.
///
/// The rules, each settled by comparing outputs with esptool 5.6.0:
/// - Input pieces are the ELF's sections in section-header order whose type is PROGBITS,
///   INIT_ARRAY, FINI_ARRAY or PREINIT_ARRAY, with a non-zero address and size (NOBITS such
///   as `.bss` and non-allocated sections at address 0 such as `.comment` are left out).
///   With `.segments`, the pieces are instead the LOAD program headers with a non-zero
///   physical address and file size, at their physical address.
/// - A piece directly following another in that order is merged into it when it starts
///   where the other ends after padding to 4 bytes (the gap is filled with zeros).
///   Only neighbours in the order merge; nothing is sorted.
/// - Every segment's data is zero-padded to a multiple of 4 bytes.
/// - A segment in the flash-mapped window 0x40200000..<0x40300000 (`.irom0.text`) is
///   written raw (padded to 4) to a file named by its flash offset, `0x%05x.bin`
///   (e.g. `0x10000.bin`); more than one such segment is an error.
/// - The rest are RAM segments of `0x00000.bin`, in order, at most 16: header
///   (0xE9, count, flash mode, size << 4 | frequency, ELF entry point), segments, zero
///   padding so that the length + 1 is a multiple of 16, checksum 0xEF XOR all data.
/// - Flash defaults: QIO, 1MB, 40m.
public enum ELF2Image {
    /// The boot image's file name: its flash offset.
    public static let imageFileName = fileName(forFlashOffset: 0)
    /// esptool elf2image's header defaults when no flag is given.
    public static let defaultFlash = FlashParameters(mode: .qio, size: .size1MB, frequency: .mhz40)
    /// Segment lengths are padded to this many bytes.
    public static let segmentAlignment = 4

    /// Where the pieces of the image come from.
    public enum Source: String, Sendable, CaseIterable {
        /// ELF sections (esptool's default).
        case sections
        /// ELF program headers (esptool's `--use-segments`).
        case segments
    }

    /// One output file: its name (the flash offset it belongs at), offset and bytes.
    public typealias File = FlashPart

    /// A segment after merging and padding, with the ELF pieces it was made of.
    public struct Segment: Equatable, Sendable {
        public var address: UInt32
        public var data: [UInt8]
        /// Names of the merged sections (or "segment N" for program headers).
        public var pieces: [String]
        public init(address: UInt32, data: [UInt8], pieces: [String]) {
            self.address = address
            self.data = data
            self.pieces = pieces
        }
    }

    public struct Result: Equatable, Sendable {
        /// The boot image (`0x00000.bin`).
        public var image: [UInt8]
        public var entry: UInt32
        public var flash: FlashParameters
        public var ramSegments: [Segment]
        /// The `.irom0.text` segment, when the ELF has one.
        public var iromSegment: Segment?
        /// How many pieces were merged into a preceding one (esptool: "Merged N ELF sections").
        public var mergedCount: Int
        /// Things left out that might surprise (unknown section types with an address).
        public var warnings: [String]

        /// The files to write, in the order esptool writes them (the irom file first).
        public var files: [File] {
            var files: [File] = []
            if let irom = iromSegment {
                let offset = Int(irom.address - ESP8266MemoryMap.flashMapBase)
                files.append(File(name: ELF2Image.fileName(forFlashOffset: offset), offset: offset, bytes: irom.data))
            }
            files.append(File(name: ELF2Image.imageFileName, offset: 0, bytes: image))
            return files
        }
    }

    /// esptool's name for a file written at `offset`: "0x" and at least 5 lower-case hex digits.
    public static func fileName(forFlashOffset offset: Int) -> String {
        hex(offset, digits: 5) + ".bin"
    }

    /// Converts ELF bytes; `flash` fields left nil take esptool's defaults (QIO, 1MB, 40m).
    public static func convert(
        elf bytes: [UInt8], flash: FlashParameters = defaultFlash, source: Source = .sections
    ) throws(ELF2ImageError) -> Result {
        let elf: ELFFile
        do { elf = try ELFFile(parsing: bytes) } catch { throw .elf(error) }
        return try convert(elf, flash: flash, source: source)
    }

    /// Converts a parsed ELF; `flash` fields left nil take esptool's defaults (QIO, 1MB, 40m).
    public static func convert(
        _ elf: ELFFile, flash: FlashParameters = defaultFlash, source: Source = .sections
    ) throws(ELF2ImageError) -> Result {
        let flash = FlashParameters(
            mode: flash.mode ?? defaultFlash.mode, size: flash.size ?? defaultFlash.size,
            frequency: flash.frequency ?? defaultFlash.frequency)
        var warnings: [String] = []
        let pieces: [Segment] = switch source {
        case .sections: sectionPieces(elf, warnings: &warnings)
        case .segments: segmentPieces(elf)
        }
        let (merged, mergedCount) = merge(pieces)
        let irom = merged.filter { ESP8266MemoryMap.flashMappedCode.contains($0.address) }
        let ram = merged.filter { !ESP8266MemoryMap.flashMappedCode.contains($0.address) }
        guard irom.count <= 1 else { throw .severalFlashSegments(irom.map { .init(address: $0.address, pieces: $0.pieces) }) }
        if let segment = irom.first, segment.address == ESP8266MemoryMap.flashMapBase {
            throw .flashSegmentAtImageOffset(pieces: segment.pieces)
        }
        guard ram.count <= ESP8266Image.maxSegments else {
            throw .tooManySegments(ram.count, max: ESP8266Image.maxSegments)
        }
        return Result(
            image: imageBytes(entry: elf.entry, flash: flash, segments: ram),
            entry: elf.entry, flash: flash, ramSegments: ram, iromSegment: irom.first,
            mergedCount: mergedCount, warnings: warnings)
    }

    /// The bytes of a v1 image with `segments` (already padded), header from `flash`.
    public static func imageBytes(entry: UInt32, flash: FlashParameters, segments: [Segment]) -> [UInt8] {
        let mode = (flash.mode ?? defaultFlash.mode ?? .qio).rawValue
        let size = (flash.size ?? defaultFlash.size ?? .size1MB).rawValue
        let frequency = (flash.frequency ?? defaultFlash.frequency ?? .mhz40).rawValue
        var bytes: [UInt8] = [ESP8266Image.magic, UInt8(segments.count), mode, size << 4 | frequency]
        bytes.appendLE32(entry)
        var checksum = ESP8266Image.checksumSeed
        for segment in segments {
            bytes.appendLE32(segment.address)
            bytes.appendLE32(UInt32(segment.data.count))
            bytes += segment.data
            checksum = segment.data.reduce(checksum, ^)
        }
        // The checksum byte ends a 16-byte line.
        let padding = (15 - bytes.count % 16 + 16) % 16
        bytes += [UInt8](repeating: 0, count: padding)
        bytes.append(checksum)
        return bytes
    }

    // MARK: - Pieces

    /// Section types whose bytes go into the image.
    static let imageSectionTypes: Set<UInt32> = [
        ELFFile.SectionType.progbits, ELFFile.SectionType.initArray,
        ELFFile.SectionType.finiArray, ELFFile.SectionType.preinitArray,
    ]

    private static func sectionPieces(_ elf: ELFFile, warnings: inout [String]) -> [Segment] {
        var pieces: [Segment] = []
        for section in elf.sections where section.address != 0 {
            if imageSectionTypes.contains(section.type) {
                guard section.size > 0 else { continue }
                pieces.append(Segment(address: section.address, data: elf.contents(of: section), pieces: [section.name]))
            } else if section.type != ELFFile.SectionType.nobits {
                warnings.append("section \(section.name) at \(hex(section.address)) has type \(hex(section.type, digits: 2)), not program data: left out")
            }
        }
        return pieces
    }

    private static func segmentPieces(_ elf: ELFFile) -> [Segment] {
        elf.programHeaders
            .filter { $0.type == ELFFile.loadSegment && $0.physicalAddress != 0 && $0.fileSize > 0 }
            .map { Segment(address: $0.physicalAddress, data: elf.contents(of: $0), pieces: ["segment \($0.index)"]) }
    }

    /// Merges each piece into its predecessor when it starts where the predecessor ends
    /// after padding to 4 bytes, then pads every segment to 4 bytes.
    public static func merge(_ pieces: [Segment]) -> (segments: [Segment], merged: Int) {
        var segments: [Segment] = []
        var merged = 0
        for piece in pieces {
            var piece = piece
            pad(&piece.data)
            if var last = segments.last, UInt64(last.address) + UInt64(last.data.count) == UInt64(piece.address) {
                last.data += piece.data
                last.pieces += piece.pieces
                segments[segments.count - 1] = last
                merged += 1
            } else {
                segments.append(piece)
            }
        }
        return (segments, merged)
    }

    private static func pad(_ data: inout [UInt8]) {
        let remainder = data.count % segmentAlignment
        if remainder != 0 { data += [UInt8](repeating: 0, count: segmentAlignment - remainder) }
    }
}

/// Why an ELF could not become an image.
public enum ELF2ImageError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    public struct FlashSegment: Equatable, Sendable {
        public var address: UInt32
        public var pieces: [String]
        public init(address: UInt32, pieces: [String]) {
            self.address = address
            self.pieces = pieces
        }
    }

    case elf(ELFError)
    case tooManySegments(Int, max: Int)
    case severalFlashSegments([FlashSegment])
    /// A flash-mapped segment at 0x40200000 would be written at flash offset 0, where the
    /// boot image goes (esptool silently overwrites one file with the other).
    case flashSegmentAtImageOffset(pieces: [String])

    public var description: String {
        switch self {
        case .elf(let error):
            error.description
        case .tooManySegments(let count, let max):
            "the ELF has \(count) RAM segments after merging, an ESP8266 image holds at most \(max)"
        case .severalFlashSegments(let segments):
            "the ELF has \(segments.count) separate flash-mapped (irom) segments: "
                + segments.map { "\($0.pieces.joined(separator: "+")) at \(hex($0.address))" }.joined(separator: ", ")
                + "; an ESP8266 v1 image takes one"
        case .flashSegmentAtImageOffset(let pieces):
            "\(pieces.joined(separator: "+")) is linked at 0x40200000, flash offset 0, where the boot image goes"
        }
    }

    public var help: String? {
        switch self {
        case .elf(let error): error.help
        case .tooManySegments:
            "check the linker script: place .data, .rodata and friends contiguously in DRAM so they merge"
        case .severalFlashSegments:
            "check the linker script: put all flash-resident code into one .irom0.text output section"
        case .flashSegmentAtImageOffset:
            "link .irom0.text at 0x40210000 (flash offset 0x10000) or later"
        }
    }
}
