/// The SPI flash settings an ESP8266 image header carries in bytes 2 and 3, which a
/// flashing tool rewrites for the board at hand (docs/esp8266-rom-protocol.md, "Image format").

/// SPI flash access mode (header byte 2).
public enum FlashMode: UInt8, CaseIterable, Sendable {
    case qio = 0, qout = 1, dio = 2, dout = 3

    /// Parses esptool's spelling: "qio", "qout", "dio", "dout".
    public init?(name: String) {
        guard let mode = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = mode
    }

    public var name: String {
        switch self {
        case .qio: "qio"
        case .qout: "qout"
        case .dio: "dio"
        case .dout: "dout"
        }
    }
}

/// Flash chip size (high nibble of header byte 3).
public enum FlashSize: UInt8, CaseIterable, Sendable {
    case size512KB = 0x0, size256KB = 0x1, size1MB = 0x2, size2MB = 0x3, size4MB = 0x4
    case size2MBc1 = 0x5, size4MBc1 = 0x6, size8MB = 0x8, size16MB = 0x9

    /// Parses esptool's spelling: "512KB", "256KB", "1MB", "2MB", "4MB", "2MB-c1", "4MB-c1", "8MB", "16MB".
    public init?(name: String) {
        guard let size = Self.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = size
    }

    public var name: String {
        switch self {
        case .size512KB: "512KB"
        case .size256KB: "256KB"
        case .size1MB: "1MB"
        case .size2MB: "2MB"
        case .size4MB: "4MB"
        case .size2MBc1: "2MB-c1"
        case .size4MBc1: "4MB-c1"
        case .size8MB: "8MB"
        case .size16MB: "16MB"
        }
    }

    public var bytes: Int {
        switch self {
        case .size256KB: 256 << 10
        case .size512KB: 512 << 10
        case .size1MB: 1 << 20
        case .size2MB, .size2MBc1: 2 << 20
        case .size4MB, .size4MBc1: 4 << 20
        case .size8MB: 8 << 20
        case .size16MB: 16 << 20
        }
    }
}

/// SPI flash clock (low nibble of header byte 3).
public enum FlashFrequency: UInt8, CaseIterable, Sendable {
    case mhz40 = 0x0, mhz26 = 0x1, mhz20 = 0x2, mhz80 = 0xF

    /// Parses esptool's spelling: "40m", "26m", "20m", "80m".
    public init?(name: String) {
        guard let freq = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = freq
    }

    public var name: String {
        switch self {
        case .mhz40: "40m"
        case .mhz26: "26m"
        case .mhz20: "20m"
        case .mhz80: "80m"
        }
    }
}

/// The settings to write into an image header; `nil` fields keep what the image has
/// (esptool's "keep").
public struct FlashParameters: Equatable, Sendable {
    public var mode: FlashMode?
    public var size: FlashSize?
    public var frequency: FlashFrequency?

    public init(mode: FlashMode? = nil, size: FlashSize? = nil, frequency: FlashFrequency? = nil) {
        self.mode = mode
        self.size = size
        self.frequency = frequency
    }

    /// Whether nothing would change in a header.
    public var keepsAll: Bool { mode == nil && size == nil && frequency == nil }
}
