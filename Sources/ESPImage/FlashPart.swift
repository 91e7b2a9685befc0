/// One file to write at one flash offset.
public struct FlashPart: Equatable, Sendable {
    /// How messages name the part: usually the file name.
    public var name: String
    public var offset: Int
    public var bytes: [UInt8]

    public init(name: String, offset: Int, bytes: [UInt8]) {
        self.name = name
        self.offset = offset
        self.bytes = bytes
    }

    public var range: Range<Int> { offset..<(offset + bytes.count) }
}
