import ESPImage
import ESPProtocol

/// A region to erase through the ROM loader, checked before anything is sent. The ESP8266
/// ROM has no erase command: FLASH_BEGIN with no data packets erases, bug and all.
public struct EraseRegion: Equatable, Sendable {
    public let offset: Int
    public let size: Int
    /// The FLASH_BEGIN erase size that makes the ROM erase the region.
    public let eraseSize: UInt32
    /// What the ROM really erases (may be one sector more; see `ESP8266.romEraseSize`).
    public let erasedRange: Range<Int>

    public init(
        offset: Int, size: Int, flashSize: FlashSize,
        protectedRegions: [ProtectedRegion], allowProtected: Bool = false
    ) throws(FlasherError) {
        let name = "erase-region"
        guard size > 0 else { throw .invalidPlan(.emptyPart(name: name)) }
        guard offset >= 0, offset % ESP8266.flashSectorSize == 0 else { throw .invalidPlan(.unaligned(name: name, offset: offset)) }
        guard size % ESP8266.flashSectorSize == 0 else {
            throw .invalidPlan(.unaligned(name: "\(name) end", offset: offset + size))
        }
        guard offset + size <= flashSize.bytes else {
            throw .invalidPlan(.beyondFlash(name: name, end: offset + size, flashSize: flashSize.bytes))
        }
        let eraseSize = ESP8266.romEraseSize(offset: offset, size: size)
        let erasedRange = ESP8266.romErasedRange(offset: offset, eraseSize: Int(eraseSize))
        guard erasedRange.upperBound <= flashSize.bytes else {
            throw .invalidPlan(.beyondFlash(name: name, end: erasedRange.upperBound, flashSize: flashSize.bytes))
        }
        if !allowProtected, let region = protectedRegions.first(where: { $0.range.overlaps(erasedRange) }) {
            throw .invalidPlan(.touchesProtected(part: name, region: region.name, range: erasedRange.clamped(to: region.range)))
        }
        self.offset = offset
        self.size = size
        self.eraseSize = eraseSize
        self.erasedRange = erasedRange
    }

    /// Sectors the ROM erases beyond the region asked for.
    public var collateralErase: Range<Int>? {
        erasedRange.upperBound > offset + size ? (offset + size)..<erasedRange.upperBound : nil
    }
}

extension LoaderSession {
    /// Erases `region` and returns what was erased. A stub (running, or left running by an
    /// earlier `--after no-reset`, which answered SYNC) erases exactly the region with
    /// ERASE_REGION: its FLASH_BEGIN only prepares a write and erases nothing by itself.
    /// The ROM loader has no erase command: FLASH_BEGIN without data erases
    /// `region.erasedRange`, its erase bug included.
    @discardableResult
    public func erase(_ region: EraseRegion) throws(FlasherError) -> Range<Int> {
        if runningStub == nil, syncAnsweredByStub { try startStub(.mlprov) }
        guard runningStub != nil else {
            try flashBegin(eraseSize: region.eraseSize, packetCount: 0, offset: region.offset)
            return region.erasedRange
        }
        try command(.eraseRegion(offset: UInt32(region.offset), size: UInt32(region.size)),
                    timeout: Self.flashWorkTimeout(bytes: region.size))
        return region.offset..<(region.offset + region.size)
    }
}
