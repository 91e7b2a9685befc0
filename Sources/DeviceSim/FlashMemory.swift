import Basics
import ESPImage
import ESPProtocol
import Foundation

/// A SPI NOR flash chip's contents with NOR semantics: erasing sets a whole 4 KiB sector
/// to 0xFF, programming can only clear bits (new = old AND data)
/// (docs/esp8266-rom-protocol.md, "Flash chip behaviour and timings").
public struct FlashMemory: Sendable, Equatable {
    public static let sectorSize = ESP8266.flashSectorSize
    public static let erasedByte: UInt8 = 0xFF

    /// The whole content, byte for byte (a snapshot when read from a copy).
    public private(set) var contents: [UInt8]

    /// The capacity in bytes.
    public var size: Int { contents.count }
    /// The number of 4 KiB sectors.
    public var sectorCount: Int { size / Self.sectorSize }

    /// A blank (fully erased) chip of `size` bytes, a multiple of the sector size.
    public init(size: Int) {
        precondition(size > 0 && size % Self.sectorSize == 0, "flash size must be a positive multiple of 4 KiB")
        contents = [UInt8](repeating: Self.erasedByte, count: size)
    }

    /// A chip of `size` bytes holding `image` from offset 0 and erased bytes after it,
    /// as a dump read back from a board. Throws when the image does not fit.
    public init(size: Int, image: [UInt8]) throws(FlashMemoryError) {
        self.init(size: size)
        guard image.count <= size else { throw .imageTooLarge(source: "image", length: image.count, capacity: size) }
        contents.replaceSubrange(0..<image.count, with: image)
    }

    /// A chip of `size` bytes loaded from the dump file at `path` (shorter files leave the
    /// rest erased; longer ones are refused).
    public init(size: Int, contentsOfFile path: String) throws(FlashMemoryError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard data.count <= size else { throw .imageTooLarge(source: path, length: data.count, capacity: size) }
        try self.init(size: size, image: [UInt8](data))
    }

    /// Writes the whole content to `path` (a full-size dump).
    /// Writes the whole flash to `path`, atomically and 0600: a flash holds keys.
    public func dump(toFile path: String) throws(FlashMemoryError) {
        do {
            try AtomicFile.write(contents, to: path, mode: AtomicFile.privateMode)
        } catch {
            throw .unwritable(path: path, reason: error.reason)
        }
    }

    /// The bytes in `range` (clamped to the chip).
    public func read(_ range: Range<Int>) -> [UInt8] {
        let clamped = range.clamped(to: 0..<size)
        return Array(contents[clamped])
    }

    /// Erases the sector with this index to 0xFF.
    public mutating func eraseSector(_ index: Int) throws(FlashMemoryError) {
        guard index >= 0, index < sectorCount else {
            throw .outOfRange(offset: index * Self.sectorSize, length: Self.sectorSize, capacity: size)
        }
        let start = index * Self.sectorSize
        contents.withUnsafeMutableBufferPointer { buffer in
            for i in start..<(start + Self.sectorSize) { buffer[i] = Self.erasedByte }
        }
    }

    /// Erases every sector `range` touches (erase works on whole sectors only).
    public mutating func erase(_ range: Range<Int>) throws(FlashMemoryError) {
        guard !range.isEmpty else { return }
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw .outOfRange(offset: range.lowerBound, length: range.count, capacity: size)
        }
        let first = range.lowerBound / Self.sectorSize
        let last = (range.upperBound - 1) / Self.sectorSize
        for sector in first...last { try eraseSector(sector) }
    }

    /// Programs `data` at `offset`: each byte becomes old AND new, as NOR flash can only
    /// clear bits. Programming over unerased bytes is allowed and silently keeps the zeros.
    public mutating func program(_ data: [UInt8], at offset: Int) throws(FlashMemoryError) {
        guard offset >= 0, offset + data.count <= size else {
            throw .outOfRange(offset: offset, length: data.count, capacity: size)
        }
        contents.withUnsafeMutableBufferPointer { buffer in
            for (i, byte) in data.enumerated() { buffer[offset + i] &= byte }
        }
    }
}

/// What went wrong with a flash model operation or its dump file.
public enum FlashMemoryError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case outOfRange(offset: Int, length: Int, capacity: Int)
    case imageTooLarge(source: String, length: Int, capacity: Int)
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .outOfRange(let offset, let length, let capacity):
            "flash access of \(length) bytes at \(hex(offset)) goes past the chip's end (\(capacity) bytes)"
        case .imageTooLarge(let source, let length, let capacity):
            "\(source) has \(length) bytes, more than the \(capacity)-byte flash holds; use a larger flash size"
        case .unreadable(let path, let reason):
            "cannot read flash dump \(path): \(reason)"
        case .unwritable(let path, let reason):
            "cannot write flash dump \(path): \(reason)"
        }
    }

    public var help: String? {
        switch self {
        case .outOfRange: "this is a bug in the twin's caller: the access must stay inside the flash"
        case .imageTooLarge: "give a larger --flash-size, or a smaller image"
        case .unreadable, .unwritable: "check the path and its permissions"
        }
    }
}
