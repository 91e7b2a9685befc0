/// Requests of the flasher stub protocol (firmware/stub/PROTOCOL.md): the commands a RAM
/// stub adds to the ROM's. Framing and replies are the ROM's.
extension Request {
    /// FLASH_DEFL_BEGIN: a zlib stream of `packetCount` blocks of at most `packetSize`
    /// bytes follows; it inflates to `uncompressedSize` bytes written at `offset`. The stub
    /// erases exactly the sectors it writes, as it writes them.
    public static func flashDeflBegin(uncompressedSize: UInt32, packetCount: UInt32, packetSize: UInt32, offset: UInt32) -> Request {
        FlashBegin(size: uncompressedSize, packetCount: packetCount, packetSize: packetSize, offset: offset).request(.flashDeflBegin)
    }

    public static func flashDeflData(_ data: [UInt8], sequence: UInt32) -> Request {
        dataPacket(.flashDeflData, data, sequence: sequence)
    }

    public static func flashDeflEnd(_ action: FlashEndAction) -> Request {
        Request(.flashDeflEnd, payload: words(action.rawValue))
    }

    /// SPI_FLASH_MD5 of `size` bytes at `address`; the stub answers with 16 raw digest bytes.
    public static func spiFlashMD5(address: UInt32, size: UInt32) -> Request {
        Request(.spiFlashMD5, payload: words(address, size, 0, 0))
    }

    /// CHANGE_BAUDRATE: the stub answers at `oldBaud`, then moves to `newBaud`.
    public static func changeBaudRate(to newBaud: UInt32, from oldBaud: UInt32) -> Request {
        Request(.changeBaudRate, payload: words(newBaud, oldBaud))
    }

    /// SPI_SET_PARAMS: the flash chip's geometry (id, total size, 64 KiB blocks, 4 KiB
    /// sectors, 256-byte pages, status mask), so a stub refuses addresses past the end.
    public static func spiSetParams(totalSize: UInt32) -> Request {
        Request(.spiSetParams, payload: words(0, totalSize, 0x1_0000, 0x1000, 0x100, 0xFFFF))
    }

    /// ERASE_REGION: both values multiples of 4096.
    public static func eraseRegion(offset: UInt32, size: UInt32) -> Request {
        Request(.eraseRegion, payload: words(offset, size))
    }

    public static func eraseFlash() -> Request { Request(.eraseFlash) }

    /// READ_FLASH: the data follows the reply as frames of `packetSize` bytes, each answered
    /// with the running total; at most `maxUnacked` frames are outstanding; an MD5 frame ends it.
    public static func readFlash(offset: UInt32, length: UInt32, packetSize: UInt32, maxUnacked: UInt32) -> Request {
        Request(.readFlash, payload: words(offset, length, packetSize, maxUnacked))
    }

    /// RUN_USER_CODE: no reply; the board boots from flash.
    public static func runUserCode() -> Request { Request(.runUserCode) }
}

/// The error codes a stub puts in a failed reply's second status byte.
public enum StubErrorCode: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case badDataLength = 0xC0
    case badDataChecksum = 0xC1
    case badBlockSize = 0xC2
    case invalidCommand = 0xC3
    case failedSPIOperation = 0xC4
    case failedSPIUnlock = 0xC5
    case notInFlashMode = 0xC6
    case inflateError = 0xC7
    case notEnoughData = 0xC8
    case tooMuchData = 0xC9
    case commandNotImplemented = 0xFF

    public var description: String {
        switch self {
        case .badDataLength: "bad data length"
        case .badDataChecksum: "bad data checksum"
        case .badBlockSize: "bad block size"
        case .invalidCommand: "invalid command"
        case .failedSPIOperation: "failed SPI operation"
        case .failedSPIUnlock: "failed SPI unlock"
        case .notInFlashMode: "not in flash mode"
        case .inflateError: "inflate error"
        case .notEnoughData: "not enough data"
        case .tooMuchData: "too much data"
        case .commandNotImplemented: "command not implemented"
        }
    }
}

extension Response {
    /// A reply as esptool's stubs send it: `body`, then the two status bytes, which on a
    /// failure hold the error code first and 0 second (esptool reads them as one big-endian
    /// u16, 0xC100 = bad data checksum), unlike the ROM's 1-then-code.
    public static func stub(_ opcode: Opcode, value: UInt32 = 0, body: [UInt8] = [], error: StubErrorCode? = nil) -> Response {
        Response(opcode, value: value, data: body + [error?.rawValue ?? 0, 0])
    }
}
