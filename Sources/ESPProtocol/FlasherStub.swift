/// A RAM program that speaks the stub protocol (firmware/stub/PROTOCOL.md) once started:
/// its segments, entry point and the limits the client must respect.
public struct FlasherStub: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var address: UInt32
        public var bytes: [UInt8]
        public init(address: UInt32, bytes: [UInt8]) {
            self.address = address
            self.bytes = bytes
        }
    }

    public var entry: UInt32
    public var segments: [Segment]
    /// The largest FLASH_DATA / FLASH_DEFL_DATA block the stub accepts.
    public var maxBlockSize: Int
    /// The largest zlib window (as bits, 9…15) the stub's inflater holds.
    public var maxWindowBits: Int

    public init(entry: UInt32, segments: [Segment], maxBlockSize: Int, maxWindowBits: Int) {
        self.entry = entry
        self.segments = segments
        self.maxBlockSize = maxBlockSize
        self.maxWindowBits = maxWindowBits
    }

    /// The frame a started stub sends first.
    public static let greeting: [UInt8] = Array("OHAI".utf8)
    /// MEM_DATA block size for the upload (esptool's ESP_RAM_BLOCK; the ROM accepts it).
    public static let uploadBlockSize = 0x1800
}

extension FlasherStub {
    /// mlprov's own stub (firmware/stub; scripts/build-stub writes its segments into Resources/ and
    /// their addresses and limits into FlasherStub+Image.swift).
    public static let mlprov = FlasherStub(
        entry: FlasherStubImage.entry,
        segments: [
            Segment(address: FlasherStubImage.text.address, bytes: FlasherStubImage.text.bytes),
            Segment(address: FlasherStubImage.data.address, bytes: FlasherStubImage.data.bytes),
        ],
        maxBlockSize: FlasherStubImage.maxBlockSize,
        maxWindowBits: FlasherStubImage.maxWindowBits)
}
