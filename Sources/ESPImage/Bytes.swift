/// Little-endian integer helpers for protocol and image fields.
extension Array where Element == UInt8 {
    /// Appends `value` as 4 little-endian bytes.
    @inlinable
    public mutating func appendLE32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Appends `value` as 2 little-endian bytes.
    @inlinable
    public mutating func appendLE16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }
}

extension Collection where Element == UInt8, Index == Int {
    /// The little-endian u32 at `offset`, or nil when fewer than 4 bytes are there.
    @inlinable
    public func readLE32(at offset: Int) -> UInt32? {
        let start = startIndex + offset
        guard offset >= 0, start + 4 <= endIndex else { return nil }
        return UInt32(self[start]) | UInt32(self[start + 1]) << 8
            | UInt32(self[start + 2]) << 16 | UInt32(self[start + 3]) << 24
    }

    /// The little-endian u16 at `offset`, or nil when fewer than 2 bytes are there.
    @inlinable
    public func readLE16(at offset: Int) -> UInt16? {
        let start = startIndex + offset
        guard offset >= 0, start + 2 <= endIndex else { return nil }
        return UInt16(self[start]) | UInt16(self[start + 1]) << 8
    }
}
