import ESPImage

/// The ESP8266's SPI flash controller (SPI0) as far as a client drives it through
/// WRITE_REG/READ_REG: the "user command" path esptool's `flash-id`, `read-flash-status`
/// and SFDP reads use (docs/esp8266-rom-protocol.md, "Registers esptool reads"). Register layout from the ESP8266 Technical Reference (SPI chapter),
/// as esptool's ESP8266 target names it.
struct SPIFlashController: Sendable {
    // Register addresses (SPI0 base 0x60000200).
    static let base: UInt32 = 0x6000_0200
    static let commandRegister = base + 0x00  // SPI_CMD: bit 18 starts a user command
    static let addressRegister = base + 0x04  // SPI_ADDR: address, MSB-aligned
    static let userRegister = base + 0x1C     // SPI_USER: phases (command/address/dummy/MISO/MOSI)
    static let user1Register = base + 0x20    // SPI_USER1: bit lengths
    static let user2Register = base + 0x24    // SPI_USER2: command value and its length
    static let w0Register = base + 0x40       // SPI_W0…W15: data buffer
    static let registerSpan: UInt32 = 0x100

    // SPI_CMD bits.
    static let commandUser: UInt32 = 1 << 18
    // SPI_USER phase bits.
    static let userCommand: UInt32 = 1 << 31
    static let userAddress: UInt32 = 1 << 30
    static let userMISO: UInt32 = 1 << 28
    // SPI_USER1 fields.
    static let addressBitsShift: UInt32 = 26   // 6 bits, value + 1
    static let misoBitsShift: UInt32 = 8       // 9 bits, value + 1

    // SPI flash commands (JEDEC / Winbond W25Q80 datasheet).
    static let readJEDECID: UInt8 = 0x9F
    static let readStatus1: UInt8 = 0x05
    static let readStatus2: UInt8 = 0x35
    static let readStatus3: UInt8 = 0x15
    static let readData: UInt8 = 0x03
    static let fastRead: UInt8 = 0x0B
    static let readSFDP: UInt8 = 0x5A

    let jedecID: UInt32
    private var registers: [UInt32: UInt32] = [:]

    init(jedecID: UInt32) {
        self.jedecID = jedecID
    }

    /// Whether `address` is one of this controller's registers.
    static func owns(_ address: UInt32) -> Bool {
        address >= base && address < base + registerSpan
    }

    func read(_ address: UInt32) -> UInt32 {
        registers[address] ?? 0
    }

    /// Stores a register write; a write setting the USR bit of SPI_CMD runs the user
    /// command against `flash` at once and clears the bit, as the hardware does when done.
    mutating func write(_ address: UInt32, value: UInt32, flash: FlashMemory) {
        registers[address] = value
        if address == Self.commandRegister && value & Self.commandUser != 0 {
            runUserCommand(flash: flash)
            registers[address] = value & ~Self.commandUser
        }
    }

    /// Forgets every register (chip reset).
    mutating func reset() {
        registers = [:]
    }

    private mutating func runUserCommand(flash: FlashMemory) {
        let user = read(Self.userRegister)
        let user1 = read(Self.user1Register)
        let command = UInt8(truncatingIfNeeded: read(Self.user2Register))
        guard user & Self.userCommand != 0 else { return }
        let misoBits = user & Self.userMISO != 0 ? Int((user1 >> Self.misoBitsShift) & 0x1FF) + 1 : 0
        let addressBits = user & Self.userAddress != 0 ? Int((user1 >> Self.addressBitsShift) & 0x3F) + 1 : 0
        let address = addressBits > 0 ? Int(read(Self.addressRegister) >> UInt32(32 - addressBits)) : 0

        // The bytes the flash chip shifts out on MISO, first byte first.
        let reply: [UInt8]
        switch command {
        case Self.readJEDECID:
            reply = [UInt8(truncatingIfNeeded: jedecID >> 16), UInt8(truncatingIfNeeded: jedecID >> 8), UInt8(truncatingIfNeeded: jedecID)]
        case Self.readStatus1, Self.readStatus2, Self.readStatus3:
            reply = [0, 0, 0, 0]  // idle, not write-enabled, no protection
        case Self.readData, Self.fastRead:
            reply = flash.read(address..<(address + 4))
        case Self.readSFDP:
            reply = [0xFF, 0xFF, 0xFF, 0xFF]  // the model has no SFDP table
        default:
            reply = []  // a command without a reply (or unknown): W0 keeps what it had
        }
        guard misoBits > 0, !reply.isEmpty else { return }
        var word: UInt32 = 0
        for (i, byte) in reply.prefix(min(4, (misoBits + 7) / 8)).enumerated() {
            word |= UInt32(byte) << UInt32(8 * i)
        }
        registers[Self.w0Register] = word
    }
}
