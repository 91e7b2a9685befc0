/// A meter's serial number, the make variable SERIAL: 1 to 10 decimal digits, at most
/// 4294967295. The firmware reads a Kamstrup meter's serial as an unsigned 32-bit number
/// and prints it in MQTT topics as `%07u` (user/mqtt_rpc.c), so serials that differ only
/// in leading zeros name the same meter.
public struct MeterSerial: Hashable, Sendable, CustomStringConvertible {
    public static let maxDigits = 10
    public static let maxValue: UInt64 = 4_294_967_295

    /// The serial as written (what SERIAL and the setup SSID carry).
    public let text: String

    /// Nil unless `text` is a valid serial.
    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        self.text = text
    }

    /// The serial's numeric value, which identifies the meter.
    public var value: UInt32 { UInt32(text) ?? 0 }

    public var description: String { text }

    /// Why `text` is not a serial; nil when it is one.
    static func problem(with text: String) -> String? {
        if text.isEmpty { return "the serial is empty" }
        if !text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return "\"\(text)\" is not a decimal number"
        }
        if text.utf8.count > maxDigits || UInt64(text).map({ $0 > maxValue }) ?? true {
            return "\(text) is too large"
        }
        return nil
    }
}

/// Names the firmware derives from a board's serial and meter kind (docs/meterlogger-build.md, "Names and keys derived from SERIAL and KEY"; the Makefile's WIFI_SSID).
public enum SetupNames {
    /// The setup access point's SSID: `EL_<serial>` for impulse meters, `KAM_<serial>` for
    /// Kamstrup meters.
    public static func accessPointSSID(serial: MeterSerial, meter: MeterKind) -> String {
        (meter == .impulse ? "EL_" : "KAM_") + serial.text
    }
}
