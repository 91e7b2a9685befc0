import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import SerialLink
import TestSupport
import Testing

/// Shared set-up for the tests that drive the real `LoaderSession` against the ESP8266 twin:
/// a recognisable flash prefill, the MeterLogger plan, what the flash must hold afterwards,
/// and where on the wire a given byte of the plan's traffic falls (for fault injection).
enum TwinSessionSupport {
    static let flashBytes = FlashSize.size1MB.bytes

    /// A prefill no erase can produce: every byte differs from 0xFF, and it varies from
    /// byte to byte and sector to sector, so an erased or shifted sector always shows.
    static let pattern: [UInt8] = (0..<flashBytes).map { index in
        UInt8((index &* 37 &+ index >> 12 &+ 11) % 255)
    }

    /// A twin with `pattern` in its flash.
    static func prefilledTwin(_ configuration: TwinConfiguration = TwinConfiguration()) throws -> ESP8266Twin {
        try ESP8266Twin(configuration: configuration, flashContents: pattern)
    }

    /// The MeterLogger five-part set as flash parts, unpatched.
    static func meterLoggerParts() -> [FlashPart] {
        SampleImageSet.meterLogger().map { FlashPart(name: $0.name, offset: $0.offset, bytes: $0.bytes) }
    }

    static func meterLoggerPlan() throws -> FlashPlan {
        try FlashPlan(parts: meterLoggerParts(), flashSize: .size1MB, parameters: .meterLogger, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
    }

    /// What the flash must hold after `parts` were written over `initial` by a plan whose
    /// ROM erases went exactly where `plan` says: each part's bytes at its offset (the image
    /// at 0 with header bytes 2/3 set to DOUT and 1MB/40MHz), 0xFF in the rest of the
    /// sectors the parts occupy and in each operation's `collateralErase`, `initial`
    /// everywhere else. Built from the files, not from the plan's (patched) bytes.
    static func expectedFlash(parts: [FlashPart], plan: FlashPlan, over initial: [UInt8]) -> [UInt8] {
        var expected = initial
        let sector = ESP8266.flashSectorSize
        for part in parts {
            let start = part.offset / sector * sector
            let end = (part.range.upperBound + sector - 1) / sector * sector
            expected.replaceSubrange(start..<end, with: repeatElement(0xFF, count: end - start))
        }
        for operation in plan.operations {
            if let collateral = operation.collateralErase {
                expected.replaceSubrange(collateral, with: repeatElement(0xFF, count: collateral.count))
            }
        }
        for part in parts {
            var bytes = part.bytes
            if part.offset == 0, bytes.first == ESP8266Image.magic {
                bytes[2] = 0x03  // DOUT
                bytes[3] = 0x20  // 1MB, 40 MHz
            }
            expected.replaceSubrange(part.range, with: bytes)
        }
        return expected
    }

    /// Polls `condition` until it holds or `timeout` passes (generous: never a speed check).
    @discardableResult
    static func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }

    // MARK: The plan's traffic on the wire

    /// One SLIP frame the plan sends, in order: the part it belongs to, the flash offset of
    /// the block for FLASH_DATA (nil for FLASH_BEGIN), the framed bytes and, for FLASH_DATA,
    /// where in `bytes` the block's data starts.
    struct WireFrame {
        var part: String
        var blockOffset: Int?
        var bytes: [UInt8]
        var dataStart: Int?
    }

    /// The frames `write(plan)` puts on the wire, in order, derived from docs/esp8266-rom-protocol.md
    /// (FLASH_BEGIN per transfer, then FLASH_DATA per packet with its sequence number).
    static func wireFrames(of plan: FlashPlan) -> [WireFrame] {
        var frames: [WireFrame] = []
        for operation in plan.operations {
            for transfer in operation.transfers {
                frames.append(WireFrame(part: operation.part.name, blockOffset: nil,
                                        bytes: SLIP.encode(transfer.begin.request().encoded()), dataStart: nil))
                for (sequence, index) in transfer.packets.enumerated() {
                    let packet = Request.flashData(operation.packet(index), sequence: UInt32(sequence)).encoded()
                    // 0xC0, then the escaped 8-byte header and 16-byte data header.
                    let dataStart = SLIP.encode(Array(packet.prefix(Request.headerSize + 16))).count - 1
                    frames.append(WireFrame(part: operation.part.name,
                                            blockOffset: operation.part.offset + index * ESP8266.flashPacketSize,
                                            bytes: SLIP.encode(packet), dataStart: dataStart))
                }
            }
        }
        return frames
    }

    /// The received-byte index (counted from the first byte of the plan's first frame) of a
    /// byte inside the data of the block at `blockOffset`, at least `from` bytes into the
    /// data, chosen so that the fault changes only data: a plain byte (not part of an escape
    /// sequence) that is no SLIP special and does not become one when its low bit flips.
    static func faultIndex(in plan: FlashPlan, blockOffset: Int, from: Int = 0) -> Int? {
        var position = 0
        for frame in wireFrames(of: plan) {
            defer { position += frame.bytes.count }
            guard frame.blockOffset == blockOffset, let dataStart = frame.dataStart else { continue }
            var index = dataStart
            var skipped = 0
            while index < frame.bytes.count - 1 {
                let byte = frame.bytes[index]
                if byte == SLIP.escape { index += 2; skipped += 1; continue }
                if skipped >= from, ![0xC0, 0xC1, 0xDA, 0xDB].contains(byte) { return position + index }
                index += 1
                skipped += 1
            }
            return nil
        }
        return nil
    }

    // MARK: Progress

    /// Checks the events of a successful `write(plan)`: `.erasing` once per part in offset
    /// order with the range the plan says, `.writing` rising to the part's size, then
    /// `.partWritten`, part after part.
    static func checkProgress(_ events: [FlashEvent], plan: FlashPlan, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let erasing = events.compactMap { event -> (String, Range<Int>)? in
            if case .erasing(let part, let range) = event { return (part, range) }
            return nil
        }
        #expect(erasing.map(\.0) == plan.operations.map(\.part.name), sourceLocation: sourceLocation)
        #expect(erasing.map(\.1) == plan.operations.map(\.erasedRange), sourceLocation: sourceLocation)
        #expect(plan.operations.map(\.part.offset) == plan.operations.map(\.part.offset).sorted(), sourceLocation: sourceLocation)

        let written = events.compactMap { event -> (String, Int, Int)? in
            if case .partWritten(let part, let offset, let bytes, _) = event { return (part, offset, bytes) }
            return nil
        }
        #expect(written.map(\.0) == plan.operations.map(\.part.name), sourceLocation: sourceLocation)
        #expect(written.map(\.1) == plan.operations.map(\.part.offset), sourceLocation: sourceLocation)
        #expect(written.map(\.2) == plan.operations.map(\.part.bytes.count), sourceLocation: sourceLocation)

        for operation in plan.operations {
            let name = operation.part.name
            let total = operation.part.bytes.count
            guard let erasingAt = events.firstIndex(where: { if case .erasing(name, _) = $0 { true } else { false } }),
                  let doneAt = events.firstIndex(where: { if case .partWritten(name, _, _, _) = $0 { true } else { false } })
            else {
                Issue.record("no erasing or partWritten event for \(name)", sourceLocation: sourceLocation)
                continue
            }
            var progress: [Int] = []
            for (index, event) in events.enumerated() {
                guard case .writing(name, let done, let of) = event else { continue }
                #expect(of == total, "\(name): writing event with total \(of)", sourceLocation: sourceLocation)
                #expect(index > erasingAt && index < doneAt, "\(name): writing event outside erase...partWritten", sourceLocation: sourceLocation)
                progress.append(done)
            }
            #expect(progress.last == total, "\(name): writing ends at \(String(describing: progress.last)), not \(total)", sourceLocation: sourceLocation)
            #expect(progress == progress.sorted(), "\(name): progress goes backwards", sourceLocation: sourceLocation)
        }
    }
}
