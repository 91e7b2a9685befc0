/// Hex text, the one encoder every target uses: addresses and ids as `0x…` numbers, bytes
/// (digests, keys, sealed messages) as two digits a byte.

/// Formats `value` as 0x-prefixed hex with at least `digits` digits: hex(0x76000) = "0x00076000".
public func hex(_ value: some BinaryInteger, digits: Int = 8) -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: Swift.max(0, digits - text.count)) + text
}

/// The hex digits of `bytes`, two per byte, no prefix, lowercase unless asked otherwise:
/// hexString([0xAB, 0x01]) = "ab01", hexString([0xAB], uppercase: true) = "AB".
public func hexString(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
    let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: text, as: UTF8.self)
}

/// The bytes `text` spells in hex: an even number of digits, either case, nothing else
/// (no prefix, no spaces). Nil for anything else; hexBytes("00AB7f") = [0x00, 0xAB, 0x7F].
public func hexBytes(_ text: some StringProtocol) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count / 2)
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let high = hexDigitValue(digits[index]), let low = hexDigitValue(digits[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
    }
    return bytes
}

/// The value of one ASCII hex digit (0-9, a-f, A-F); nil for any other byte.
public func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
