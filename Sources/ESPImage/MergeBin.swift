import Basics
/// Merges files meant for flash offsets into one file to write at a single offset, byte for
/// byte as `esptool --chip esp8266 merge-bin -o OUT [flash flags] OFFSET FILE…` (raw
/// format) does.
///
/// The rules, each settled by comparing outputs with esptool 5.6.0:
/// - Parts are placed in offset order; gaps are 0xFF (erased flash). The output starts at
///   the target offset (default 0, so a first part at 0x1000 is preceded by 0x1000 bytes
///   of 0xFF) and ends with the last part: no end padding unless `padToSize` is given,
///   which pads with 0xFF up to that flash size (never truncates).
/// - Overlap is judged by 4 KiB sectors, as flashing erases them: in offset order (ties
///   keep the order given), a part must start at or after the previous part's end rounded
///   up to 4 KiB. An empty part ends where it starts.
/// - Only a part at flash offset 0 gets its header patched, and only when it parses as a
///   v1 image (magic, 1…16 segments inside the file, checksum byte present; the checksum
///   need not be valid). Anything else there is copied unchanged. Flags left nil ("keep")
///   keep the image's values.
public enum MergeBin {
    /// Flash is erased, and overlap judged, in sectors of this size.
    public static let sectorSize = 0x1000
    /// 0xFF: what erased flash reads, used for gaps.
    public static let fill: UInt8 = 0xFF

    /// A file and the flash offset it belongs at.
    public typealias Part = FlashPart

    /// What happened to the header of the part at offset 0.
    public enum HeaderPatch: Equatable, Sendable {
        /// Every flash setting was "keep", or no part sits at offset 0.
        case untouched
        /// Bytes 2 and 3 were rewritten (they may be unchanged if they already matched).
        case patched(part: String, from: [UInt8], to: [UInt8])
        /// The part at offset 0 is not a v1 image, so nothing was changed.
        case notAnImage(part: String, reason: ImageError)
    }

    public struct Result: Equatable, Sendable {
        /// The merged file.
        public var bytes: [UInt8]
        /// The flash offset the merged file belongs at.
        public var targetOffset: Int
        /// Parts in the order they were placed.
        public var parts: [Part]
        public var headerPatch: HeaderPatch
    }

    /// Merges `parts`. `padToSize` is a flash size in bytes the output (from the target
    /// offset) is padded up to.
    public static func merge(
        _ parts: [Part], flash: FlashParameters = FlashParameters(), targetOffset: Int = 0, padToSize: Int? = nil
    ) throws(MergeBinError) -> Result {
        guard !parts.isEmpty else { throw .noParts }
        let ordered = parts.enumerated()
            .sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }
            .map(\.element)
        for part in ordered where part.offset < targetOffset {
            throw .belowTargetOffset(part: part.name, offset: part.offset, targetOffset: targetOffset)
        }
        for (previous, next) in zip(ordered, ordered.dropFirst()) {
            let end = previous.offset + previous.bytes.count
            let sectorEnd = (end + sectorSize - 1) / sectorSize * sectorSize
            if next.offset < sectorEnd {
                throw .overlap(
                    first: previous.name, firstRange: previous.offset..<end,
                    second: next.name, secondOffset: next.offset, sectorEnd: sectorEnd)
            }
        }
        var output: [UInt8] = []
        var patch = HeaderPatch.untouched
        for part in ordered {
            var bytes = part.bytes
            if part.offset == 0, !flash.keepsAll {
                do {
                    _ = try ESP8266Image(parsing: bytes)
                    bytes = try ESP8266Image.patchingHeader(bytes, with: flash)
                    patch = .patched(part: part.name, from: Array(part.bytes[2...3]), to: Array(bytes[2...3]))
                } catch {
                    patch = .notAnImage(part: part.name, reason: error)
                }
            }
            let start = part.offset - targetOffset
            output += [UInt8](repeating: fill, count: start - output.count)
            output += bytes
        }
        if let padToSize, padToSize - targetOffset > output.count {
            output += [UInt8](repeating: fill, count: padToSize - targetOffset - output.count)
        }
        return Result(bytes: output, targetOffset: targetOffset, parts: ordered, headerPatch: patch)
    }
}

/// Why parts could not be merged.
public enum MergeBinError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case noParts
    /// `second` starts inside a 4 KiB sector that `first` also occupies.
    case overlap(first: String, firstRange: Range<Int>, second: String, secondOffset: Int, sectorEnd: Int)
    case belowTargetOffset(part: String, offset: Int, targetOffset: Int)

    public var description: String {
        switch self {
        case .noParts:
            "nothing to merge: give OFFSET FILE pairs"
        case .overlap(let first, let range, let second, let offset, let sectorEnd):
            "\(second) at \(hex(offset)) overlaps \(first), which occupies \(hex(range.lowerBound))-\(hex(max(range.lowerBound, range.upperBound - 1))) "
                + "and so the 4 KiB sectors up to \(hex(sectorEnd))"
        case .belowTargetOffset(let part, let offset, let target):
            "\(part) at \(hex(offset)) lies before the target offset \(hex(target))"
        }
    }

    public var help: String? {
        switch self {
        case .noParts: "example: mlprov merge-bin -o merged.bin 0x0 0x00000.bin 0x10000 0x10000.bin"
        case .overlap: "flash is erased in 4 KiB sectors: move the second file to a sector boundary after the first"
        case .belowTargetOffset: "lower --target-offset or remove the file"
        }
    }
}
