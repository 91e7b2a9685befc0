import Basics
import Foundation

/// Everything a board's SERIAL, KEY and meter kind give away (docs/meterlogger-build.md, "Names and keys derived from SERIAL and KEY"):
///
/// | what | derived as |
/// |---|---|
/// | setup AP SSID | `EL_<serial>` for impulse meters, `KAM_<serial>` otherwise |
/// | setup AP (WPA) password | the first 16 hex characters of KEY, as text |
/// | AES-128 key, HMAC key | the two halves of SHA-256 over the 16 raw KEY bytes |
///
/// Printing it shows the serial, meter and SSID; the password and the keys show as
/// `<redacted>` and come out only through `apPassword` and `messageKeys`, asked for by name.
public struct Credentials: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Characters of KEY's hex text that make up the setup AP password.
    public static let apPasswordLength = 16

    public let serial: MeterSerial
    public let key: DeviceKey
    public let meter: MeterKind
    /// The setup access point's SSID.
    public let ssid: String
    /// The setup access point's WPA password: a secret, keep it out of logs.
    public let apPassword: String
    /// The keys that seal and open the board's MQTT messages.
    public let messageKeys: MessageKeys

    public init(serial: MeterSerial, key: DeviceKey, meter: MeterKind) {
        self.serial = serial
        self.key = key
        self.meter = meter
        ssid = SetupNames.accessPointSSID(serial: serial, meter: meter)
        apPassword = String(key.hex.prefix(Self.apPasswordLength))
        messageKeys = MessageKeys(deviceKey: key)
    }

    public var description: String {
        "Credentials(serial: \(serial.text), meter: \(meter.rawValue), ssid: \(ssid), ap_password: \(DeviceKey.redacted), keys: \(DeviceKey.redacted))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["serial": serial.text, "meter": meter, "ssid": ssid], displayStyle: .struct)
    }

    // MARK: Reading the inputs as a user gives them

    /// Parses a serial as typed on a command line, or says what is wrong with it.
    public static func parseSerial(_ text: String) throws(CredentialsError) -> MeterSerial {
        guard let serial = MeterSerial(text) else {
            throw .invalidSerial(problem: MeterSerial.problem(with: text) ?? "it is not a serial")
        }
        return serial
    }

    /// Parses a key as typed on a command line (32 hex characters, surrounding whitespace
    /// ignored), or says what is wrong with it without repeating any of it.
    public static func parseKey(_ text: String, source: String = "--key") throws(CredentialsError) -> DeviceKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = DeviceKey(hex: trimmed) else {
            throw .invalidKey(source: source, problem: DeviceKey.problem(with: trimmed) ?? "it is not a key")
        }
        return key
    }

    /// Reads a key from a file holding its 32 hex characters (one trailing line break and
    /// surrounding whitespace ignored). Like ssh with its keys, and like a profile's wifi
    /// password file, a file others can read or write is refused, not used.
    public static func readKey(file path: String) throws(CredentialsError) -> DeviceKey {
        let text: String
        do {
            text = try OwnerOnlyFile.read(path)
        } catch {
            switch error {
            case .notPrivate(_, let mode): throw .keyFileNotPrivate(path, mode: mode)
            case .unreadable(let failure): throw .keyFileUnreadable(path, reason: failure.reason)
            }
        }
        return try parseKey(text, source: "the key file \(path)")
    }
}

/// Why a serial or key given by a user is not usable. Names the field; never contains the
/// key or any part of it.
public enum CredentialsError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case invalidSerial(problem: String)
    /// `source` names where the key came from: "--key", "the key file PATH".
    case invalidKey(source: String, problem: String)
    case keyFileUnreadable(String, reason: String)
    /// The key file is readable or writable by others than its owner.
    case keyFileNotPrivate(String, mode: Int)

    public var description: String {
        switch self {
        case .invalidSerial(let problem):
            "the serial is not valid: \(problem)"
        case .invalidKey(let source, let problem):
            "the key from \(source) is not valid: \(problem)"
        case .keyFileUnreadable(let path, let reason):
            "cannot read the key file \(path): \(reason)"
        case .keyFileNotPrivate(let path, let mode):
            "the key file \(path) is open to others (mode \(String(mode, radix: 8)))"
        }
    }

    /// What to try next.
    public var help: String? {
        switch self {
        case .invalidSerial:
            "a serial is 1 to 10 decimal digits, at most 4294967295, e.g. 9999999"
        case .invalidKey:
            "a key is the 32 hex characters (0-9, a-f) given to make as KEY; a key file holds just those, on one line"
        case .keyFileUnreadable:
            "check the path and the file's permissions; the file holds the 32 hex characters of KEY"
        case .keyFileNotPrivate(let path, _):
            "run chmod 600 \(path)"
        }
    }
}
