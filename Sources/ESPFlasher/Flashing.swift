import Basics
import ESPImage
import ESPProtocol

extension LoaderSession {
    /// Writes every part of `plan`, in offset order. Each part's FLASH_BEGIN erases exactly
    /// what the plan computed; blocks go out one by one, each retried on a refusal. A
    /// failure names the part and the flash offset of the block that failed; running the
    /// same plan again rewrites the part from its start.
    /// With a stub running, the parts go compressed instead (`writeCompressed`).
    public func write(_ plan: FlashPlan, progress: (FlashEvent) -> Void = { _ in }) throws(FlasherError) {
        if runningStub == nil, syncAnsweredByStub {
            // A stub left running answered the SYNC: the ROM's requests would confuse it
            // (its FLASH_BEGIN sizes are exact, the ROM's are bug-compensated).
            try startStub(.mlprov)
            progress(.stubStarted)
        }
        if let stub = runningStub {
            try writeCompressed(plan, stub: stub, progress: progress)
            return
        }
        // The ROM alone: its erase bug must not reach past the chip or into a protected region.
        if let hazard = plan.romHazard { throw .invalidPlan(hazard) }
        for operation in plan.operations {
            let part = operation.part
            let started = ContinuousClock.now
            var written = 0
            var offset = part.offset
            do {
                for (index, transfer) in operation.transfers.enumerated() {
                    if index == 0 { progress(.erasing(part: part.name, range: operation.erasedRange)) }
                    offset = part.offset + transfer.packets.lowerBound * ESP8266.flashPacketSize
                    try flashBegin(transfer.begin)
                    for (sequence, packetIndex) in transfer.packets.enumerated() {
                        offset = part.offset + packetIndex * ESP8266.flashPacketSize
                        let blockOffset = offset
                        try flashData(operation.packet(packetIndex), sequence: sequence) { reason in
                            progress(.retrying(part: part.name, offset: blockOffset, reason: reason.description))
                        }
                        written = min(part.bytes.count, (packetIndex + 1) * ESP8266.flashPacketSize)
                        progress(.writing(part: part.name, written: written, total: part.bytes.count))
                    }
                }
            } catch {
                throw .partFailed(part: part.name, offset: offset, cause: error)
            }
            if written < part.bytes.count {
                progress(.writing(part: part.name, written: part.bytes.count, total: part.bytes.count))
            }
            progress(.partWritten(part: part.name, offset: part.offset, bytes: part.bytes.count,
                                  seconds: (ContinuousClock.now - started).seconds))
        }
    }
}
