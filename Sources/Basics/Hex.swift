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
