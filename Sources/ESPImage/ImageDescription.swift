import Basics

/// What `image-info` reports about an ESP8266 v1 image file, with the same facts
/// `esptool --chip esp8266 image-info FILE` prints: header fields (flash settings by name),
/// segments with their memory region, stored and computed checksum, image and file length.
/// Numbers are numbers in JSON.
public struct ImageDescription: Codable, Equatable, Sendable {
    public struct Segment: Codable, Equatable, Sendable {
        public var index: Int
        public var loadAddress: UInt32
        public var length: Int
        /// Where the segment's 8-byte header starts in the file.
        public var fileOffset: Int
        /// IRAM, DRAM, IROM, DPORT, or nil outside the named regions (ESP8266MemoryMap).
        public var region: String?
    }

    public var magic: UInt8
    public var segmentCount: Int
    public var flashModeByte: UInt8
    /// "QIO", "QOUT", "DIO", "DOUT" (esptool's spelling), nil for an unknown value.
    public var flashMode: String?
    public var sizeFrequencyByte: UInt8
    /// "1MB", "4MB-c1", …, nil for an unknown value.
    public var flashSize: String?
    /// "40m", "26m", "20m", "80m", nil for an unknown value.
    public var flashFrequency: String?
    public var entry: UInt32
    public var segments: [Segment]
    public var storedChecksum: UInt8
    public var computedChecksum: UInt8
    public var checksumValid: Bool
    /// Bytes the image occupies, checksum included.
    public var imageLength: Int
    /// Bytes in the file (esptool's "Image size"); more than `imageLength` when something follows.
    public var fileLength: Int
    /// Findings that do not stop the image from being read (unknown header values, segments
    /// at implausible addresses).
    public var warnings: [String]

    /// Describes the image at the start of `bytes` (the whole file).
    public init(describing bytes: [UInt8]) throws(ImageError) {
        let image = try ESP8266Image(parsing: bytes)
        self.init(image, fileLength: bytes.count)
    }

    public init(_ image: ESP8266Image, fileLength: Int) {
        magic = ESP8266Image.magic
        segmentCount = image.segments.count
        flashModeByte = image.flashModeByte
        flashMode = image.flashMode?.name.uppercased()
        sizeFrequencyByte = image.sizeFrequencyByte
        flashSize = image.flashSize?.name
        flashFrequency = image.flashFrequency?.name
        entry = image.entry
        segments = image.segments.enumerated().map { index, segment in
            Segment(
                index: index, loadAddress: segment.loadAddress, length: segment.data.count,
                fileOffset: segment.fileOffset, region: ESP8266MemoryMap.regionName(for: segment.loadAddress))
        }
        storedChecksum = image.storedChecksum
        computedChecksum = image.computedChecksum
        checksumValid = image.checksumIsValid
        imageLength = image.length
        self.fileLength = fileLength
        var warnings: [String] = []
        if image.flashMode == nil { warnings.append("unknown flash mode \(image.flashModeByte) in byte 2") }
        if image.flashSize == nil { warnings.append("unknown flash size \(hex(image.sizeFrequencyByte & 0xF0, digits: 2)) in byte 3") }
        if image.flashFrequency == nil { warnings.append("unknown flash frequency \(hex(image.sizeFrequencyByte & 0x0F, digits: 1)) in byte 3") }
        for segment in segments where !ESP8266MemoryMap.plausibleLoadAddresses.contains(segment.loadAddress) {
            warnings.append("segment \(segment.index) loads at \(hex(segment.loadAddress)), outside RAM: suspicious")
        }
        self.warnings = warnings
    }
}
