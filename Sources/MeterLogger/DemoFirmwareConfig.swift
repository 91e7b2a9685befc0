import Basics
import ESPImage

/// The configuration block ("MLCF") the demo firmware (`firmware/demo`) carries in
/// `.rodata`, in the DRAM segment of its `0x00000.bin`: meter type, build options, serial,
/// the device's KEY and the setup AP password. The C side is `firmware/demo/src/mlcf.h`;
/// both follow this layout (little endian, 72 bytes, format version 1):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic "MLCF" |
/// | 4 | 2 | format version (1) |
/// | 6 | 2 | block size (72) |
/// | 8 | 4 | flags: bits 0–3 meter type (0 kmp, 1 mc66c, 2 mc66b, 3 impulse), bits 8–20 `Options` |
/// | 12 | 16 | serial, NUL-padded text, at most 15 characters |
/// | 28 | 16 | KEY, the 16 raw bytes |
/// | 44 | 17 | AP password: the first 16 hex characters of KEY, then NUL |
/// | 61 | 3 | reserved, zero |
/// | 64 | 4 | address of the firmware's first `.irom0.text` byte |
/// | 68 | 4 | address just past its last `.irom0.text` byte |
///
/// The key (a `DeviceKey`) and the AP password derived from it never show in
/// `description`, `dump` or a test failure: read them with `key.bytes` or
/// `revealAPPassword()`.
public struct DemoFirmwareConfig: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    public static let magic: [UInt8] = Array("MLCF".utf8)
    public static let formatVersion: UInt16 = 1
    public static let blockSize = 72
    public static let serialSlotSize = 16
    public static let maxSerialLength = serialSlotSize - 1
    public static let apPasswordLength = 16

    /// Byte offsets of the fields in the block.
    public enum Offset {
        public static let magic = 0
        public static let version = 4
        public static let size = 6
        public static let flags = 8
        public static let serial = 12
        public static let key = 28
        public static let apPassword = 44
        public static let reserved = 61
        public static let iromStart = 64
        public static let iromEnd = 68
    }

    /// The meter type's value in flags bits 0–3.
    public static func meterCode(_ meter: MeterKind) -> UInt32 {
        switch meter {
        case .kmp: 0
        case .mc66c: 1
        case .mc66b: 2
        case .impulse: 3
        }
    }

    public static let meterMask: UInt32 = 0xF

    /// The build options in flags bits 8–20, one per make variable set to 1.
    public struct Options: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let thermoNO = Options(rawValue: 1 << 8)
        public static let thermoOnAC2 = Options(rawValue: 1 << 9)
        public static let ledOnAC = Options(rawValue: 1 << 10)
        public static let acTest = Options(rawValue: 1 << 11)
        public static let accessPoint = Options(rawValue: 1 << 12)
        public static let autoClose = Options(rawValue: 1 << 13)
        public static let noCron = Options(rawValue: 1 << 14)
        public static let flowMeter = Options(rawValue: 1 << 15)
        public static let debug = Options(rawValue: 1 << 16)
        public static let debugNoMeter = Options(rawValue: 1 << 17)
        public static let debugShortWebConfigTime = Options(rawValue: 1 << 18)
        public static let debugStackTrace = Options(rawValue: 1 << 19)
        public static let impulseDevBoard = Options(rawValue: 1 << 20)

        /// Every option with its make variable, in bit order (the boot text's order).
        public static let named: [(option: Options, makeVariable: String)] = [
            (.thermoNO, "THERMO_NO"), (.thermoOnAC2, "THERMO_ON_AC_2"), (.ledOnAC, "LED_ON_AC"),
            (.acTest, "AC_TEST"), (.accessPoint, "AP"), (.autoClose, "AUTO_CLOSE"), (.noCron, "NO_CRON"),
            (.flowMeter, "FLOW_METER"), (.debug, "DEBUG"), (.debugNoMeter, "DEBUG_NO_METER"),
            (.debugShortWebConfigTime, "DEBUG_SHORT_WEB_CONFIG_TIME"),
            (.debugStackTrace, "DEBUG_STACK_TRACE"), (.impulseDevBoard, "IMPULSE_DEV_BOARD"),
        ]

        /// All bits an option may use.
        public static let all = Options(rawValue: named.reduce(0) { $0 | $1.option.rawValue })

        /// The make variables of the options set, in bit order.
        public var makeVariables: [String] {
            Self.named.filter { contains($0.option) }.map(\.makeVariable)
        }
    }

    public var meter: MeterKind
    public var options: Options
    /// The compiled-in serial (1…15 printable ASCII characters).
    public var serial: String
    public var key: DeviceKey
    /// The firmware's `.irom0.text` address range (start ..< end), as the block states it.
    public var iromRange: Range<UInt32>

    public init(meter: MeterKind, options: Options, serial: String, key: DeviceKey, iromRange: Range<UInt32> = 0x4021_0000..<0x4021_0000) {
        self.meter = meter
        self.options = options
        self.serial = serial
        self.key = key
        self.iromRange = iromRange
    }

    /// The flags word: meter type in bits 0–3, options above.
    public var flags: UInt32 { Self.meterCode(meter) | options.rawValue }

    /// The setup AP's SSID: `EL_<serial>` for impulse meters, `KAM_<serial>` otherwise.
    public var ssid: String { (meter == .impulse ? "EL_" : "KAM_") + serial }

    /// The setup AP's password: the first 16 hex characters of the key, lowercase (what the
    /// block stores). Keep it out of logs.
    public func revealAPPassword() -> String { String(key.hex.prefix(Self.apPasswordLength)) }

    public var description: String {
        "DemoFirmwareConfig(meter: \(meter.rawValue), serial: \(serial), flags: \(Basics.hex(flags)), key: redacted)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["meter": meter, "options": options, "serial": serial, "iromRange": iromRange], displayStyle: .struct)
    }

    // MARK: Boot text

    /// The text the demo firmware prints over UART right after the ROM's boot log, byte for
    /// byte (`firmware/demo/src/main.c` prints the same; every line ends in CR LF):
    ///
    ///     <CR><LF>
    ///     MeterLogger demo firmware<CR><LF>
    ///     meter: <kmp|mc66c|mc66b|impulse><CR><LF>
    ///     serial: <serial><CR><LF>
    ///     flags: 0x<flags, 8 lowercase hex digits><CR><LF>
    ///     options:< NAME for each option set, bit order | " none"><CR><LF>
    ///     ssid: <EL_|KAM_><serial><CR><LF>
    ///     ready<CR><LF>
    ///
    /// Neither the key nor the AP password is printed.
    public var bootText: String {
        let names = options.makeVariables
        let optionText = names.isEmpty ? " none" : names.map { " " + $0 }.joined()
        return "\r\n"
            + "MeterLogger demo firmware\r\n"
            + "meter: \(meter.rawValue)\r\n"
            + "serial: \(serial)\r\n"
            + "flags: \(Basics.hex(flags))\r\n"
            + "options:\(optionText)\r\n"
            + "ssid: \(ssid)\r\n"
            + "ready\r\n"
    }

    /// The line the firmware prints last: once it is there, the boot text is complete.
    public static let readyLine = "ready"

    // MARK: Encoding and parsing

    /// The block's 72 bytes, as the firmware's compiler lays them out.
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLE16(Self.formatVersion)
        bytes.appendLE16(UInt16(Self.blockSize))
        bytes.appendLE32(flags)
        let serialBytes = Array(serial.utf8.prefix(Self.maxSerialLength))
        bytes += serialBytes + [UInt8](repeating: 0, count: Self.serialSlotSize - serialBytes.count)
        bytes += key.bytes
        bytes += Array(revealAPPassword().utf8) + [0]
        bytes += [0, 0, 0]
        bytes.appendLE32(iromRange.lowerBound)
        bytes.appendLE32(iromRange.upperBound)
        return bytes
    }

    /// Parses the block that starts at `offset` in `bytes`. Throws naming what is wrong,
    /// never the key or the password.
    public init(parsing bytes: [UInt8], at offset: Int = 0) throws(DemoFirmwareConfigError) {
        guard offset >= 0, bytes.count - offset >= Self.blockSize else {
            throw .truncated(offset: offset, available: max(0, bytes.count - offset))
        }
        let block = Array(bytes[offset..<offset + Self.blockSize])
        guard Array(block[0..<4]) == Self.magic else { throw .noMagic(offset: offset) }
        let version = block.readLE16(at: Offset.version) ?? 0
        guard version == Self.formatVersion else { throw .unsupportedVersion(version, offset: offset) }
        let size = Int(block.readLE16(at: Offset.size) ?? 0)
        guard size == Self.blockSize else { throw .badSize(size, offset: offset) }
        let flags = block.readLE32(at: Offset.flags) ?? 0
        let meter: MeterKind
        switch flags & Self.meterMask {
        case 0: meter = .kmp
        case 1: meter = .mc66c
        case 2: meter = .mc66b
        case 3: meter = .impulse
        default: throw .unknownMeterType(flags & Self.meterMask, offset: offset + Offset.flags)
        }
        let unknown = flags & ~(Self.meterMask | Options.all.rawValue)
        guard unknown == 0 else { throw .unknownFlags(unknown, offset: offset + Offset.flags) }

        let slot = block[Offset.serial..<Offset.serial + Self.serialSlotSize]
        guard let end = slot.firstIndex(of: 0), end > slot.startIndex,
              slot[end...].allSatisfy({ $0 == 0 }),
              slot[..<end].allSatisfy({ (0x21...0x7E).contains($0) })
        else { throw .badSerial(offset: offset + Offset.serial) }
        let serial = String(decoding: slot[..<end], as: UTF8.self)

        guard let key = DeviceKey(bytes: Array(block[Offset.key..<Offset.key + DeviceKey.byteCount])) else {
            throw .truncated(offset: offset + Offset.key, available: 0)
        }
        let password = Array(block[Offset.apPassword..<Offset.apPassword + Self.apPasswordLength + 1])
        guard password == Array(key.hex.prefix(Self.apPasswordLength).utf8) + [0] else {
            throw .apPasswordMismatch(offset: offset + Offset.apPassword)
        }
        guard block[Offset.reserved..<Offset.reserved + 3].allSatisfy({ $0 == 0 }) else {
            throw .reservedNotZero(offset: offset + Offset.reserved)
        }
        let iromStart = block.readLE32(at: Offset.iromStart) ?? 0
        let iromEnd = block.readLE32(at: Offset.iromEnd) ?? 0
        guard iromStart <= iromEnd else { throw .badIROMRange(offset: offset + Offset.iromStart) }

        self.init(meter: meter, options: Options(rawValue: flags & Options.all.rawValue), serial: serial, key: key, iromRange: iromStart..<iromEnd)
    }

    /// Finds the block in `bytes` (the DRAM segment of an image): the first 4-byte-aligned
    /// "MLCF" that starts a valid block. Returns nil when there is no "MLCF" at all; throws
    /// the first problem when there is one but no valid block.
    public static func find(in bytes: [UInt8]) throws(DemoFirmwareConfigError) -> (config: DemoFirmwareConfig, offset: Int)? {
        var firstError: DemoFirmwareConfigError?
        var offset = 0
        while offset + magic.count <= bytes.count {
            if bytes[offset] == magic[0], bytes[offset + 1] == magic[1], bytes[offset + 2] == magic[2], bytes[offset + 3] == magic[3] {
                do {
                    return (try DemoFirmwareConfig(parsing: bytes, at: offset), offset)
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            offset += 4
        }
        if let firstError { throw firstError }
        return nil
    }
}

/// What is wrong with a demo firmware configuration block, with the byte offset (in the
/// buffer searched) where it was found. Never contains the key or the AP password.
public enum DemoFirmwareConfigError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case truncated(offset: Int, available: Int)
    case noMagic(offset: Int)
    case unsupportedVersion(UInt16, offset: Int)
    case badSize(Int, offset: Int)
    case unknownMeterType(UInt32, offset: Int)
    case unknownFlags(UInt32, offset: Int)
    case badSerial(offset: Int)
    case apPasswordMismatch(offset: Int)
    case reservedNotZero(offset: Int)
    case badIROMRange(offset: Int)

    public var description: String {
        switch self {
        case .truncated(let offset, let available):
            "MLCF block at byte \(offset) is truncated: \(DemoFirmwareConfig.blockSize) bytes needed, \(available) there"
        case .noMagic(let offset):
            "no MLCF block at byte \(offset)"
        case .unsupportedVersion(let version, let offset):
            "MLCF block at byte \(offset) has format version \(version); version \(DemoFirmwareConfig.formatVersion) is supported"
        case .badSize(let size, let offset):
            "MLCF block at byte \(offset) says it is \(size) bytes; \(DemoFirmwareConfig.blockSize) expected"
        case .unknownMeterType(let code, let offset):
            "MLCF flags at byte \(offset): unknown meter type \(code)"
        case .unknownFlags(let bits, let offset):
            "MLCF flags at byte \(offset): unknown bits \(Basics.hex(bits))"
        case .badSerial(let offset):
            "MLCF serial at byte \(offset) is not 1 to \(DemoFirmwareConfig.maxSerialLength) printable characters padded with NUL"
        case .apPasswordMismatch(let offset):
            "MLCF AP password at byte \(offset) does not match the key (value not shown)"
        case .reservedNotZero(let offset):
            "MLCF reserved bytes at byte \(offset) are not zero"
        case .badIROMRange(let offset):
            "MLCF .irom0.text range at byte \(offset) ends before it starts"
        }
    }

    public var help: String? { "is this the demo firmware's 0x00000.bin, built by its own Makefile?" }
}
