import ESPImage
import ESPProtocol

/// The address space READ_REG and WRITE_REG reach on the twin: the modelled registers
/// (chip detect, OTP/eFuse words, UART clock divider, SPI flash controller), RAM written
/// with MEM_DATA, and a plain store for everything else (reads 0 until written).
/// Addresses and meanings: docs/esp8266-rom-protocol.md ("Identifying the chip", "Registers esptool reads").
struct ChipRegisters: Sendable {
    /// The four OTP words: MAC0, MAC1, MAC2 (0x3FF00058, ESP8285 and flash-size fuse bits:
    /// 0 on an ESP8266EX), MAC3.
    static let otpMAC2: UInt32 = 0x3FF0_0058
    /// Bits of the UART divider register that hold the divider (esptool's UART_CLKDIV_MASK).
    static let uartDividerMask: UInt32 = 0xF_FFFF

    private let chipDetectValue: UInt32
    private let otp: [UInt32: UInt32]
    private let initialStore: [UInt32: UInt32]
    private var store: [UInt32: UInt32]
    private(set) var spi: SPIFlashController

    init(configuration: TwinConfiguration) {
        chipDetectValue = configuration.chipDetectValue
        let words = configuration.otpWords
        otp = [
            ESP8266.otpMAC0: words.mac0, ESP8266.otpMAC1: words.mac1,
            Self.otpMAC2: 0, ESP8266.otpMAC3: words.mac3,
        ]
        initialStore = configuration.registers
        store = configuration.registers
        spi = SPIFlashController(jedecID: configuration.flashJEDECID)
    }

    /// Reads a word. `uartBaud` is the rate the UART runs at (the divider follows it);
    /// `ram` supplies words of RAM written through MEM_DATA.
    func read(_ address: UInt32, uartBaud: Int, ram: RAMImage) -> UInt32 {
        if address == ESP8266.chipDetectRegister { return chipDetectValue }
        if let word = otp[address] { return word }
        if address == ESP8266.uartClockDividerRegister {
            let divider = (ESP8266.busClockHz + uartBaud / 2) / max(uartBaud, 1)
            return (store[address] ?? 0) & ~Self.uartDividerMask | UInt32(divider) & Self.uartDividerMask
        }
        if SPIFlashController.owns(address) { return spi.read(address) }
        if let word = ram.word(at: address) { return word }
        return store[address] ?? 0
    }

    /// Writes `value` under `mask` (new = old & ~mask | value & mask). Read-only words
    /// (ROM, OTP) ignore writes; the SPI controller acts on its command register.
    mutating func write(_ address: UInt32, value: UInt32, mask: UInt32, uartBaud: Int, ram: RAMImage, flash: FlashMemory) {
        if address == ESP8266.chipDetectRegister || otp[address] != nil { return }
        let old = read(address, uartBaud: uartBaud, ram: ram)
        let new = old & ~mask | value & mask
        if SPIFlashController.owns(address) {
            spi.write(address, value: new, flash: flash)
        } else {
            store[address] = new
        }
    }

    /// Back to power-on values.
    mutating func reset() {
        store = initialStore
        spi.reset()
    }
}

/// RAM contents written by MEM_BEGIN/MEM_DATA: one segment per MEM_BEGIN.
public struct RAMImage: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var address: UInt32
        public var bytes: [UInt8]
    }

    public private(set) var segments: [Segment] = []

    public init() {}

    mutating func begin(address: UInt32, size: Int) {
        segments.append(Segment(address: address, bytes: [UInt8](repeating: 0, count: size)))
    }

    /// Writes into the last segment at `offset`, growing it when a client sends more
    /// than it announced.
    mutating func write(_ data: [UInt8], atOffset offset: Int) {
        guard let last = segments.indices.last else { return }
        if segments[last].bytes.count < offset + data.count {
            segments[last].bytes += [UInt8](repeating: 0, count: offset + data.count - segments[last].bytes.count)
        }
        segments[last].bytes.replaceSubrange(offset..<(offset + data.count), with: data)
    }

    /// The little-endian word at `address` if a segment holds all four bytes.
    func word(at address: UInt32) -> UInt32? {
        for segment in segments.reversed() where address >= segment.address {
            let offset = Int(address - segment.address)
            if offset + 4 <= segment.bytes.count { return segment.bytes.readLE32(at: offset) }
        }
        return nil
    }
}
