import DeviceSim
import ESPFlasher
import ESPImage
import Testing
import TestSupport

/// The flasher stub as pure logic: requests in, frames and flash changes out.
struct StubLoaderEngineTests {
    static let baud = 115_200

    /// A stub as the ROM starts it after a SYNC at 115200.
    static func startedStub(_ configuration: TwinConfiguration = TwinConfiguration()) -> StubLoaderEngine {
        var rom = ROMLoaderEngine(configuration: configuration)
        var scratch = FlashMemory(size: 4096)
        _ = rom.handle(packet: Request.sync().encoded(), lineBaud: baud, flash: &scratch)
        return StubLoaderEngine(startedBy: rom)
    }

    /// 1 MiB of a pattern that no erase or write leaves in place by accident.
    static func patternFlash() throws -> FlashMemory {
        try FlashMemory(size: 1 << 20, image: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: ($0 >> 4) &* 31 &+ $0) })
    }

    /// Varied, compressible bytes.
    static func payload(_ count: Int, seed: Int = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 / 7) &* seed &+ $0 % 5) }
    }

    static func send(_ stub: inout StubLoaderEngine, _ request: Request, flash: inout FlashMemory, baud: Int = baud) -> StubLoaderEngine.Outcome {
        stub.handle(packet: request.encoded(), lineBaud: baud, flash: &flash)
    }

    static func data(_ opcode: Opcode, _ bytes: [UInt8], sequence: UInt32, checksum: UInt32? = nil) -> Request {
        var payload: [UInt8] = []
        for word in [UInt32(bytes.count), sequence, 0, 0] { payload.appendLE32(word) }
        return Request(opcode, payload: payload + bytes, checksum: checksum ?? loaderChecksum(bytes))
    }

    static func words(_ values: UInt32...) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values { bytes.appendLE32(value) }
        return bytes
    }

    @Test func syncIsAnsweredEightTimesWithValueZero() {
        var stub = Self.startedStub()
        var flash = FlashMemory(size: 1 << 20)
        let outcome = Self.send(&stub, .sync(), flash: &flash)
        #expect(outcome.replies.count == 8)
        #expect(outcome.replies.allSatisfy { $0.value == 0 && !$0.status.failed })
        #expect(StubLoaderEngine.greeting == Array("OHAI".utf8))
    }

    @Test func badChecksumIsRefusedWithC1AndWritesNothing() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        #expect(Self.send(&stub, .flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x4000, offset: 0x10000), flash: &flash).error == nil)
        let block = Self.payload(0x1000)
        let outcome = Self.send(&stub, Self.data(.flashData, block, sequence: 0, checksum: loaderChecksum(block) ^ 0x01), flash: &flash)
        #expect(outcome.error == .badDataChecksum)
        #expect(outcome.replies.first?.status.failed == true)
        #expect(outcome.work.programmedBytes == 0)
        #expect(byteDifference(flash.contents, before.contents) == nil)
        // The same block with the right checksum goes through (a client's retry).
        #expect(Self.send(&stub, Self.data(.flashData, block, sequence: 0), flash: &flash).error == nil)
        #expect(byteDifference(flash.read(0x10000..<0x11000), block, base: 0x10000) == nil)
    }

    @Test func blockOutOfSequenceIsRefusedAndWritesNothing() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        _ = Self.send(&stub, .flashBegin(eraseSize: 0x2000, packetCount: 2, packetSize: 0x1000, offset: 0x20000), flash: &flash)
        let outcome = Self.send(&stub, Self.data(.flashData, Self.payload(0x1000), sequence: 1), flash: &flash)
        #expect(outcome.error == .invalidCommand)
        #expect(byteDifference(flash.contents, before.contents) == nil)
    }

    @Test func blocksBeyondTheAnnouncedSizeAreTooMuchData() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        _ = Self.send(&stub, .flashBegin(eraseSize: 0x1000, packetCount: 2, packetSize: 0x1000, offset: 0x30000), flash: &flash)
        #expect(Self.send(&stub, Self.data(.flashData, Self.payload(0x1000), sequence: 0), flash: &flash).error == nil)
        let before = flash
        #expect(Self.send(&stub, Self.data(.flashData, Self.payload(0x1000, seed: 3), sequence: 1), flash: &flash).error == .tooMuchData)
        #expect(byteDifference(flash.contents, before.contents) == nil)
    }

    @Test func aStreamInflatingBeyondTheAnnouncedSizeIsTooMuchDataAndStopsAtTheEnd() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        let stream = ZlibStream.compress(Self.payload(0x2000), windowBits: 15)
        // Announced: 0x1000 bytes at 0x40000; the stream holds 0x2000.
        _ = Self.send(&stub, .flashDeflBegin(uncompressedSize: 0x1000, packetCount: 1, packetSize: 0x4000, offset: 0x40000), flash: &flash)
        #expect(Self.send(&stub, Self.data(.flashDeflData, stream, sequence: 0), flash: &flash).error == nil)
        #expect(Self.send(&stub, .flashDeflEnd(.runUserCode), flash: &flash).error == .tooMuchData)
        #expect(byteDifference(flash.read(0x40000..<0x41000), Self.payload(0x1000), base: 0x40000) == nil)
        #expect(byteDifference(flash.read(0x41000..<(1 << 20)), before.read(0x41000..<(1 << 20)), base: 0x41000) == nil)
        #expect(byteDifference(flash.read(0..<0x40000), before.read(0..<0x40000)) == nil)
    }

    @Test func endBeforeTheWholeStreamIsNotEnoughData() throws {
        var stub = Self.startedStub()
        var flash = FlashMemory(size: 1 << 20)
        let stream = ZlibStream.compress((0..<0x4000).map { _ in UInt8.random(in: 0...255) }, windowBits: 15)
        let half = stream.count / 2
        _ = Self.send(&stub, .flashDeflBegin(uncompressedSize: 0x4000, packetCount: 2, packetSize: UInt32(half + 1), offset: 0), flash: &flash)
        #expect(Self.send(&stub, Self.data(.flashDeflData, Array(stream[0..<half]), sequence: 0), flash: &flash).error == nil)
        #expect(Self.send(&stub, .flashDeflEnd(.runUserCode), flash: &flash).error == .notEnoughData)
    }

    @Test func eraseRegionThatIsNotSectorAlignedIsRefused() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        #expect(Self.send(&stub, .eraseRegion(offset: 0x10800, size: 0x1000), flash: &flash).error == .badDataLength)
        #expect(Self.send(&stub, .eraseRegion(offset: 0x10000, size: 0x800), flash: &flash).error == .badDataLength)
        #expect(byteDifference(flash.contents, before.contents) == nil)
        let outcome = Self.send(&stub, .eraseRegion(offset: 0x10000, size: 0x2000), flash: &flash)
        #expect(outcome.error == nil)
        #expect(outcome.work.erase == ErasePlan(sectorErases: 2, blockErases: 0))
        #expect(flash.read(0x10000..<0x12000).allSatisfy { $0 == 0xFF })
        #expect(byteDifference(flash.read(0x12000..<(1 << 20)), before.read(0x12000..<(1 << 20)), base: 0x12000) == nil)
    }

    @Test func corruptStreamIsAnInflateErrorAndLeavesFlashOutsideTheRegionAlone() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        var stream = ZlibStream.compress(Self.payload(0x3000), windowBits: 15)
        for i in 2..<min(stream.count, 40) { stream[i] ^= 0xA5 }  // damage the deflate data, keep the zlib header
        _ = Self.send(&stub, .flashDeflBegin(uncompressedSize: 0x3000, packetCount: 1, packetSize: 0x4000, offset: 0x50000), flash: &flash)
        // Checked (checksum) and acknowledged; the inflate error surfaces at the next command of the transfer.
        #expect(Self.send(&stub, Self.data(.flashDeflData, stream, sequence: 0), flash: &flash).error == nil)
        #expect(Self.send(&stub, .flashDeflEnd(.runUserCode), flash: &flash).error == .inflateError)
        #expect(byteDifference(flash.read(0..<0x50000), before.read(0..<0x50000)) == nil)
        #expect(byteDifference(flash.read(0x53000..<(1 << 20)), before.read(0x53000..<(1 << 20)), base: 0x53000) == nil)
    }

    @Test func zlibWindowLargerThanTheStubAcceptsIsAnInflateError() throws {
        var rom = ROMLoaderEngine(configuration: TwinConfiguration())
        var flash = FlashMemory(size: 1 << 20)
        _ = rom.handle(packet: Request.sync().encoded(), lineBaud: Self.baud, flash: &flash)
        var stub = StubLoaderEngine(startedBy: rom, limits: .init(maxBlockSize: 0x4000, maxWindowBits: 12))
        let stream = ZlibStream.compress(Self.payload(0x2000), windowBits: 15)
        _ = Self.send(&stub, .flashDeflBegin(uncompressedSize: 0x2000, packetCount: 1, packetSize: 0x4000, offset: 0), flash: &flash)
        _ = Self.send(&stub, Self.data(.flashDeflData, stream, sequence: 0), flash: &flash)
        #expect(Self.send(&stub, .flashDeflEnd(.runUserCode), flash: &flash).error == .inflateError)
        #expect(flash.read(0..<0x2000).allSatisfy { $0 == 0xFF })
    }

    @Test func blockLargerThanTheLimitIsBadBlockSize() {
        var stub = Self.startedStub()
        var flash = FlashMemory(size: 1 << 20)
        #expect(Self.send(&stub, .flashDeflBegin(uncompressedSize: 0x8000, packetCount: 1, packetSize: 0x8000, offset: 0), flash: &flash).error == .badBlockSize)
    }

    @Test func writing64KiBAt0x60000LeavesMeterLoggersConfigurationByteIdentical() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        let image = Self.payload(0x10000, seed: 11)
        let stream = ZlibStream.compress(image, windowBits: 15)
        let blockSize = 0x4000
        let blocks = (stream.count + blockSize - 1) / blockSize
        _ = Self.send(&stub, .flashDeflBegin(uncompressedSize: 0x10000, packetCount: UInt32(blocks), packetSize: UInt32(blockSize), offset: 0x60000), flash: &flash)
        var erase = ErasePlan()
        for sequence in 0..<blocks {
            let chunk = Array(stream[(sequence * blockSize)..<min(stream.count, (sequence + 1) * blockSize)])
            let outcome = Self.send(&stub, Self.data(.flashDeflData, chunk, sequence: UInt32(sequence)), flash: &flash)
            #expect(outcome.error == nil)
            #expect(outcome.workAfterReply)
            erase.sectorErases += outcome.work.erase.sectorErases
            erase.blockErases += outcome.work.erase.blockErases
        }
        #expect(Self.send(&stub, .flashDeflEnd(.runUserCode), flash: &flash).error == nil)
        #expect(erase == ErasePlan(sectorErases: 0, blockErases: 1))
        #expect(byteDifference(flash.read(0x60000..<0x70000), image, base: 0x60000) == nil)
        #expect(byteDifference(flash.read(0x70000..<(1 << 20)), before.read(0x70000..<(1 << 20)), base: 0x70000) == nil)
        #expect(byteDifference(flash.read(0x76000..<0x79000), before.read(0x76000..<0x79000), base: 0x76000) == nil)
    }

    @Test func uncompressedLastBlockPaddingIsNotWritten() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        let image = Self.payload(0x1800)
        _ = Self.send(&stub, .flashBegin(eraseSize: 0x1800, packetCount: 1, packetSize: 0x4000, offset: 0x70000), flash: &flash)
        let padded = image + [UInt8](repeating: 0xFF, count: 0x4000 - image.count)
        let outcome = Self.send(&stub, Self.data(.flashData, padded, sequence: 0), flash: &flash)
        #expect(outcome.error == nil)
        #expect(outcome.work.programmedBytes == 0x1800)
        #expect(outcome.work.erase == ErasePlan(sectorErases: 2, blockErases: 0))
        #expect(Self.send(&stub, .flashEnd(.runUserCode), flash: &flash).error == nil)
        #expect(byteDifference(flash.read(0x70000..<0x71800), image, base: 0x70000) == nil)
        #expect(flash.read(0x71800..<0x72000).allSatisfy { $0 == 0xFF })  // the rest of the second sector: erased
        #expect(byteDifference(flash.read(0x72000..<(1 << 20)), before.read(0x72000..<(1 << 20)), base: 0x72000) == nil)
    }

    @Test func failingSectorIsReportedByTheNextCommandOfTheTransfer() {
        var stub = Self.startedStub(TwinConfiguration(faults: FaultPlan(failingSectors: [0x11])))
        var flash = FlashMemory(size: 1 << 20)
        _ = Self.send(&stub, .flashBegin(eraseSize: 0x2000, packetCount: 2, packetSize: 0x1000, offset: 0x10000), flash: &flash)
        #expect(Self.send(&stub, Self.data(.flashData, Self.payload(0x1000), sequence: 0), flash: &flash).error == nil)
        #expect(Self.send(&stub, Self.data(.flashData, Self.payload(0x1000), sequence: 1), flash: &flash).error == nil)
        #expect(Self.send(&stub, .flashEnd(.runUserCode), flash: &flash).error == .failedSPIOperation)
        #expect(flash.read(0x11000..<0x12000).allSatisfy { $0 == 0xFF })
    }

    @Test func md5ReplyCarriesTheRawDigest() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let outcome = Self.send(&stub, .spiFlashMD5(address: 0x1234, size: 0x5678), flash: &flash)
        #expect(outcome.error == nil)
        #expect(outcome.replies.first?.body == md5Digest(flash.read(0x1234..<(0x1234 + 0x5678))))
    }

    @Test func readFlashStreamsPacketsAgainstAcknowledgementsThenTheDigest() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let range = 0x3000..<(0x3000 + 0x2800)
        let first = Self.send(&stub, .readFlash(offset: 0x3000, length: 0x2800, packetSize: 0x1000, maxUnacked: 2), flash: &flash)
        #expect(first.replies.count == 1 && first.error == nil)
        #expect(first.dataFrames.count == 2)  // at most 2 unacknowledged
        var received = first.dataFrames.flatMap { $0 }
        #expect(stub.isStreamingRead)
        let second = stub.handle(packet: Self.words(0x1000), lineBaud: Self.baud, flash: &flash)
        #expect(second.dataFrames.map(\.count) == [0x800])  // the last, shorter packet
        received += second.dataFrames.flatMap { $0 }
        #expect(stub.handle(packet: Self.words(0x2000), lineBaud: Self.baud, flash: &flash).dataFrames.isEmpty)
        let last = stub.handle(packet: Self.words(0x2800), lineBaud: Self.baud, flash: &flash)
        #expect(last.dataFrames == [md5Digest(flash.read(range))])
        #expect(!stub.isStreamingRead)
        #expect(byteDifference(received, flash.read(range), base: range.lowerBound) == nil)
    }

    @Test func changeBaudRateAnswersAtTheOldRateThenListensAtTheNew() {
        var stub = Self.startedStub()
        var flash = FlashMemory(size: 1 << 20)
        let outcome = Self.send(&stub, .changeBaudRate(to: 460_800, from: 115_200), flash: &flash)
        #expect(outcome.error == nil && outcome.replyBaud == 115_200)
        #expect(stub.uartBaud == 460_800)
        #expect(Self.send(&stub, .readReg(ESP8266.chipDetectRegister), flash: &flash).ignored == .lineNoise(lineBaud: 115_200))
        let reply = Self.send(&stub, .readReg(ESP8266.chipDetectRegister), flash: &flash, baud: 460_800)
        #expect(reply.replies.first?.value == ESP8266.chipDetectValue)
    }

    @Test func flashEndZeroRebootsAndRunUserCodeBootsWithoutAReply() {
        var stub = Self.startedStub()
        var flash = FlashMemory(size: 1 << 20)
        _ = Self.send(&stub, .flashBegin(eraseSize: 0, packetCount: 0, packetSize: 0x4000, offset: 0), flash: &flash)
        let stay = Self.send(&stub, .flashEnd(.runUserCode), flash: &flash)
        #expect(stay.error == nil && stay.followUp == .stay)
        _ = Self.send(&stub, .flashBegin(eraseSize: 0, packetCount: 0, packetSize: 0x4000, offset: 0), flash: &flash)
        #expect(Self.send(&stub, .flashEnd(.reboot), flash: &flash).followUp == .reboot)
        var other = Self.startedStub()
        let run = Self.send(&other, .runUserCode(), flash: &flash)
        #expect(run.followUp == .runUserCode && run.frames.isEmpty)
    }

    @Test func unknownCommandIsNotImplemented() {
        var stub = Self.startedStub()
        var flash = FlashMemory(size: 1 << 20)
        #expect(Self.send(&stub, Request(Opcode(rawValue: 0x55)), flash: &flash).error == .commandNotImplemented)
    }

    /// SPI_SET_PARAMS with `total` as the flash size (esptool's other fields).
    static func spiSetParams(total: UInt32) -> Request {
        Request(.spiSetParams, payload: words(0, total, 0x1_0000, 0x1000, 0x100, 0xFFFF))
    }

    @Test func rangesBeyondTheStatedFlashSizeAreBadDataLengthAndTouchNothing() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let before = flash
        // 16 MiB until SPI_SET_PARAMS; the twin's chip holds 1 MiB.
        #expect(stub.flashSizeLimit == 16 << 20)
        #expect(Self.send(&stub, .flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x1000, offset: 0x100_0000), flash: &flash).error == .badDataLength)
        #expect(Self.send(&stub, .flashDeflBegin(uncompressedSize: 0x2000, packetCount: 1, packetSize: 0x1000, offset: 0xFFFF_F000), flash: &flash).error == .badDataLength, "no 32-bit wrap")
        #expect(Self.send(&stub, .flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x1000, offset: 0xFF_F000), flash: &flash).error == .failedSPIOperation, "inside 16 MiB, beyond the chip")
        #expect(Self.send(&stub, .flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x1000, offset: 0x1_0800), flash: &flash).error == .badDataLength, "offsets are sector-aligned")

        #expect(Self.send(&stub, Self.spiSetParams(total: 0x8_0000), flash: &flash).error == nil)
        #expect(stub.flashSizeLimit == 0x8_0000)
        #expect(Self.send(&stub, .flashBegin(eraseSize: 1, packetCount: 1, packetSize: 0x1000, offset: 0x8_0000), flash: &flash).error == .badDataLength)
        #expect(Self.send(&stub, .eraseRegion(offset: 0x7_0000, size: 0x2_0000), flash: &flash).error == .badDataLength)
        #expect(Self.send(&stub, .spiFlashMD5(address: 0x7_F000, size: 0x1001), flash: &flash).error == .badDataLength)
        let read = Self.send(&stub, .readFlash(offset: 0x7_FFFF, length: 2, packetSize: 0x1000, maxUnacked: 1), flash: &flash)
        #expect(read.error == .badDataLength && read.dataFrames.isEmpty && !stub.isStreamingRead)
        let last = Self.send(&stub, .spiFlashMD5(address: 0x7_FFFF, size: 1), flash: &flash)
        #expect(last.error == nil && last.replies.first?.body == md5Digest(flash.read(0x7_FFFF..<0x8_0000)))
        #expect(byteDifference(flash.contents, before.contents) == nil)
    }

    @Test func plainBlockOffAWordIsBadDataLengthUnlessItIsTheLast() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let image = Self.payload(0xFFE, seed: 5)
        _ = Self.send(&stub, .flashBegin(eraseSize: UInt32(image.count), packetCount: 4, packetSize: 0x400, offset: 0x2_0000), flash: &flash)
        let short = Self.send(&stub, Self.data(.flashData, Array(image[..<0x3FE]), sequence: 0), flash: &flash)
        #expect(short.error == .badDataLength && short.work.programmedBytes == 0)
        for (sequence, start) in stride(from: 0, to: image.count, by: 0x400).enumerated() {
            let block = Array(image[start..<min(start + 0x400, image.count)])
            #expect(Self.send(&stub, Self.data(.flashData, block, sequence: UInt32(sequence)), flash: &flash).error == nil)
        }
        #expect(Self.send(&stub, .flashEnd(.runUserCode), flash: &flash).error == nil)
        #expect(byteDifference(flash.read(0x2_0000..<(0x2_0000 + image.count)), image, base: 0x2_0000) == nil)
    }

    @Test func readFlashEndsWithTheDigestAtAFrameThatIsNoAcknowledgementAndServesIt() throws {
        var stub = Self.startedStub()
        var flash = try Self.patternFlash()
        let first = Self.send(&stub, .readFlash(offset: 0x100, length: 5000, packetSize: 1000, maxUnacked: 1), flash: &flash)
        #expect(first.dataFrames == [flash.read(0x100..<0x4E8)])
        let sync = Self.send(&stub, .sync(), flash: &flash)
        #expect(sync.dataFrames == [md5Digest(flash.read(0x100..<0x4E8))], "the digest of what was sent")
        #expect(sync.replies.count == 8 && sync.replies.allSatisfy { $0.opcode == .sync && !$0.status.failed })
        if case .data = sync.frames.first {} else { Issue.record("the digest comes first: \(sync.frames)") }
        #expect(!stub.isStreamingRead)
        #expect(Self.send(&stub, .readReg(ESP8266.chipDetectRegister), flash: &flash).replies.first?.value == ESP8266.chipDetectValue)
    }

    @Test func framesThatAreNoRequestAreDroppedUnanswered() {
        var stub = Self.startedStub()
        var flash = FlashMemory(size: 1 << 20)
        // A late READ_FLASH acknowledgement, and a reply-direction frame.
        #expect(stub.handle(packet: Self.words(0x1000), lineBaud: Self.baud, flash: &flash).frames.isEmpty)
        #expect(stub.handle(packet: [0x01, 0x0A, 0, 0, 0, 0, 0, 0], lineBaud: Self.baud, flash: &flash).frames.isEmpty)
        // A request whose length field disagrees with the frame is answered BAD_DATA_LEN.
        var packet = Request.readReg(ESP8266.chipDetectRegister).encoded()
        packet[2] = 8
        #expect(stub.handle(packet: packet, lineBaud: Self.baud, flash: &flash).error == .badDataLength)
    }

    @Test func theAckOfABlockWaitsForThePreviousBlocksFlashWork() {
        let t0 = ContinuousClock.now
        var schedule = StubWorkSchedule()
        let work = Duration.milliseconds(50)
        // Block 0 complete at t0: acknowledged at once, flash busy until t0+50ms.
        #expect(schedule.replyReady(complete: t0, flashTime: work, workAfterReply: true) == t0)
        // Block 1 complete at t0+10ms: its ack waits for block 0's work.
        #expect(schedule.replyReady(complete: t0 + .milliseconds(10), flashTime: work, workAfterReply: true) == t0 + .milliseconds(50))
        // END (no flash work of its own) waits for block 1's work.
        #expect(schedule.replyReady(complete: t0 + .milliseconds(20), flashTime: .zero, workAfterReply: false) == t0 + .milliseconds(100))
        // An erase runs before its reply.
        #expect(schedule.replyReady(complete: t0 + .milliseconds(200), flashTime: .milliseconds(45), workAfterReply: false) == t0 + .milliseconds(245))
    }
}
