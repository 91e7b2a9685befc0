import ESPImage
import ESPProtocol

/// A region to erase, checked before anything is sent: inside the flash, on sector
/// boundaries, not in a protected region. A stub erases exactly the region; the ESP8266 ROM
/// has no erase command, and its FLASH_BEGIN with no data packets erases bug and all, so
/// what that would reach beyond the region is checked for the ROM path (`romHazard`).
public struct EraseRegion: Equatable, Sendable {
    public let offset: Int
    public let size: Int
    /// The FLASH_BEGIN erase size that makes the ROM erase the region.
    public let eraseSize: UInt32
    /// What the ROM really erases (may be one sector more; see `ESP8266.romEraseSize`).
    public let erasedRange: Range<Int>
    /// Why the ROM loader alone must not erase this (its extra sector past the chip's end
    /// or into a protected region); a stub erases exactly the region.
    public let romHazard: FlashPlanError?

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
        let asked = offset..<(offset + size)
        if !allowProtected, let region = protectedRegions.first(where: { $0.range.overlaps(asked) }) {
            throw .invalidPlan(.touchesProtected(part: name, region: region.name, range: asked.clamped(to: region.range)))
        }
        let eraseSize = ESP8266.romEraseSize(offset: offset, size: size)
        let erasedRange = ESP8266.romErasedRange(offset: offset, eraseSize: Int(eraseSize))
        if erasedRange.upperBound > flashSize.bytes {
            romHazard = .romEraseBeyondFlash(part: name, end: erasedRange.upperBound, flashSize: flashSize.bytes)
        } else if !allowProtected, let region = protectedRegions.first(where: { $0.range.overlaps(erasedRange) }) {
            romHazard = .touchesProtected(part: name, region: region.name, range: erasedRange.clamped(to: region.range))
        } else {
            romHazard = nil
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
            if let hazard = region.romHazard { throw .invalidPlan(hazard) }
            try flashBegin(eraseSize: region.eraseSize, packetCount: 0, offset: region.offset)
            return region.erasedRange
        }
        try command(.eraseRegion(offset: UInt32(region.offset), size: UInt32(region.size)),
                    timeout: Self.flashWorkTimeout(bytes: region.size))
        return region.offset..<(region.offset + region.size)
    }
}
