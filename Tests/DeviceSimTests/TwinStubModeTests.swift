import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import SerialLink
import Testing
import TestSupport

/// The twin after a RAM program was started: it runs it as a flasher stub, on a link.
struct TwinStubModeTests {
    static let stubEntry: UInt32 = 0x4010_E004

    /// SYNC, a one-block RAM program, MEM_END(execute); returns the bytes that followed
    /// the MEM_END request (its reply, then the greeting).
    static func startStub(_ client: TestClient) throws -> [UInt8] {
        _ = try client.sync()
        #expect(try client.command(.memBegin(size: 4, packetCount: 1, packetSize: 0x1800, address: 0x4010_E000))?.status.failed == false)
        #expect(try client.command(.memData([1, 2, 3, 4], sequence: 0))?.status.failed == false)
        try client.send(.memEnd(execute: true, entry: stubEntry))
        let expected = SLIP.encode(Response.rom(.memEnd).encoded()) + SLIP.encode(StubLoaderEngine.greeting)
        return try client.readBytes(count: expected.count)
    }

    static func deflateWrite(_ client: TestClient, _ image: [UInt8], at offset: UInt32, blockSize: Int = 0x4000) throws -> [Response?] {
        let stream = ZlibStream.compress(image, windowBits: 15)
        let blocks = (stream.count + blockSize - 1) / blockSize
        var replies = [try client.command(.flashDeflBegin(uncompressedSize: UInt32(image.count), packetCount: UInt32(blocks), packetSize: UInt32(blockSize), offset: offset))]
        for sequence in 0..<blocks {
            let chunk = Array(stream[(sequence * blockSize)..<min(stream.count, (sequence + 1) * blockSize)])
            replies.append(try client.command(.flashDeflData(chunk, sequence: UInt32(sequence))))
        }
        replies.append(try client.command(.flashDeflEnd(.runUserCode)))
        return replies
    }

    @Test func startedRAMProgramGreetsWithOHAIAndAnswersAsAStub() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        let greeting = try Self.startStub(client)
        #expect(greeting == SLIP.encode(Response.rom(.memEnd).encoded()) + SLIP.encode(Array("OHAI".utf8)))
        #expect(twin.chipState == .runningRAM(entry: Self.stubEntry))
        #expect(twin.events.contains(.stubStarted(entry: Self.stubEntry)))
        #expect(twin.stubBaud == 115_200)
        let md5 = try #require(try client.command(.spiFlashMD5(address: 0, size: 0x1000)))
        #expect(!md5.status.failed)
        #expect(md5.body == md5Digest([UInt8](repeating: 0xFF, count: 0x1000)))
    }

    @Test func deflatedWriteLandsInFlashWithExactErasesAndDatasheetBusyTime() throws {
        let prefill = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ ($0 >> 12)) }
        let twin = try ESP8266Twin(flashContents: prefill)
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try Self.startStub(client)
        twin.resetCounters()
        let image = (0..<0x10000).map { UInt8(truncatingIfNeeded: $0 / 3) }
        let replies = try Self.deflateWrite(client, image, at: 0x60000)
        #expect(replies.allSatisfy { $0?.status.failed == false })
        let flash = twin.flash
        #expect(byteDifference(flash.read(0x60000..<0x70000), image, base: 0x60000) == nil)
        #expect(byteDifference(flash.read(0x70000..<(1 << 20)), prefill[0x70000...], base: 0x70000) == nil)
        let counters = twin.counters
        let timing = TimingModel.off
        #expect(counters.blockErases == 1 && counters.sectorErases == 0)
        #expect(counters.bytesProgrammed == 0x10000)
        #expect(counters.flashBusyTime == timing.blockErase + timing.pageProgram * 256)
        #expect(counters.count(.flashDeflData) == replies.count - 2)
    }

    @Test func flashEndZeroReturnsToTheROM() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try Self.startStub(client)
        #expect(try client.command(.flashBegin(eraseSize: 0, packetCount: 0, packetSize: 0x4000, offset: 0))?.status.failed == false)
        #expect(try client.command(.flashEnd(.reboot))?.status.failed == false)
        let deadline = ContinuousClock.now + .seconds(60)
        while twin.chipState != .download && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(twin.chipState == .download)
        #expect(twin.stubBaud == nil)
        try client.flush()
        let replies = try client.sync()
        #expect(replies.count == 8 && replies.allSatisfy { $0.value == ROMLoaderEngine.syncReplyValue })
    }

    @Test func runUserCodeBootsTheImageInFlash() throws {
        let image = TestImage.build(segments: TestImage.segments)
        let twin = try ESP8266Twin(flashContents: image)
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try Self.startStub(client)
        try client.send(.runUserCode())
        let deadline = ContinuousClock.now + .seconds(60)
        while twin.chipState != .runningApp && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(twin.chipState == .runningApp)
        #expect(twin.lastBoot?.trigger == .runUserCode)
    }

    @Test func flippedByteInADataBlockIsRefusedAndTheRetryWrites() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try Self.startStub(client)
        let block = plainPacket(9, size: 0x1000)
        #expect(try client.command(.flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x4000, offset: 0x20000))?.status.failed == false)
        // Byte 100 of the frame lies in the data (the header is 1 + 8 + 16 bytes).
        twin.arm(.flipByte(at: 100))
        let refused = try #require(try client.command(.flashData(block, sequence: 0)))
        #expect(refused.status.failed)
        #expect(refused == Response.stub(.flashData, error: .badDataChecksum))
        #expect(twin.flash.read(0x20000..<0x21000).allSatisfy { $0 == 0xFF })
        #expect(try client.command(.flashData(block, sequence: 0))?.status.failed == false)
        #expect(try client.command(.flashEnd(.runUserCode))?.status.failed == false)
        #expect(byteDifference(twin.flash.read(0x20000..<0x21000), block, base: 0x20000) == nil)
        #expect(twin.events.contains(.stubRequest(.flashData, error: .badDataChecksum)))
    }

    @Test func pulledCableInStubModeDisconnectsTheHost() throws {
        let twin = ESP8266Twin()
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        _ = try Self.startStub(client)
        twin.arm(.pullCable(at: 10))
        #expect(throws: LinkError.self) {
            try client.send(.flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x4000, offset: 0))
            _ = try client.responses(count: 1, timeout: .seconds(1))
            _ = try client.responses(count: 1, timeout: .seconds(1))
        }
    }

    @Test func failingSectorInStubModeIsReportedAtTheEnd() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try Self.startStub(client)
        twin.setFailingSectors([0x61])
        let replies = try Self.deflateWrite(client, (0..<0x4000).map { UInt8(truncatingIfNeeded: $0) }, at: 0x60000)
        #expect(replies.last == Response.stub(.flashDeflEnd, error: .failedSPIOperation))
        #expect(twin.flash.read(0x61000..<0x62000).allSatisfy { $0 == 0xFF })
    }

    /// The next `count` SLIP frames from the twin, undecoded beyond SLIP (READ_FLASH data
    /// and digests are no replies).
    static func frames(_ client: TestClient, count: Int, timeout: Duration = .seconds(2)) throws -> [[UInt8]] {
        var decoder = SLIPDecoder()
        var packets: [[UInt8]] = []
        let deadline = ContinuousClock.now + timeout
        while packets.count < count {
            let bytes = try client.link.read(maxCount: 1, deadline: deadline)
            if bytes.isEmpty { break }
            for case .packet(let packet) in decoder.feed(bytes) { packets.append(packet) }
        }
        return packets
    }

    @Test func aClientThatGivesUpDuringReadFlashGetsTheDigestThenItsSyncAnswered() throws {
        let prefill = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ ($0 >> 9)) }
        let twin = try ESP8266Twin(flashContents: prefill)
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try Self.startStub(client)
        try client.send(.readFlash(offset: 0x100, length: 5000, packetSize: 1000, maxUnacked: 1))
        let started = try Self.frames(client, count: 2)
        try #require(started.count == 2)
        #expect(Response(decoding: started[0]) == Response.stub(.readFlash))
        #expect(byteDifference(started[1], prefill[0x100..<0x4E8]) == nil)
        try client.send(.sync())
        let ended = try Self.frames(client, count: 9)
        try #require(ended.count == 9, "the digest and eight SYNC replies")
        #expect(ended[0] == md5Digest(started[1]))
        #expect(ended[1...].allSatisfy { Response(decoding: $0) == Response.stub(.sync, value: StubLoaderEngine.syncReplyValue) })
        #expect(try client.readRegister(ESP8266.chipDetectRegister) == ESP8266.chipDetectValue)
    }

    @Test func changedBaudRateMovesTheStubsUART() throws {
        let twin = ESP8266Twin()
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        _ = try Self.startStub(client)
        #expect(try client.command(.changeBaudRate(to: 460_800, from: 115_200))?.status.failed == false)
        #expect(twin.stubBaud == 460_800)
        // Still at the old rate: noise to the stub.
        #expect(try client.command(.readReg(ESP8266.chipDetectRegister), timeout: .milliseconds(300)) == nil)
        try host.setBaudRate(460_800)
        #expect(try client.readRegister(ESP8266.chipDetectRegister) == ESP8266.chipDetectValue)
    }
}
