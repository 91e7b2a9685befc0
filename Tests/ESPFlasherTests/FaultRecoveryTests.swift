import Basics
import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import SerialLink
import TestSupport
import Testing

/// The real `LoaderSession` against a twin that misbehaves on purpose: line noise, a lost
/// byte, a pulled cable, the wrong chip, and the ROM's erase-size bug.
struct FaultRecoveryTests {
    typealias Support = TwinSessionSupport

    /// A running board with the prefill in flash, reset into the loader through DTR/RTS.
    func connectedBoard() throws -> (ESP8266Twin, MemoryLink, LoaderSession) {
        let twin = try Support.prefilledTwin(TwinConfiguration(initialBootMode: .flash))
        let host = twin.connectInProcess()
        let session = LoaderSession(link: host)
        try session.connect(reset: .classic)
        _ = try session.readChipInfo()
        return (twin, host, session)
    }

    func retries(in events: [FlashEvent]) -> [(part: String, offset: Int, reason: String)] {
        events.compactMap { event in
            if case .retrying(let part, let offset, let reason) = event { return (part, offset, reason) }
            return nil
        }
    }

    @Test("a garbled chip-detect read (a flipped address byte) is read again, not taken for another chip")
    func garbledChipDetectIsReadAgain() throws {
        let (twin, _, session) = try connectedBoard()
        defer { twin.stop() }
        // The next READ_REG frame: C0, 00 0A, length, checksum, then the address, whose top
        // byte (frame byte 12) becomes 0x61: another register, not the chip-detect one.
        twin.arm(.flipByte(at: 12))
        let chip = try session.readChipInfo()
        #expect(twin.events.contains(.faultFired(.flipByte(at: 12))), "the fault hit the first read")
        #expect(chip.mac == twin.configuration.mac)
    }

    @Test("a bad byte during the stub's upload sends the upload again; the stub starts")
    func stubUploadIsRetried() throws {
        let (twin, _, session) = try connectedBoard()
        defer { twin.stop() }
        let before = twin.counters.count(.memBegin)
        // Inside the first MEM_DATA block's payload (after MEM_BEGIN and the data header):
        // the ROM refuses the block's checksum.
        twin.arm(.flipByte(at: 200))
        try session.startStub(.mlprov)
        #expect(twin.events.contains(.faultFired(.flipByte(at: 200))))
        #expect(session.runningStub != nil, "the stub greeted after the upload was sent again")
        #expect(twin.counters.count(.memBegin) - before > FlasherStub.mlprov.segments.filter { !$0.bytes.isEmpty }.count,
                "the upload started afresh")
    }

    @Test("an upload that keeps failing says it was the stub's upload")
    func stubUploadFailureNamesTheStep() {
        let error = FlasherError.stubUploadFailed(attempts: 3, cause: .commandFailed(command: .memData, code: 0x07))
        #expect(error.description.hasPrefix("uploading mlprov's flasher stub to the chip's RAM failed 3 times"))
        #expect(error.help?.contains("--no-stub") == true)
        #expect(error.cause as? FlasherError == .commandFailed(command: .memData, code: 0x07))
    }

    @Test("a flipped byte in a FLASH_DATA payload is refused by the ROM, the block is sent again and the flash is right")
    func flippedByteIsRetried() throws {
        let (twin, _, session) = try connectedBoard()
        defer { twin.stop() }
        let plan = try Support.meterLoggerPlan()
        let blockOffset = 0x800  // the third block of 0x00000.bin
        let index = try #require(Support.faultIndex(in: plan, blockOffset: blockOffset, from: 150))
        let before = twin.counters

        twin.arm(.flipByte(at: index))
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }

        #expect(twin.events.contains(.faultFired(.flipByte(at: index))))
        let retried = retries(in: events)
        #expect(retried.count == 1)
        #expect(retried.first?.part == "0x00000.bin")
        #expect(retried.first?.offset == blockOffset)
        #expect(retried.first?.reason.contains("FLASH_DATA") == true)
        #expect(retried.first?.reason.contains("checksum") == true)
        let after = twin.counters
        #expect(after.failedCommands - before.failedCommands == 1)
        let dataFrames = Support.wireFrames(of: plan).filter { $0.blockOffset != nil }.count
        #expect(after.count(.flashData) - before.count(.flashData) == dataFrames + 1)
        Support.checkProgress(events, plan: plan)
        let expected = Support.expectedFlash(parts: Support.meterLoggerParts(), plan: plan, over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }

    @Test("a dropped byte in a FLASH_DATA payload makes an invalid message, the block is sent again and the flash is right")
    func droppedByteIsRetried() throws {
        let (twin, _, session) = try connectedBoard()
        defer { twin.stop() }
        let plan = try Support.meterLoggerPlan()
        let blockOffset = 0x11400  // the sixth block of 0x10000.bin
        let index = try #require(Support.faultIndex(in: plan, blockOffset: blockOffset, from: 200))
        let before = twin.counters

        twin.arm(.dropByte(at: index))
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }

        #expect(twin.events.contains(.faultFired(.dropByte(at: index))))
        let retried = retries(in: events)
        #expect(retried.count == 1)
        #expect(retried.first?.part == "0x10000.bin")
        #expect(retried.first?.offset == blockOffset)
        #expect(retried.first?.reason.contains("invalid message") == true)
        #expect(twin.counters.failedCommands - before.failedCommands == 1)
        Support.checkProgress(events, plan: plan)
        let expected = Support.expectedFlash(parts: Support.meterLoggerParts(), plan: plan, over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }

    @Test("a cable pulled in the middle of 0x10000.bin fails that part at the block's offset; after a replug the same plan completes")
    func pulledCableThenReplug() throws {
        let (twin, host, session) = try connectedBoard()
        defer { twin.stop() }
        let plan = try Support.meterLoggerPlan()
        let irom = try #require(plan.operations.first { $0.part.name == "0x10000.bin" }).part
        let blockOffset = irom.offset + irom.bytes.count / 2 / ESP8266.flashPacketSize * ESP8266.flashPacketSize
        let index = try #require(Support.faultIndex(in: plan, blockOffset: blockOffset, from: 500))

        twin.arm(.pullCable(at: index))
        var events: [FlashEvent] = []
        let error = try #require(#expect(throws: FlasherError.self) { try session.write(plan) { events.append($0) } })
        guard case .partFailed(let part, let offset, let cause) = error else {
            Issue.record("expected partFailed, got \(error)")
            return
        }
        #expect(part == "0x10000.bin")
        #expect(irom.range.contains(offset))
        #expect(offset % ESP8266.flashPacketSize == 0)
        #expect(offset == blockOffset)
        #expect(cause == .link(.disconnected(link: host.name)))
        #expect(error.description.contains("0x10000.bin"))
        #expect(error.description.contains(hex(offset)))
        #expect(error.description.contains("disconnected"))
        #expect(events.contains { if case .partWritten("0x00000.bin", _, _, _) = $0 { true } else { false } })
        #expect(!events.contains { if case .partWritten("0x10000.bin", _, _, _) = $0 { true } else { false } })
        // The blocks before the pull reached the chip; the one cut short did not.
        let flash = twin.flash.contents
        #expect(byteDifference(flash[irom.offset..<blockOffset], irom.bytes[0..<(blockOffset - irom.offset)], base: irom.offset) == nil)
        #expect(flash[blockOffset..<(blockOffset + ESP8266.flashPacketSize)].allSatisfy { $0 == 0xFF })

        // Replug: a new cable, a new session, reset through DTR/RTS, the same plan again.
        let replugged = LoaderSession(link: twin.connectInProcess())
        try replugged.connect(reset: .classic)
        #expect(twin.chipState == .download)
        var secondEvents: [FlashEvent] = []
        try replugged.write(plan) { secondEvents.append($0) }
        Support.checkProgress(secondEvents, plan: plan)
        let expected = Support.expectedFlash(parts: Support.meterLoggerParts(), plan: plan, over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }

    /// KNOWN FAILING (bug in `LoaderSession.flashData`'s retry after `.noResponse`; see the
    /// report): a FLASH_DATA whose closing 0xC0 is lost is only completed by the leading 0xC0
    /// of its resend, so the ROM answers it twice (the original, then the resend). The session
    /// consumes one reply and takes the second as the reply to the next block; from then on
    /// every block is paired with its predecessor's reply. A block refused after that is never
    /// resent (its successor is) and the write reports success with that block blank.
    /// Takes the session's 3 s reply timeout once.
    @Test("after a block times out and is resent, a later refused block is itself resent and the flash is right")
    func lateReplyAfterTimeoutIsNotTakenForTheNextBlock() throws {
        let twin = try Support.prefilledTwin()
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        try session.connect(reset: .none)
        let part = FlashPart(name: "p.bin", offset: 0x20000, bytes: (0..<0x2000).map { UInt8($0 % 200) })
        let plan = try FlashPlan(parts: [part], flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)

        // Lose the closing 0xC0 of the block at 0x20800; flip a data byte of the block at
        // 0x21000 (received indices count the resent 0x20800 frame once more).
        let frames = Support.wireFrames(of: plan)
        let lostIndex = try #require(frames.firstIndex { $0.blockOffset == 0x20800 })
        let lostFrameEnd = frames[...lostIndex].reduce(0) { $0 + $1.bytes.count } - 1
        let resent = frames[lostIndex].bytes.count
        let flip = try #require(Support.faultIndex(in: plan, blockOffset: 0x21000, from: 100)) + resent
        twin.arm(.dropByte(at: lostFrameEnd))
        twin.arm(.flipByte(at: flip))

        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }
        #expect(twin.events.contains(.faultFired(.dropByte(at: lostFrameEnd))))
        #expect(twin.events.contains(.faultFired(.flipByte(at: flip))))
        let retried = retries(in: events)
        #expect(retried.map(\.offset) == [0x20800, 0x21000], "retried blocks: \(retried.map { hex($0.offset) })")
        #expect(retried.last?.reason.contains("checksum") == true)
        let expected = Support.expectedFlash(parts: [part], plan: plan, over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }

    @Test("a sector that refuses programming fails its part after three tries, naming the block")
    func failingSectorFailsThePartAfterRetries() throws {
        let (twin, _, session) = try connectedBoard()
        defer { twin.stop() }
        twin.setFailingSectors([0x12])
        let plan = try Support.meterLoggerPlan()
        var events: [FlashEvent] = []
        let error = #expect(throws: FlasherError.partFailed(
            part: "0x10000.bin", offset: 0x12000, cause: .commandFailed(command: .flashData, code: ROMErrorCode.flashWriteError.rawValue))) {
            try session.write(plan) { events.append($0) }
        }
        #expect(error?.description.contains("flash write error") == true)
        let retried = retries(in: events)
        #expect(retried.count == LoaderSession.blockAttempts - 1)
        #expect(retried.allSatisfy { $0.part == "0x10000.bin" && $0.offset == 0x12000 })
    }

    @Test("an ESP32 answering the chip-detect read is refused as not an ESP8266, and nothing is written")
    func wrongChipIsRefused() throws {
        let twin = try Support.prefilledTwin(TwinConfiguration(chipDetectValue: 0x00F0_1D83))
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        try session.connect(reset: .none)
        let error = #expect(throws: FlasherError.wrongChip(detectValue: 0x00F0_1D83)) { try session.readChipInfo() }
        #expect(error?.description.contains("not an ESP8266") == true)
        #expect(error?.description.contains("0x00f01d83") == true)
        let counters = twin.counters
        #expect(counters.count(.flashBegin) == 0 && counters.count(.flashData) == 0)
        #expect(counters.sectorsErased == 0 && counters.bytesProgrammed == 0)
        #expect(twin.flash.contents == Support.pattern)
    }

    @Test("a part whose erase would reach the saved configuration is refused before anything is sent")
    func protectedRegionRefusedBeforeSending() throws {
        let twin = try Support.prefilledTwin()
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        let part = FlashPart(name: "big.bin", offset: 0x70000, bytes: [UInt8](repeating: 0x5A, count: 0x10000))
        #expect(throws: FlasherError.invalidPlan(.touchesProtected(
            part: "big.bin", region: ProtectedRegion.meterLoggerConfiguration.name, range: 0x76000..<0x79000))) {
            let plan = try FlashPlan(parts: [part], flashSize: .size1MB, parameters: .meterLogger, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
            try session.write(plan)
        }
        #expect(twin.counters.commands.isEmpty)
        #expect(twin.counters.bytesReceived == 0)
        // The link works: the first thing the twin hears is the next connect.
        try session.connect(reset: .none)
        #expect(twin.counters.commands.keys.allSatisfy { $0 == .sync })
        #expect(twin.flash.contents == Support.pattern)
    }

    @Test("a 64 KiB part at 0x60000 leaves the saved configuration at 0x76000-0x78FFF byte for byte")
    func eraseBugCompensatedEndToEnd() throws {
        var random = SplitMix64(seed: 0x6000)
        let bytes = (0..<0x10000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let part = FlashPart(name: "web64k.espfs", offset: 0x60000, bytes: bytes)
        let plan = try FlashPlan(parts: [part], flashSize: .size1MB, parameters: .meterLogger, protectedRegions: FlashLayout.meterLoggerProtectedRegions)

        let twin = try Support.prefilledTwin()
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        try session.connect(reset: .none)
        try session.write(plan)
        let flash = twin.flash.contents
        #expect(byteDifference(flash[0x60000..<0x70000], bytes, base: 0x60000) == nil)
        #expect(Array(flash[0x76000..<0x79000]) == Array(Support.pattern[0x76000..<0x79000]))
        #expect(Array(flash[0x70000..<0x100000]) == Array(Support.pattern[0x70000..<0x100000]))
        #expect(Array(flash[0..<0x60000]) == Array(Support.pattern[0..<0x60000]))

        // Control: the unadjusted erase size, sent raw, does wipe the configuration.
        let control = try Support.prefilledTwin()
        defer { control.stop() }
        let raw = LoaderSession(link: control.connectInProcess())
        try raw.connect(reset: .none)
        try raw.flashBegin(eraseSize: 0x10000, packetCount: 0, offset: 0x60000)
        let wiped = control.flash.contents
        #expect(wiped[0x76000..<0x79000].allSatisfy { $0 == 0xFF })
        #expect(wiped[0x60000..<0x80000].allSatisfy { $0 == 0xFF })
        #expect(Array(wiped[0x80000...]) == Array(Support.pattern[0x80000...]))
    }
}
