import Basics

/// A board's 16-byte master key (make variable KEY, 32 hex characters). Every way of
/// printing it (`description`, `debugDescription`, `dump`, string interpolation, a
/// containing value's default description) shows `<redacted>`; the key itself comes out
/// only through `hex` or `bytes`, asked for by name.
public struct DeviceKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let byteCount = 16
    /// What every printout of a key shows.
    public static let redacted = "<redacted>"

    private let storage: [UInt8]

    /// Parses 32 hexadecimal characters, either case. Nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 2 * Self.byteCount, let bytes = hexBytes(hex) else { return nil }
        storage = bytes
    }

    /// Nil unless exactly 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        storage = bytes
    }

    /// The key as 32 lower-case hex characters: the form given to make as KEY.
    public var hex: String {
        hexString(storage)
    }

    /// The 16 raw key bytes.
    public var bytes: [UInt8] { storage }

    public var description: String { Self.redacted }
    public var debugDescription: String { Self.redacted }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Why `text` is not a key, without repeating any of it; nil when it is one.
    static func problem(with text: String) -> String? {
        let count = text.unicodeScalars.count
        if count != 2 * byteCount {
            return "a key is 32 hex characters, this one has \(count)"
        }
        let scalars = Array(text.unicodeScalars)
        if let offset = scalars.firstIndex(where: { !$0.isASCII || hexDigitValue(UInt8($0.value)) == nil }) {
            return "character \(offset + 1) of the key is not a hex digit"
        }
        return nil
    }
}

/// Where a device's key comes from.
public enum KeySource: Hashable, Sendable {
    /// The key written in the profile.
    case given(DeviceKey)
    /// `key: generate`: a fresh random key is made when the device is provisioned.
    case generate

    /// The given key, if any.
    public var givenKey: DeviceKey? {
        if case .given(let key) = self { key } else { nil }
    }
}
