import Basics
import ESPImage

/// Facts about the ESP8266 and its ROM loader, as data (docs/esp8266-rom-protocol.md).
/// Chip quirks live here, beside the chip, not inside the generic protocol code.
public enum ESP8266 {
    /// READ_REG of this address identifies the chip family.
    public static let chipDetectRegister: UInt32 = 0x4000_1000
    /// What the chip-detect register reads on an ESP8266.
    public static let chipDetectValue: UInt32 = 0xFFF0_C101

    /// OTP words holding the factory MAC address and chip id.
    public static let otpMAC0: UInt32 = 0x3FF0_0050
    public static let otpMAC1: UInt32 = 0x3FF0_0054
    public static let otpMAC3: UInt32 = 0x3FF0_005C

    /// UART0 clock divider: bus clock (twice the crystal) over the baud rate.
    public static let uartClockDividerRegister: UInt32 = 0x6000_0014
    /// The ESP8266's APB/bus clock with the usual 26 MHz crystal.
    public static let busClockHz = 52_000_000

    /// ROM boot messages come at this rate with a 26 MHz crystal.
    public static let bootLogBaud = 74_880

    public static let flashSectorSize = 4096

    /// The whole sectors `range` touches.
    public static func sectorRange(covering range: Range<Int>) -> Range<Int> {
        let start = range.lowerBound / flashSectorSize * flashSectorSize
        let end = (range.upperBound + flashSectorSize - 1) / flashSectorSize * flashSectorSize
        return start..<end
    }
    public static let sectorsPerBlock = 16
    /// FLASH_DATA packet size the ROM loader uses.
    public static let flashPacketSize = 0x400
    /// Largest MEM_DATA packet.
    public static let memPacketSizeMax = 0x1800
    /// Flash is memory-mapped for execution at this address (offset 0).
    public static let flashMapBase: UInt32 = 0x4020_0000

    /// The erase size to put in FLASH_BEGIN so that the ROM, with its erase-size bug,
    /// erases exactly the sectors that `size` bytes at `offset` need, where that is possible.
    /// The ROM erases N + min(head, N) sectors for an erase size of N sectors, head being the
    /// sectors left in the 64 KiB block where the region starts.
    public static func romEraseSize(offset: Int, size: Int) -> UInt32 {
        let sectors = (size + flashSectorSize - 1) / flashSectorSize
        let head = min(sectorsPerBlock - (offset / flashSectorSize) % sectorsPerBlock, sectors)
        let send = sectors < 2 * head ? (sectors + 1) / 2 : sectors - head
        return UInt32(send * flashSectorSize)
    }

    /// The bytes the ROM really erases when FLASH_BEGIN asks for `eraseSize` at `offset`
    /// (the bug, as the twin models it and as a flash plan checks it).
    public static func romErasedRange(offset: Int, eraseSize: Int) -> Range<Int> {
        let sectors = (eraseSize + flashSectorSize - 1) / flashSectorSize
        let firstSector = offset / flashSectorSize
        let head = min(sectorsPerBlock - firstSector % sectorsPerBlock, sectors)
        let start = firstSector * flashSectorSize
        return start..<(start + (sectors + head) * flashSectorSize)
    }

    /// The chip id as esptool prints it: (MAC0 >> 24) | ((MAC1 & 0xFFFFFF) << 8).
    public static func chipID(mac0: UInt32, mac1: UInt32) -> UInt32 {
        (mac0 >> 24) | ((mac1 & 0xFF_FFFF) << 8)
    }

    /// The factory MAC address from the OTP words; nil when the OUI selector is unknown.
    public static func macAddress(mac0: UInt32, mac1: UInt32, mac3: UInt32) -> MACAddress? {
        let oui: [UInt8]
        if mac3 != 0 {
            oui = [UInt8(truncatingIfNeeded: mac3 >> 16), UInt8(truncatingIfNeeded: mac3 >> 8), UInt8(truncatingIfNeeded: mac3)]
        } else {
            switch (mac1 >> 16) & 0xFF {
            case 0: oui = [0x18, 0xFE, 0x34]
            case 1: oui = [0xAC, 0xD0, 0x74]
            default: return nil
            }
        }
        return MACAddress(bytes: oui + [UInt8(truncatingIfNeeded: mac1 >> 8), UInt8(truncatingIfNeeded: mac1), UInt8(truncatingIfNeeded: mac0 >> 24)])
    }

    /// The OTP words a chip with this MAC address carries (the inverse of `macAddress`),
    /// used by the twin. Espressif's two OUIs use the selector byte, others MAC3.
    public static func otpWords(for mac: MACAddress) -> (mac0: UInt32, mac1: UInt32, mac3: UInt32) {
        let b = mac.bytes
        let mac0 = UInt32(b[5]) << 24
        let tail = UInt32(b[3]) << 8 | UInt32(b[4])
        switch Array(b[0..<3]) {
        case [0x18, 0xFE, 0x34]: return (mac0, tail, 0)
        case [0xAC, 0xD0, 0x74]: return (mac0, 1 << 16 | tail, 0)
        default: return (mac0, tail, UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2]))
        }
    }
}

/// A 6-byte MAC address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Parses "aa:bb:cc:dd:ee:ff" or "AA-BB-CC-DD-EE-FF": six groups of two hex digits
    /// with one kind of separator.
    public init?(_ text: String) {
        guard let separator = text.first(where: { $0 == ":" || $0 == "-" }) else { return nil }
        let groups = text.split(separator: separator, omittingEmptySubsequences: false)
        guard groups.count == 6, groups.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        self.bytes = groups.compactMap { UInt8($0, radix: 16) }
    }

    /// Lowercase, colon-separated, as esptool prints it.
    public var description: String {
        bytes.map { hexString([$0]) }.joined(separator: ":")
    }
}
