import Basics
import ESPImage
import ESPProtocol

/// Why a plan was refused. Nothing has been sent when one of these is thrown.
public enum FlashPlanError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case noParts
    case emptyPart(name: String)
    case unaligned(name: String, offset: Int)
    case beyondFlash(name: String, end: Int, flashSize: Int)
    case overlap(first: String, second: String, at: Int)
    case touchesProtected(part: String, region: String, range: Range<Int>)
    /// The ROM's erase-size bug would erase a sector past the chip's end (the address wraps
    /// to sector 0): the ROM loader alone cannot write or erase this.
    case romEraseBeyondFlash(part: String, end: Int, flashSize: Int)

    public var description: String {
        switch self {
        case .noParts: "nothing to write: no parts given"
        case .emptyPart(let name): "\(name) is empty"
        case .unaligned(let name, let offset):
            "\(name) at \(hex(offset)) does not start on a 4 KiB sector boundary (offsets must be multiples of 0x1000)"
        case .beyondFlash(let name, let end, let flashSize):
            "\(name) ends at \(hex(end)), past the end of the \(flashSize >> 10) KiB flash (\(hex(flashSize)))"
        case .overlap(let first, let second, let at):
            "\(first) and \(second) overlap at \(hex(at))"
        case .touchesProtected(let part, let region, let range):
            "\(part) would erase \(hex(range.lowerBound))–\(hex(range.upperBound - 1)), which is the \(region)"
        case .romEraseBeyondFlash(let part, let end, let flashSize):
            "the ROM loader's erase bug would erase \(part) up to \(hex(end)), past the end of the \(flashSize >> 10) KiB flash, where it wraps to sector 0"
        }
    }

    public var help: String? {
        switch self {
        case .unaligned: "the ROM loader erases whole sectors; move the part to a sector boundary"
        case .beyondFlash: "check the offset and --flash-size"
        case .touchesProtected: "pass --allow-protected if erasing it is really intended; mlprov's stub erases only the part's own sectors"
        case .romEraseBeyondFlash: "write it through mlprov's flasher stub (leave out --no-stub): it erases exactly the part's sectors"
        case .overlap: "check the offsets: each byte of flash can come from one part only"
        default: nil
        }
    }
}

/// What the ROM will do for one part: the FLASH_BEGIN erase request (compensated for the
/// erase-size bug), the range it really erases, and the runs of packets that carry data.
public struct PartOperation: Equatable, Sendable {
    public var part: FlashPart
    /// The erase size to send in FLASH_BEGIN.
    public var eraseSize: UInt32
    /// The bytes the ROM really erases.
    public var erasedRange: Range<Int>
    /// Runs of consecutive packets to send, by packet index; packets that are all 0xFF
    /// after padding are left out (the erase already made them so).
    public var packetRuns: [Range<Int>]
    /// Why the ROM loader alone must not write this part, nil when it may: its erase-size
    /// bug would erase a sector past the chip's end (where the address wraps to sector 0)
    /// or into a protected region. A stub erases exactly the part's sectors, so the part is
    /// fine through the stub; the ROM path refuses it before sending anything.
    public var romHazard: FlashPlanError?
    /// The part's packets, padded with 0xFF to the full packet size.
    public var packetCount: Int { (part.bytes.count + ESP8266.flashPacketSize - 1) / ESP8266.flashPacketSize }

    /// The bytes of packet `index`, padded with 0xFF as the ROM requires.
    public func packet(_ index: Int) -> [UInt8] {
        let size = ESP8266.flashPacketSize
        let start = index * size
        let end = min(start + size, part.bytes.count)
        var block = Array(part.bytes[start..<end])
        if block.count < size { block += [UInt8](repeating: 0xFF, count: size - block.count) }
        return block
    }

    /// One FLASH_BEGIN and the packets that follow it.
    public struct Transfer: Equatable, Sendable {
        /// The FLASH_BEGIN's fields, encoded only when sent.
        public var begin: FlashBegin
        public var packets: Range<Int>
    }

    /// The FLASH_BEGINs for this part: the first erases the whole part; a run of packets
    /// that does not follow it directly gets its own FLASH_BEGIN with nothing to erase,
    /// which moves the ROM's write position.
    public var transfers: [Transfer] {
        let size = ESP8266.flashPacketSize
        func begin(erase: UInt32, packets: Range<Int>) -> Transfer {
            Transfer(
                begin: FlashBegin(size: erase, packetCount: UInt32(packets.count), packetSize: UInt32(size),
                                  offset: UInt32(part.offset + packets.lowerBound * size)),
                packets: packets)
        }
        var runs = packetRuns[...]
        var transfers: [Transfer]
        if let first = runs.first, first.lowerBound == 0 {
            transfers = [begin(erase: eraseSize, packets: first)]
            runs = runs.dropFirst()
        } else {
            transfers = [begin(erase: eraseSize, packets: 0..<0)]
        }
        transfers += runs.map { begin(erase: 0, packets: $0) }
        return transfers
    }

    /// Bytes erased beyond the part's own sectors (the ROM bug cannot always be compensated
    /// exactly: an odd number of sectors near a block start always erases one more).
    public var collateralErase: Range<Int>? {
        let partEnd = (part.range.upperBound + ESP8266.flashSectorSize - 1) / ESP8266.flashSectorSize * ESP8266.flashSectorSize
        return erasedRange.upperBound > partEnd ? partEnd..<erasedRange.upperBound : nil
    }
}

/// Parts at offsets, checked before anything is sent: every part inside the flash, on a
/// sector boundary, no overlaps, nothing erased in a protected region unless allowed.
/// The image at offset 0 gets its header's flash mode/size/frequency set.
public struct FlashPlan: Equatable, Sendable {
    public let flashSize: Int
    public let operations: [PartOperation]
    /// The regions the plan must leave as they are (none when `allowProtected`): a stub
    /// write checks them by MD5 before and after.
    public let protectedRegions: [ProtectedRegion]

    public init(
        parts: [FlashPart],
        flashSize: FlashSize,
        parameters: FlashParameters = FlashParameters(),
        protectedRegions: [ProtectedRegion],
        allowProtected: Bool = false
    ) throws(FlasherError) {
        guard !parts.isEmpty else { throw .invalidPlan(.noParts) }
        let sizeBytes = flashSize.bytes
        var sorted = parts.sorted { $0.offset < $1.offset }
        for index in sorted.indices {
            let part = sorted[index]
            guard !part.bytes.isEmpty else { throw .invalidPlan(.emptyPart(name: part.name)) }
            guard part.offset >= 0, part.offset % ESP8266.flashSectorSize == 0 else {
                throw .invalidPlan(.unaligned(name: part.name, offset: part.offset))
            }
            guard part.range.upperBound <= sizeBytes else {
                throw .invalidPlan(.beyondFlash(name: part.name, end: part.range.upperBound, flashSize: sizeBytes))
            }
            if index > 0, sorted[index - 1].range.overlaps(part.range) {
                throw .invalidPlan(.overlap(first: sorted[index - 1].name, second: part.name, at: part.offset))
            }
            if part.offset == 0, !parameters.keepsAll, part.bytes.first == ESP8266Image.magic {
                do {
                    sorted[index].bytes = try ESP8266Image.patchingHeader(part.bytes, with: parameters)
                } catch {
                    throw .image(part: part.name, error)
                }
            }
        }
        var operations: [PartOperation] = []
        for part in sorted {
            // The part's own sectors: what any loader erases for it.
            let sectors = part.offset..<((part.range.upperBound + ESP8266.flashSectorSize - 1) / ESP8266.flashSectorSize * ESP8266.flashSectorSize)
            if !allowProtected, let region = protectedRegions.first(where: { $0.range.overlaps(sectors) }) {
                throw .invalidPlan(.touchesProtected(part: part.name, region: region.name, range: sectors.clamped(to: region.range)))
            }
            let eraseSize = ESP8266.romEraseSize(offset: part.offset, size: part.bytes.count)
            let erased = ESP8266.romErasedRange(offset: part.offset, eraseSize: Int(eraseSize))
            var romHazard: FlashPlanError?
            if erased.upperBound > sizeBytes {
                // The ROM's extra sector past the chip's end would wrap to sector 0.
                romHazard = .romEraseBeyondFlash(part: part.name, end: erased.upperBound, flashSize: sizeBytes)
            } else if !allowProtected, let region = protectedRegions.first(where: { $0.range.overlaps(erased) }) {
                romHazard = .touchesProtected(part: part.name, region: region.name, range: erased.clamped(to: region.range))
            }
            var operation = PartOperation(part: part, eraseSize: eraseSize, erasedRange: erased, packetRuns: [], romHazard: romHazard)
            operation.packetRuns = Self.dataRuns(of: operation)
            operations.append(operation)
        }
        self.flashSize = sizeBytes
        self.operations = operations
        self.protectedRegions = allowProtected ? [] : protectedRegions.filter { $0.range.upperBound <= sizeBytes }
    }

    /// Runs of packets that are not all 0xFF. A run after a gap starts on a sector boundary
    /// (taking up to three blank packets along), so every FLASH_BEGIN that moves the write
    /// position names a sector-aligned offset, as the ROM has always been given.
    private static func dataRuns(of operation: PartOperation) -> [Range<Int>] {
        let packetsPerSector = ESP8266.flashSectorSize / ESP8266.flashPacketSize
        var runs: [Range<Int>] = []
        var start: Int?
        for index in 0...operation.packetCount {
            let blank = index == operation.packetCount || operation.packet(index).allSatisfy { $0 == 0xFF }
            if blank, let runStart = start {
                let aligned = runStart / packetsPerSector * packetsPerSector
                if let last = runs.last, last.upperBound >= aligned {
                    runs[runs.count - 1] = last.lowerBound..<index
                } else {
                    runs.append(aligned..<index)
                }
                start = nil
            } else if !blank, start == nil {
                start = index
            }
        }
        return runs
    }

    /// Every request the plan sends, in order (without connecting and leaving): what the
    /// wire bound is computed from.
    public var requests: [Request] {
        operations.flatMap { operation in
            operation.transfers.flatMap { transfer in
                [transfer.begin.request()] + transfer.packets.enumerated().map { sequence, index in
                    Request.flashData(operation.packet(index), sequence: UInt32(sequence))
                }
            }
        }
    }

    public var totalBytes: Int { operations.reduce(0) { $0 + $1.part.bytes.count } }

    /// The first reason the ROM loader alone must not write this plan (a stub may).
    public var romHazard: FlashPlanError? { operations.lazy.compactMap(\.romHazard).first }
}
