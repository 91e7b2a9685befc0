import Basics
import MeterLogger

/// The wifi settings a board got through its setup web UI (`POST /wifi/setup.cgi`).
/// The wifi password comes out only through `revealPassword()`; the description omits it.
public struct TwinWifiSettings: Sendable, Equatable, CustomStringConvertible {
    /// The impulse meter fields (impulse firmware only).
    public struct Impulse: Sendable, Equatable {
        /// `impulse_meter_serial` (at most 12 characters).
        public var serial: String
        /// The meter reading as stored: the entered `impulse_meter_units` divided by 1000,
        /// with 3 decimals ("12345" entered → "12.345").
        public var units: String
        /// `impulses_per_unit`, digits as entered.
        public var impulsesPerUnit: String

        public init(serial: String, units: String, impulsesPerUnit: String) {
            self.serial = serial
            self.units = units
            self.impulsesPerUnit = impulsesPerUnit
        }
    }

    public var essid: String
    private var passwd: String
    public var mqttHost: String
    public var impulse: Impulse?

    public init(essid: String, password: String, mqttHost: String, impulse: Impulse? = nil) {
        self.essid = essid
        passwd = password
        self.mqttHost = mqttHost
        self.impulse = impulse
    }

    /// The wifi password. Keep it out of logs.
    public func revealPassword() -> String { passwd }

    public var description: String {
        var text = "wifi settings: essid \"\(essid)\", password \(passwd.isEmpty ? "(none)" : "(set)"), mqtthost \(mqttHost)"
        if let impulse {
            text += ", impulse meter \(impulse.serial), units \(impulse.units), impulses/unit \(impulse.impulsesPerUnit)"
        }
        return text
    }

    // MARK: The form

    /// Field limits the twin's firmware side applies (the SDK's station config holds 32 +
    /// 64 bytes; the impulse serial is at most 12 characters).
    public static let maxESSIDBytes = 32
    public static let maxPasswordBytes = 64
    public static let maxHostBytes = 63
    public static let maxImpulseSerial = 12

    /// Validates a decoded `setup.cgi` form the way the firmware would; throws a message
    /// naming the first bad field. `impulse` selects the impulse firmware's extra fields.
    public init(form: [String: String], impulse: Bool) throws(TwinWebUIError) {
        func required(_ name: String, maxBytes: Int) throws(TwinWebUIError) -> String {
            guard let value = form[name], !value.isEmpty else { throw .badForm("missing \(name)") }
            guard value.utf8.count <= maxBytes else { throw .badForm("\(name) is longer than \(maxBytes) bytes") }
            return value
        }
        let essid = try required("essid", maxBytes: Self.maxESSIDBytes)
        let password = form["passwd"] ?? ""
        guard password.utf8.count <= Self.maxPasswordBytes else { throw .badForm("passwd is longer than \(Self.maxPasswordBytes) bytes") }
        let host = try required("mqtthost", maxBytes: Self.maxHostBytes)
        var impulseFields: Impulse?
        if impulse {
            let serial = try required("impulse_meter_serial", maxBytes: Self.maxImpulseSerial)
            let units = try required("impulse_meter_units", maxBytes: 18)
            let perUnit = try required("impulses_per_unit", maxBytes: 9)
            guard units.allSatisfy(\.isASCIIDigit), let entered = UInt64(units) else { throw .badForm("impulse_meter_units must be a whole number (the reading ×1000)") }
            guard perUnit.allSatisfy(\.isASCIIDigit), let perUnitValue = UInt32(perUnit), perUnitValue > 0 else {
                throw .badForm("impulses_per_unit must be a positive whole number")
            }
            impulseFields = Impulse(serial: serial, units: Self.thousandths(entered), impulsesPerUnit: String(perUnitValue))
        }
        self.init(essid: essid, password: password, mqttHost: host, impulse: impulseFields)
    }

    /// `value / 1000` with exactly 3 decimals: 12345 → "12.345", 7 → "0.007".
    static func thousandths(_ value: UInt64) -> String {
        let fraction = String(value % 1000)
        return "\(value / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// Why the setup web UI refused a request or could not start.
public enum TwinWebUIError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// The setup form is incomplete or invalid (answered with 400 and this message).
    case badForm(String)
    /// The twin runs no firmware with an identity and no meter kind was given.
    case noFirmwareIdentity
    /// The HTTP server could not listen.
    case cannotListen(String)
    /// Writing the saved configuration to flash failed.
    case flash(FlashMemoryError)

    public var description: String {
        switch self {
        case .badForm(let message): "bad setup form: \(message)"
        case .noFirmwareIdentity: "the twin runs no firmware with an identity; give the meter kind explicitly"
        case .cannotListen(let reason): "the setup web UI cannot listen: \(reason)"
        case .flash(let error): "cannot save the wifi settings: \(error)"
        }
    }

    public var help: String? {
        switch self {
        case .badForm: "send every field the setup page has (ssid, password, mqtt host)"
        case .noFirmwareIdentity: "flash a firmware with an identity first, or name the meter kind"
        case .cannotListen: "is another process on that port? try another one"
        case .flash(let error): error.help
        }
    }
}

/// The twin's saved-configuration record: where the web UI stores the wifi settings in
/// flash, and its format. (MeterLogger keeps its saved configuration at 0x76000–0x78FFF;
/// this record format is the twin's own, not the firmware's.)
///
/// Layout at `offset` (little-endian):
/// ```
///  0  4  magic "MLWS"
///  4  1  version (1)
///  5  1  flags: bit 0 = impulse fields present
///  6  2  body length N
///  8  N  body: six fields, each a 1-byte length then UTF-8 bytes, in this order:
///        essid, passwd, mqtthost, impulse_meter_serial, impulse_meter_units (as stored,
///        "12.345"), impulses_per_unit (the last three empty without the impulse flag)
/// 8+N 4  FNV-1a (32-bit) of bytes 0..<8+N
/// ```
/// It is written with NOR flash semantics: the sector at `offset` is erased, then the
/// record is programmed. Erased flash (0xFF) has no magic and reads as "no settings".
public enum TwinWifiSettingsRecord {
    /// Start of MeterLogger's saved configuration area.
    public static let offset = 0x76000
    /// The saved configuration area (three sectors).
    public static let area = 0x76000..<0x79000
    public static let magic: [UInt8] = Array("MLWS".utf8)
    public static let version: UInt8 = 1

    public static func encode(_ settings: TwinWifiSettings) -> [UInt8] {
        let fields = [
            settings.essid, settings.revealPassword(), settings.mqttHost,
            settings.impulse?.serial ?? "", settings.impulse?.units ?? "", settings.impulse?.impulsesPerUnit ?? "",
        ]
        var body: [UInt8] = []
        for field in fields {
            let bytes = Array(field.utf8.prefix(255))
            body.append(UInt8(bytes.count))
            body += bytes
        }
        var record = magic + [version, settings.impulse == nil ? 0 : 1, UInt8(body.count & 0xFF), UInt8(body.count >> 8)] + body
        let sum = fnv1a(record)
        record += [UInt8(sum & 0xFF), UInt8(sum >> 8 & 0xFF), UInt8(sum >> 16 & 0xFF), UInt8(sum >> 24)]
        return record
    }

    /// Parses a record at the start of `bytes`; nil when there is none or it is damaged.
    public static func decode(_ bytes: [UInt8]) -> TwinWifiSettings? {
        guard bytes.count >= 12, Array(bytes[0..<4]) == magic, bytes[4] == version else { return nil }
        let length = Int(bytes[6]) | Int(bytes[7]) << 8
        guard bytes.count >= 8 + length + 4 else { return nil }
        let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[8 + length + $1]) << (8 * $1) }
        guard stored == fnv1a(Array(bytes[0..<(8 + length)])) else { return nil }
        var fields: [String] = []
        var index = 8
        while fields.count < 6 {
            guard index < 8 + length else { return nil }
            let count = Int(bytes[index])
            guard index + 1 + count <= 8 + length else { return nil }
            fields.append(String(decoding: bytes[(index + 1)..<(index + 1 + count)], as: UTF8.self))
            index += 1 + count
        }
        let impulse = bytes[5] & 1 == 1 ? TwinWifiSettings.Impulse(serial: fields[3], units: fields[4], impulsesPerUnit: fields[5]) : nil
        return TwinWifiSettings(essid: fields[0], password: fields[1], mqttHost: fields[2], impulse: impulse)
    }

    /// Erases the record's sector and programs the record.
    public static func write(_ settings: TwinWifiSettings, to flash: inout FlashMemory) throws(FlashMemoryError) {
        try flash.eraseSector(offset / FlashMemory.sectorSize)
        try flash.program(encode(settings), at: offset)
    }

    /// The settings saved in `flash`, nil when none are.
    public static func read(from flash: FlashMemory) -> TwinWifiSettings? {
        decode(flash.read(offset..<(offset + FlashMemory.sectorSize)))
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return hash
    }
}

extension ESP8266Twin {
    /// The wifi settings saved in the twin's flash by the setup web UI, nil when none are.
    public var wifiSettings: TwinWifiSettings? { TwinWifiSettingsRecord.read(from: flash) }
}
