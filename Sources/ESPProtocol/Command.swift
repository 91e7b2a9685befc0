import Basics
import ESPImage

/// The ROM loader's command opcodes. A struct rather than an enum so that opcodes this
/// codebase does not name (a client probing, line noise) can still be carried and answered.
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    // Commands the ESP8266 ROM implements (docs/esp8266-rom-protocol.md, "ROM commands").
    public static let flashBegin = Opcode(rawValue: 0x02)
    public static let flashData = Opcode(rawValue: 0x03)
    public static let flashEnd = Opcode(rawValue: 0x04)
    public static let memBegin = Opcode(rawValue: 0x05)
    public static let memEnd = Opcode(rawValue: 0x06)
    public static let memData = Opcode(rawValue: 0x07)
    public static let sync = Opcode(rawValue: 0x08)
    public static let writeReg = Opcode(rawValue: 0x09)
    public static let readReg = Opcode(rawValue: 0x0A)
    // Commands of later ROMs and of stub loaders; the ESP8266 ROM answers them "invalid".
    public static let spiSetParams = Opcode(rawValue: 0x0B)
    public static let spiAttach = Opcode(rawValue: 0x0D)
    public static let changeBaudRate = Opcode(rawValue: 0x0F)
    public static let flashDeflBegin = Opcode(rawValue: 0x10)
    public static let flashDeflData = Opcode(rawValue: 0x11)
    public static let flashDeflEnd = Opcode(rawValue: 0x12)
    public static let spiFlashMD5 = Opcode(rawValue: 0x13)
    public static let getSecurityInfo = Opcode(rawValue: 0x14)
    // Stub-only commands (firmware/stub/PROTOCOL.md).
    public static let eraseFlash = Opcode(rawValue: 0xD0)
    public static let eraseRegion = Opcode(rawValue: 0xD1)
    public static let readFlash = Opcode(rawValue: 0xD2)
    public static let runUserCode = Opcode(rawValue: 0xD3)

    private static let names: [UInt8: String] = [
        0x02: "FLASH_BEGIN", 0x03: "FLASH_DATA", 0x04: "FLASH_END", 0x05: "MEM_BEGIN",
        0x06: "MEM_END", 0x07: "MEM_DATA", 0x08: "SYNC", 0x09: "WRITE_REG", 0x0A: "READ_REG",
        0x0B: "SPI_SET_PARAMS", 0x0D: "SPI_ATTACH", 0x0F: "CHANGE_BAUDRATE", 0x10: "FLASH_DEFL_BEGIN",
        0x11: "FLASH_DEFL_DATA", 0x12: "FLASH_DEFL_END", 0x13: "SPI_FLASH_MD5", 0x14: "GET_SECURITY_INFO",
        0xD0: "ERASE_FLASH", 0xD1: "ERASE_REGION", 0xD2: "READ_FLASH", 0xD3: "RUN_USER_CODE",
    ]

    public var description: String {
        Self.names[rawValue] ?? "command \(hex(rawValue, digits: 2))"
    }
}

/// The checksum FLASH_DATA and MEM_DATA carry: XOR of the data bytes, seeded with 0xEF.
public func loaderChecksum(_ data: some Sequence<UInt8>) -> UInt32 {
    UInt32(data.reduce(UInt8(0xEF), ^))
}

/// A request from host to ROM, before SLIP framing:
/// direction 0x00, opcode, u16 payload length, u32 checksum, payload.
public struct Request: Equatable, Sendable {
    public static let headerSize = 8
    public var opcode: Opcode
    public var payload: [UInt8]
    public var checksum: UInt32

    public init(_ opcode: Opcode, payload: [UInt8] = [], checksum: UInt32 = 0) {
        self.opcode = opcode
        self.payload = payload
        self.checksum = checksum
    }

    /// The packet bytes (unframed).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [0x00, opcode.rawValue]
        bytes.reserveCapacity(Self.headerSize + payload.count)
        bytes.appendLE16(UInt16(truncatingIfNeeded: payload.count))
        bytes.appendLE32(checksum)
        bytes += payload
        return bytes
    }

    /// Parses a packet; nil unless it is a well-formed request (direction 0, length field
    /// equal to the payload's size).
    public init?(decoding packet: [UInt8]) {
        guard packet.count >= Self.headerSize, packet[0] == 0x00,
              let length = packet.readLE16(at: 2), let checksum = packet.readLE32(at: 4),
              Int(length) == packet.count - Self.headerSize
        else { return nil }
        self.opcode = Opcode(rawValue: packet[1])
        self.checksum = checksum
        self.payload = Array(packet[Self.headerSize...])
    }

    /// The u32 payload field number `index` (0-based), if present.
    public func word(_ index: Int) -> UInt32? { payload.readLE32(at: index * 4) }
}

extension Request {
    /// SYNC: 0x07 0x07 0x12 0x20 then 32 × 0x55, which the ROM also uses to measure the baud rate.
    public static let syncPayload: [UInt8] = [0x07, 0x07, 0x12, 0x20] + [UInt8](repeating: 0x55, count: 32)

    public static func sync() -> Request { Request(.sync, payload: syncPayload) }

    public static func readReg(_ address: UInt32) -> Request {
        Request(.readReg, payload: words(address))
    }

    public static func writeReg(_ address: UInt32, value: UInt32, mask: UInt32 = 0xFFFF_FFFF, delayMicroseconds: UInt32 = 0) -> Request {
        Request(.writeReg, payload: words(address, value, mask, delayMicroseconds))
    }

    /// FLASH_BEGIN: erase `eraseSize` bytes (as the ROM interprets it) at `offset`, then
    /// expect `packetCount` FLASH_DATA packets of `packetSize` bytes.
    public static func flashBegin(eraseSize: UInt32, packetCount: UInt32, packetSize: UInt32, offset: UInt32) -> Request {
        FlashBegin(size: eraseSize, packetCount: packetCount, packetSize: packetSize, offset: offset).request()
    }

    public static func flashData(_ data: [UInt8], sequence: UInt32) -> Request {
        dataPacket(.flashData, data, sequence: sequence)
    }

    /// FLASH_END. Its word says what the ROM does next: 0 reboots (a soft reset back into
    /// the boot mode the pins chose), 1 runs the code in flash. Espressif's serial protocol
    /// page and esptool (`flash_finish`, `run`) agree; staying in the loader needs no FLASH_END.
    public static func flashEnd(_ action: FlashEndAction) -> Request {
        Request(.flashEnd, payload: words(action.rawValue))
    }

    public static func memBegin(size: UInt32, packetCount: UInt32, packetSize: UInt32, address: UInt32) -> Request {
        Request(.memBegin, payload: words(size, packetCount, packetSize, address))
    }

    public static func memData(_ data: [UInt8], sequence: UInt32) -> Request {
        dataPacket(.memData, data, sequence: sequence)
    }

    /// MEM_END: with `execute`, jump to `entry` after the reply.
    public static func memEnd(execute: Bool, entry: UInt32) -> Request {
        Request(.memEnd, payload: words(execute ? 0 : 1, entry))
    }

    static func dataPacket(_ opcode: Opcode, _ data: [UInt8], sequence: UInt32) -> Request {
        var payload = words(UInt32(data.count), sequence, 0, 0)
        payload += data
        return Request(opcode, payload: payload, checksum: loaderChecksum(data))
    }

    static func words(_ values: UInt32...) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values { bytes.appendLE32(value) }
        return bytes
    }
}

/// The four fields of FLASH_BEGIN (and of FLASH_DEFL_BEGIN, which has the same layout),
/// kept typed until the request is encoded: the size (for the ROM the erase size, bug and
/// all; for a stub the exact size, uncompressed for FLASH_DEFL_BEGIN), the number of data
/// packets that follow, their size, and the flash offset.
public struct FlashBegin: Equatable, Sendable {
    public var size: UInt32
    public var packetCount: UInt32
    public var packetSize: UInt32
    public var offset: UInt32

    public init(size: UInt32, packetCount: UInt32, packetSize: UInt32, offset: UInt32) {
        self.size = size
        self.packetCount = packetCount
        self.packetSize = packetSize
        self.offset = offset
    }

    /// The request carrying these fields: FLASH_BEGIN, or FLASH_DEFL_BEGIN for a stub's
    /// compressed write.
    public func request(_ opcode: Opcode = .flashBegin) -> Request {
        Request(opcode, payload: Request.words(size, packetCount, packetSize, offset))
    }

    /// The fields of a FLASH_BEGIN or FLASH_DEFL_BEGIN request; nil for another opcode or a
    /// payload too short for the four words. Words after the fourth (esptool's "encrypted"
    /// flag, which the ESP8266 ignores) are left to the receiver to judge.
    public init?(decoding request: Request) {
        guard request.opcode == .flashBegin || request.opcode == .flashDeflBegin,
              let size = request.word(0), let packetCount = request.word(1), let packetSize = request.word(2),
              let offset = request.word(3)
        else { return nil }
        self.init(size: size, packetCount: packetCount, packetSize: packetSize, offset: offset)
    }
}

/// What FLASH_END asks the ROM to do.
public enum FlashEndAction: UInt32, Sendable {
    case reboot = 0
    case runUserCode = 1

    /// To a stub, FLASH_END / FLASH_DEFL_END with 1 means "stay in the stub" (running the
    /// firmware is RUN_USER_CODE there): the same word, read differently.
    public static let stayInStub = FlashEndAction.runUserCode
}

/// The error codes the ESP8266 ROM puts in a failed reply's second status byte.
public enum ROMErrorCode: UInt8, Sendable, CustomStringConvertible {
    case invalidMessage = 0x05
    case failedToAct = 0x06
    case invalidChecksum = 0x07
    case flashWriteError = 0x08
    case flashReadError = 0x09
    case flashReadLengthError = 0x0A
    case deflateError = 0x0B

    public var description: String {
        switch self {
        case .invalidMessage: "invalid message"
        case .failedToAct: "failed to act on message"
        case .invalidChecksum: "invalid checksum"
        case .flashWriteError: "flash write error"
        case .flashReadError: "flash read error"
        case .flashReadLengthError: "flash read length error"
        case .deflateError: "deflate error"
        }
    }
}

/// A reply from ROM to host, before SLIP framing: direction 0x01, the opcode answered,
/// u16 data length, u32 value, data. On the ESP8266 ROM the data ends with two status
/// bytes: status (0 ok, 1 failed) and an error code.
public struct Response: Equatable, Sendable {
    public static let headerSize = 8
    public var opcode: Opcode
    public var value: UInt32
    public var data: [UInt8]

    public init(_ opcode: Opcode, value: UInt32 = 0, data: [UInt8]) {
        self.opcode = opcode
        self.value = value
        self.data = data
    }

    /// A reply as the ESP8266 ROM sends it: `body` followed by the two status bytes.
    public static func rom(_ opcode: Opcode, value: UInt32 = 0, body: [UInt8] = [], error: ROMErrorCode? = nil) -> Response {
        Response(opcode, value: value, data: body + [error == nil ? 0 : 1, error?.rawValue ?? 0])
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [0x01, opcode.rawValue]
        bytes.reserveCapacity(Self.headerSize + data.count)
        bytes.appendLE16(UInt16(truncatingIfNeeded: data.count))
        bytes.appendLE32(value)
        bytes += data
        return bytes
    }

    /// Parses a packet; nil unless it is a well-formed reply.
    public init?(decoding packet: [UInt8]) {
        guard packet.count >= Self.headerSize, packet[0] == 0x01,
              let length = packet.readLE16(at: 2), let value = packet.readLE32(at: 4),
              Int(length) == packet.count - Self.headerSize
        else { return nil }
        self.opcode = Opcode(rawValue: packet[1])
        self.value = value
        self.data = Array(packet[Self.headerSize...])
    }

    /// The status byte pair at the end of the data: (failed, error code). The ROM fails
    /// with 1 and the code; a stub with the code (0xC0…0xFF) and 0. A reply too short to
    /// carry them counts as failed with no code.
    public var status: (failed: Bool, code: UInt8?) {
        guard data.count >= 2 else { return (true, nil) }
        let first = data[data.count - 2]
        return (first != 0, first == 1 ? data[data.count - 1] : first)
    }

    /// The data without the two status bytes.
    public var body: [UInt8] { Array(data.dropLast(2)) }
}
