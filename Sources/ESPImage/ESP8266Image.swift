import Basics
/// The ESP8266 "v1" application image the ROM boots from flash offset 0
/// (docs/esp8266-rom-protocol.md, "Image format"):
/// 8-byte header (0xE9, segment count, flash mode, size/frequency, u32 entry),
/// segments (u32 load address, u32 length, bytes), zero padding so that the length + 1
/// is a multiple of 16, then a checksum byte: 0xEF XOR every segment data byte.
public struct ESP8266Image: Equatable, Sendable {
    public static let magic: UInt8 = 0xE9
    public static let headerSize = 8
    public static let checksumSeed: UInt8 = 0xEF

    public struct Segment: Equatable, Sendable {
        public var loadAddress: UInt32
        public var data: [UInt8]
        /// Where the segment's 8-byte header starts in the file.
        public var fileOffset: Int
        public init(loadAddress: UInt32, data: [UInt8], fileOffset: Int) {
            self.loadAddress = loadAddress
            self.data = data
            self.fileOffset = fileOffset
        }
    }

    public var flashModeByte: UInt8
    public var sizeFrequencyByte: UInt8
    public var entry: UInt32
    public var segments: [Segment]
    /// The checksum byte stored in the file.
    public var storedChecksum: UInt8
    /// The number of bytes the image occupies, checksum included (a file may be longer).
    public var length: Int

    /// The checksum computed from the segments.
    public var computedChecksum: UInt8 {
        segments.reduce(Self.checksumSeed) { sum, segment in segment.data.reduce(sum, ^) }
    }

    public var checksumIsValid: Bool { computedChecksum == storedChecksum }
    public var flashMode: FlashMode? { FlashMode(rawValue: flashModeByte) }
    public var flashSize: FlashSize? { FlashSize(rawValue: sizeFrequencyByte >> 4) }
    public var flashFrequency: FlashFrequency? { FlashFrequency(rawValue: sizeFrequencyByte & 0x0F) }

    /// Segment counts above this are treated as a corrupt header, not an image.
    public static let maxSegments = 16

    /// Parses an image from the start of `bytes`. Throws naming the byte offset that is wrong.
    public init(parsing bytes: [UInt8]) throws(ImageError) {
        guard bytes.count >= Self.headerSize else { throw .truncated(offset: 0, needed: Self.headerSize, available: bytes.count) }
        guard bytes[0] == Self.magic else { throw .badMagic(found: bytes[0]) }
        let count = Int(bytes[1])
        guard count >= 1, count <= Self.maxSegments else { throw .badSegmentCount(count) }
        flashModeByte = bytes[2]
        sizeFrequencyByte = bytes[3]
        entry = bytes.readLE32(at: 4) ?? 0
        var offset = Self.headerSize
        var segments: [Segment] = []
        for index in 0..<count {
            guard let address = bytes.readLE32(at: offset), let size = bytes.readLE32(at: offset + 4) else {
                throw .truncated(offset: offset, needed: 8, available: bytes.count - offset)
            }
            let start = offset + 8
            guard Int(size) <= bytes.count - start else {
                throw .segmentOverrun(index: index, offset: offset, length: Int(size), available: bytes.count - start)
            }
            segments.append(Segment(loadAddress: address, data: Array(bytes[start..<start + Int(size)]), fileOffset: offset))
            offset = start + Int(size)
        }
        // Padding: the checksum byte sits at the last position of a 16-byte line.
        let checksumOffset = (offset + 16) & ~15 - 1
        guard checksumOffset < bytes.count else {
            throw .truncated(offset: checksumOffset, needed: 1, available: 0)
        }
        self.segments = segments
        self.storedChecksum = bytes[checksumOffset]
        self.length = checksumOffset + 1
    }

    /// Returns `bytes` with header bytes 2 and 3 set from `parameters` (fields left nil keep
    /// the image's value). The checksum covers segment data only, so it stays valid.
    public static func patchingHeader(_ bytes: [UInt8], with parameters: FlashParameters) throws(ImageError) -> [UInt8] {
        guard bytes.count >= headerSize else { throw .truncated(offset: 0, needed: headerSize, available: bytes.count) }
        guard bytes[0] == magic else { throw .badMagic(found: bytes[0]) }
        var patched = bytes
        if let mode = parameters.mode { patched[2] = mode.rawValue }
        if let size = parameters.size { patched[3] = size.rawValue << 4 | (patched[3] & 0x0F) }
        if let frequency = parameters.frequency { patched[3] = (patched[3] & 0xF0) | frequency.rawValue }
        return patched
    }
}

/// What is wrong with an image, with the byte offset where it was found.
public enum ImageError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case badMagic(found: UInt8)
    case badSegmentCount(Int)
    case truncated(offset: Int, needed: Int, available: Int)
    case segmentOverrun(index: Int, offset: Int, length: Int, available: Int)

    public var description: String {
        switch self {
        case .badMagic(let found):
            "not an ESP8266 image: byte 0 is 0x\(String(found, radix: 16)), expected 0xe9"
        case .badSegmentCount(let count):
            "corrupt image header: byte 1 says \(count) segments (1…\(ESP8266Image.maxSegments) expected)"
        case .truncated(let offset, let needed, let available):
            "image truncated at byte \(offset): \(needed) bytes needed, \(available) there"
        case .segmentOverrun(let index, let offset, let length, let available):
            "segment \(index) (header at byte \(offset)) claims \(length) bytes but only \(available) follow"
        }
    }

    public var help: String? { "is this an ESP8266 boot image (0x00000.bin)? Its first byte must be 0xe9" }
}
