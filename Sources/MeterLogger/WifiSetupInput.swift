import Basics
import Foundation

/// What the board's setup form (`POST /wifi/setup.cgi`, docs/meterlogger-firmware.md "E. Setup web UI") is given: the site's wifi, the MQTT host and, for impulse meters, the meter's
/// settings. Every value is validated when it is made; printing it hides the password.
public struct WifiSetupInput: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The site's SSID (1 to 32 bytes).
    public let ssid: String
    public let password: WifiPassword
    /// A host name or a dotted IPv4 address.
    public let mqttHost: String
    /// Present exactly for impulse meters.
    public let impulse: ImpulseMeterSetup?

    public init(ssid: String, password: WifiPassword, mqttHost: String, impulse: ImpulseMeterSetup? = nil) throws(WifiSetupInputError) {
        self.ssid = try WifiSetupValidation.ssid(ssid)
        self.password = password
        self.mqttHost = try WifiSetupValidation.mqttHost(mqttHost)
        if let impulse {
            _ = try WifiSetupValidation.impulseMeterSerial(impulse.meterSerial)
            guard impulse.meterReading.thousandths >= 0 else {
                throw .invalid(field: WifiSetupField.impulseReading, problem: "a meter reading is not negative")
            }
            guard impulse.impulsesPerUnit > 0 else {
                throw .invalid(field: WifiSetupField.impulsesPerUnit, problem: "it must be a whole number from 1")
            }
        }
        self.impulse = impulse
    }

    /// The form's fields in the order the firmware's page sends them. The impulse reading
    /// goes as thousandths of a kWh (the form takes the reading ×1000).
    public var formFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("essid", ssid), ("passwd", password.text), ("mqtthost", mqttHost)]
        if let impulse {
            fields.append(("impulse_meter_serial", impulse.meterSerial))
            fields.append(("impulse_meter_units", String(impulse.meterReading.thousandths)))
            fields.append(("impulses_per_unit", String(impulse.impulsesPerUnit)))
        }
        return fields
    }

    /// The form body, `application/x-www-form-urlencoded`.
    public var formBody: String { WifiSetupForm.encode(formFields) }

    public var description: String {
        var text = "WifiSetupInput(ssid: \(ssid), password: \(DeviceKey.redacted), mqtt_host: \(mqttHost)"
        if let impulse {
            text += ", impulse_meter_serial: \(impulse.meterSerial), meter_reading: \(impulse.meterReading), impulses_per_unit: \(impulse.impulsesPerUnit)"
        }
        return text + ")"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["ssid": ssid, "mqttHost": mqttHost, "impulse": impulse as Any], displayStyle: .struct)
    }
}

/// The names errors use for the fields (command-line flags, profile paths).
public enum WifiSetupField {
    public static let ssid = "--ssid"
    public static let password = "--password-file"
    public static let mqttHost = "--mqtt-host"
    public static let impulseSerial = "impulse.meter_serial"
    public static let impulseReading = "impulse.meter_reading"
    public static let impulsesPerUnit = "impulse.impulses_per_unit"
}

/// Checks for each input of the setup form. Every error names the field; none repeats a
/// password.
public enum WifiSetupValidation {
    public static let ssidMaxBytes = ProfileSchema.ssidMaxBytes
    public static let impulseMeterSerialMaxLength = ProfileSchema.impulseMeterSerialMaxLength

    public static func ssid(_ text: String, field: String = WifiSetupField.ssid) throws(WifiSetupInputError) -> String {
        let bytes = text.utf8.count
        guard bytes > 0 else { throw .invalid(field: field, problem: "the SSID is empty") }
        guard bytes <= ssidMaxBytes else {
            throw .invalid(field: field, problem: "the SSID has \(bytes) bytes, at most \(ssidMaxBytes) are allowed")
        }
        return text
    }

    /// A WPA2 passphrase: 8 to 63 printable ASCII characters. The problem never quotes it.
    public static func password(_ text: String, field: String = WifiSetupField.password) throws(WifiSetupInputError) -> WifiPassword {
        guard let password = WifiPassword(text) else {
            throw .invalid(field: field, problem: "the wifi password is not usable: \(WifiPassword.problem(with: text) ?? "it is not a WPA2 passphrase")")
        }
        return password
    }

    public static func mqttHost(_ text: String, field: String = WifiSetupField.mqttHost) throws(WifiSetupInputError) -> String {
        guard !text.isEmpty else { throw .invalid(field: field, problem: "the MQTT host is empty") }
        if let problem = ProfileParser.hostProblem(text) { throw .invalid(field: field, problem: problem) }
        return text
    }

    public static func impulseMeterSerial(_ text: String, field: String = WifiSetupField.impulseSerial) throws(WifiSetupInputError) -> String {
        guard ProfileParser.isImpulseMeterSerial(text) else {
            throw .invalid(field: field, problem: "\"\(text)\" is not an impulse meter serial (1 to \(impulseMeterSerialMaxLength) letters, digits, _ or -)")
        }
        return text
    }

    /// A meter reading in kWh, ≥ 0 with at most three decimals (`12345.678`).
    public static func meterReading(_ text: String, field: String = WifiSetupField.impulseReading) throws(WifiSetupInputError) -> MeterReading {
        guard let reading = MeterReading(kWh: text) else {
            throw .invalid(field: field, problem: "\"\(text)\" is not a meter reading (kWh, not negative, at most 3 decimals, e.g. 12345.678)")
        }
        return reading
    }

    public static func impulsesPerUnit(_ text: String, field: String = WifiSetupField.impulsesPerUnit) throws(WifiSetupInputError) -> Int {
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit), let value = Int32(text), value > 0 else {
            throw .invalid(field: field, problem: "\"\(text)\" is not a whole number of impulses per kWh from 1, e.g. 1000")
        }
        return Int(value)
    }
}

/// `application/x-www-form-urlencoded` as browsers send it: unreserved characters as
/// they are, space as `+`, every other byte as `%XX`.
public enum WifiSetupForm {
    public static func encode(_ fields: [(name: String, value: String)]) -> String {
        fields.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + hexString([byte], uppercase: true)
            }
        }
        return out
    }
}

/// An input of the setup form that is not usable. Names the field; never contains a password.
public enum WifiSetupInputError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case invalid(field: String, problem: String)

    public var field: String {
        switch self { case .invalid(let field, _): field }
    }

    public var description: String {
        switch self { case .invalid(let field, let problem): "\(field) is not valid: \(problem)" }
    }

    public var help: String? {
        switch field {
        case WifiSetupField.ssid: "the site network's name, 1 to \(WifiSetupValidation.ssidMaxBytes) bytes"
        case WifiSetupField.password: "a file (chmod 600) holding the WPA2 passphrase, 8 to 63 printable ASCII characters, on one line"
        case WifiSetupField.mqttHost: "a host name (e.g. mqtt.example.org) or an IPv4 address (e.g. 10.0.0.2)"
        case WifiSetupField.impulseSerial: "the electricity meter's serial: 1 to 12 letters, digits, _ or -"
        case WifiSetupField.impulseReading: "the meter's reading in kWh with at most 3 decimals, e.g. 12345.678"
        case WifiSetupField.impulsesPerUnit: "impulses per kWh, a whole number from 1, e.g. 1000"
        default: nil
        }
    }
}
