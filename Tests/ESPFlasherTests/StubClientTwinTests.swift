import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import SerialLink
import Synchronization
import Testing
import TestSupport

/// mlprov's stub client (`startStub`, compressed `write`) against the twin's stub mode, in
/// process with the reset circuit: what lands in flash, what is verified, what is retried.
struct StubClientTwinTests {
    typealias Support = TwinSessionSupport

    /// A board with the prefill in flash, in the loader, with mlprov's stub started.
    func boardRunningTheStub(_ configuration: TwinConfiguration = TwinConfiguration(initialBootMode: .flash)) throws -> (ESP8266Twin, LoaderSession) {
        let twin = try Support.prefilledTwin(configuration)
        let session = LoaderSession(link: twin.connectInProcess())
        try session.connect(reset: .classic)
        _ = try session.readChipInfo()
        try session.startStub(.mlprov)
        return (twin, session)
    }

    /// The flash after writing `parts` through a stub over `initial`: exactly the parts'
    /// sectors erased (no ROM over-erase), the files at their offsets, the image at 0 with
    /// its header set to DOUT, 1MB, 40 MHz.
    func expectedAfterStub(_ parts: [FlashPart], over initial: [UInt8]) -> [UInt8] {
        var expected = initial
        let sector = ESP8266.flashSectorSize
        for part in parts {
            let end = (part.range.upperBound + sector - 1) / sector * sector
            expected.replaceSubrange(part.offset..<end, with: repeatElement(0xFF, count: end - part.offset))
            var bytes = part.bytes
            if part.offset == 0 { bytes[2] = 0x03; bytes[3] = 0x20 }
            expected.replaceSubrange(part.range, with: bytes)
        }
        return expected
    }

    @Test("the stub starts: uploaded to RAM, started at its entry, greeted; the ROM's SYNC value no longer answers")
    func stubStarts() throws {
        let (twin, session) = try boardRunningTheStub()
        defer { twin.stop() }
        #expect(session.runningStub == .mlprov)
        #expect(twin.events.contains(.stubStarted(entry: FlasherStub.mlprov.entry)))
        #expect(twin.chipState == .runningRAM(entry: FlasherStub.mlprov.entry))
        let uploaded = twin.ram.segments.map { FlasherStub.Segment(address: $0.address, bytes: $0.bytes) }
        #expect(uploaded == FlasherStub.mlprov.segments)
    }

    @Test("the MeterLogger set goes compressed, each part verified by MD5; the flash holds the files and exactly their sectors were erased")
    func writesTheSetCompressed() throws {
        let (twin, session) = try boardRunningTheStub()
        defer { twin.stop() }
        let plan = try Support.meterLoggerPlan()
        let before = twin.counters
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }

        let after = twin.counters
        #expect(after.count(.flashData) == before.count(.flashData), "no uncompressed FLASH_DATA")
        #expect(after.count(.flashDeflBegin) - before.count(.flashDeflBegin) == 5)
        // One per part, and the saved configuration's before and after.
        #expect(after.count(.spiFlashMD5) - before.count(.spiFlashMD5) == 5 + 2 * plan.protectedRegions.count)
        #expect(plan.protectedRegions == [.meterLoggerConfiguration])
        #expect(after.failedCommands == before.failedCommands)
        let sent = after.bytesReceived - before.bytesReceived
        #expect(sent < plan.totalBytes, "compressed: \(sent) bytes on the wire for \(plan.totalBytes)")
        let expected = expectedAfterStub(Support.meterLoggerParts(), over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
        let configuration = 0x76000..<0x79000
        #expect(byteDifference(Array(twin.flash.contents[configuration]), Array(Support.pattern[configuration])) == nil)
        let written = events.compactMap { if case .partWritten(let part, _, _, _) = $0 { part } else { nil } }
        #expect(written == plan.operations.map(\.part.name))
    }

    @Test("a flipped byte in a compressed block is refused by the stub and the part is written again from its start")
    func flippedByteRewritesThePart() throws {
        let (twin, session) = try boardRunningTheStub()
        defer { twin.stop() }
        let plan = try Support.meterLoggerPlan()
        // Counted from now: past FLASH_DEFL_BEGIN, inside the first block of 0x00000.bin.
        twin.arm(.flipByte(at: 5_000))
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }

        let retries = events.compactMap { if case .retrying(let part, _, let reason) = $0 { (part, reason) } else { nil } }
        #expect(retries.count == 1)
        #expect(retries.first?.0 == "0x00000.bin")
        let expected = expectedAfterStub(Support.meterLoggerParts(), over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }

    @Test("a sector that will not program fails the part after its attempts, naming the part and the stub's error")
    func failingSectorFailsThePart() throws {
        let (twin, session) = try boardRunningTheStub()
        defer { twin.stop() }
        twin.setFailingSectors([0x20])  // 0x20000, inside 0x10000.bin
        let plan = try Support.meterLoggerPlan()
        var events: [FlashEvent] = []
        #expect {
            try session.write(plan) { events.append($0) }
        } throws: { error in
            guard case .partFailed(let part, let offset, let cause) = error as? FlasherError else { return false }
            return part == "0x10000.bin" && offset == 0x10000 && cause.description.contains("failed SPI operation")
        }
        let retries = events.filter { if case .retrying("0x10000.bin", _, _) = $0 { true } else { false } }
        #expect(retries.count == LoaderSession.blockAttempts - 1)
        // The part before it was written and verified; the configuration sector is untouched.
        #expect(Array(twin.flash.contents[0..<4]) == [0xE9, Support.meterLoggerParts()[0].bytes[1], 0x03, 0x20])
        #expect(byteDifference(Array(twin.flash.contents[0x76000..<0x79000]), Array(Support.pattern[0x76000..<0x79000])) == nil)
    }

    @Test("leaving with run: the stub's RUN_USER_CODE boots the new firmware and what the ROM prints is captured at 74880")
    func runUserCodeBoots() throws {
        let (twin, session) = try boardRunningTheStub()
        defer { twin.stop() }
        try session.write(try Support.meterLoggerPlan())
        let (action, log) = try session.finishCapturingBootLog(.run)
        #expect(action == .run)
        #expect(session.runningStub == nil)
        #expect(Support.waitUntil { twin.chipState == .runningApp })
        // No reset banner: RUN_USER_CODE goes on with the boot, which loads the image.
        #expect(log.contains("load 0x40100000"), "boot log: \(log)")
    }

    @Test("the flash geometry goes to the stub first (SPI_SET_PARAMS), and every part is ended (FLASH_DEFL_END, stay) before its MD5")
    func geometryAndEnds() throws {
        let (twin, session) = try boardRunningTheStub()
        defer { twin.stop() }
        try session.write(try Support.meterLoggerPlan())
        #expect(twin.counters.count(.spiSetParams) == 1)
        #expect(twin.counters.count(.flashDeflEnd) == 5)
        #expect(session.runningStub != nil, "FLASH_DEFL_END(1) keeps the stub running")
        #expect(!twin.events.contains { if case .stubRequest(_, .some) = $0 { true } else { false } }, "no stub request failed")
    }

    @Test("a write that changes the saved configuration (0x76000-0x78FFF) behind the plan's back is caught by the region's MD5")
    func protectedRegionIsChecked() throws {
        let (twin, session) = try boardRunningTheStub()
        defer { twin.stop() }
        let tampered = Mutex(false)
        twin.onEvent = { [twin] event in
            guard case .stubRequest(.flashDeflData, error: nil) = event, !tampered.withLock({ $0 }) else { return }
            tampered.withLock { $0 = true }
            _ = try? twin.withFlash { (flash: inout FlashMemory) throws(FlashMemoryError) in try flash.erase(0x77000..<0x78000) }
        }
        #expect {
            try session.write(try Support.meterLoggerPlan())
        } throws: { error in
            guard case .protectedRegionChanged(let region, let range) = error as? FlasherError else { return false }
            return region == ProtectedRegion.meterLoggerConfiguration.name && range == 0x76000..<0x79000
        }
    }

    @Test("a stub left running from an earlier session answers SYNC with 0 and is used as it is, not uploaded over")
    func stubLeftRunningIsAdopted() throws {
        let (twin, first) = try boardRunningTheStub()
        defer { twin.stop() }
        let uploads = twin.counters.count(.memBegin)
        let later = LoaderSession(link: first.link)
        try later.connect(reset: .none)
        #expect(later.syncAnsweredByStub)
        try later.write(try Support.meterLoggerPlan())
        #expect(twin.counters.count(.memBegin) == uploads, "no second upload")
        #expect(twin.counters.count(.flashData) == 0 && twin.counters.count(.flashDeflData) > 0)
        let expected = expectedAfterStub(Support.meterLoggerParts(), over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }
}
