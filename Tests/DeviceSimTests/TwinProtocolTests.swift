import DeviceSim
import ESPImage
import ESPProtocol
import Foundation
import SerialLink
import Testing

/// The twin over an in-process link, driven with raw requests.
struct TwinProtocolTests {
    @Test func syncGetsEightRepliesWithANonZeroValue() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        let replies = try client.sync()
        #expect(replies.count == 8)
        #expect(replies.allSatisfy { $0.opcode == .sync && $0.value != 0 && !$0.status.failed })
        #expect(twin.lockedBaud == 115_200)
        #expect(twin.counters.count(.sync) == 1)
    }

    @Test func otpAndChipDetectRegistersIdentifyTheConfiguredChip() throws {
        let mac = try #require(MACAddress("18:fe:34:12:34:56"))
        let twin = ESP8266Twin(configuration: TwinConfiguration(mac: mac))
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        #expect(try client.sync().count == 8)
        let detect = try #require(try client.readRegister(ESP8266.chipDetectRegister))
        #expect(detect == ESP8266.chipDetectValue)
        let mac0 = try #require(try client.readRegister(ESP8266.otpMAC0))
        let mac1 = try #require(try client.readRegister(ESP8266.otpMAC1))
        let mac3 = try #require(try client.readRegister(ESP8266.otpMAC3))
        #expect(ESP8266.macAddress(mac0: mac0, mac1: mac1, mac3: mac3) == mac)
        #expect(ESP8266.chipID(mac0: mac0, mac1: mac1) == 0x12_3456)
        #expect(try client.readRegister(0x3FF0_0058) == 0)
    }

    @Test func anotherChipDetectValueMakesTheTwinAnotherChip() throws {
        let twin = ESP8266Twin(configuration: TwinConfiguration(chipDetectValue: 0x00F0_1D83))  // an ESP32's value
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        #expect(try client.readRegister(ESP8266.chipDetectRegister) == 0x00F0_1D83)
    }

    @Test func unknownOpcodeIsAnsweredWithStatusOneErrorFive() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        let reply = try #require(try client.command(Request(.getSecurityInfo)))
        #expect(reply.status.failed)
        #expect(reply.status.code == ROMErrorCode.invalidMessage.rawValue)
        #expect(reply.data.count == 2)
    }

    @Test func unadjustedEraseSizeWipesTheNextBlockAsTheROMDoes() throws {
        let twin = ESP8266Twin()
        let pattern = [UInt8](repeating: 0x5A, count: 0x3000)
        try twin.withFlash { flash throws(FlashMemoryError) in try flash.program(pattern, at: 0x76000) }
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        let begin = try #require(try client.command(.flashBegin(eraseSize: 0x10000, packetCount: 0, packetSize: 0x400, offset: 0x60000)))
        #expect(!begin.status.failed)
        let flash = twin.flash
        #expect(flash.read(0x60000..<0x80000).allSatisfy { $0 == 0xFF })
        #expect(flash.read(0x76000..<0x79000) != pattern)
        #expect(twin.counters.sectorsErased == 32)
    }

    @Test func adjustedEraseSizeLeavesTheFollowingDataIntact() throws {
        let twin = ESP8266Twin()
        let pattern = [UInt8](repeating: 0x5A, count: 0x3000)
        try twin.withFlash { flash throws(FlashMemoryError) in
            try flash.program([UInt8](repeating: 0x00, count: 0x10000), at: 0x60000)
            try flash.program(pattern, at: 0x76000)
        }
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        let eraseSize = ESP8266.romEraseSize(offset: 0x60000, size: 0x10000)
        let begin = try #require(try client.command(.flashBegin(eraseSize: eraseSize, packetCount: 0, packetSize: 0x400, offset: 0x60000)))
        #expect(!begin.status.failed)
        let flash = twin.flash
        #expect(flash.read(0x60000..<0x70000).allSatisfy { $0 == 0xFF })
        #expect(flash.read(0x76000..<0x79000) == pattern)
    }

    @Test func flashDataProgramsWithNORANDSemantics() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        let first = [UInt8](repeating: 0xF0, count: 0x400)
        let second = [UInt8](repeating: 0x3C, count: 0x400)
        #expect(try client.command(.flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x400, offset: 0x20000))?.status.failed == false)
        #expect(try client.command(.flashData(first, sequence: 0))?.status.failed == false)
        // Erase size 0: no erase, so the second write lands on the first.
        #expect(try client.command(.flashBegin(eraseSize: 0, packetCount: 1, packetSize: 0x400, offset: 0x20000))?.status.failed == false)
        #expect(try client.command(.flashData(second, sequence: 0))?.status.failed == false)
        #expect(twin.flash.read(0x20000..<0x20400) == [UInt8](repeating: 0x30, count: 0x400))
        #expect(twin.counters.bytesProgrammed == 0x800)
    }

    @Test func badChecksumIsRefusedWithError7AndWritesNothing() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        _ = try client.command(.flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x400, offset: 0x30000))
        var request = Request.flashData(plainPacket(7), sequence: 0)
        request.checksum ^= 0x01
        let reply = try #require(try client.command(request))
        #expect(reply.status.failed)
        #expect(reply.status.code == ROMErrorCode.invalidChecksum.rawValue)
        #expect(twin.flash.read(0x30000..<0x31000).allSatisfy { $0 == 0xFF })
    }

    @Test func writtenPacketsLandAtOffsetPlusSequenceTimesPacketSize() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        let packets = (0..<3).map { plainPacket(UInt8($0)) }
        _ = try client.command(.flashBegin(eraseSize: ESP8266.romEraseSize(offset: 0x41000, size: 0xC00), packetCount: 3, packetSize: 0x400, offset: 0x41000))
        for (sequence, packet) in packets.enumerated().reversed() {
            #expect(try client.command(.flashData(packet, sequence: UInt32(sequence)))?.status.failed == false)
        }
        #expect(twin.flash.read(0x41000..<0x41C00) == packets.flatMap { $0 })
        #expect(twin.chipState == .download)
    }

    @Test func baudAboveTheMaximumIsNotAnswered() throws {
        let twin = ESP8266Twin(configuration: TwinConfiguration(maxBaud: 460_800))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        try host.setBaudRate(921_600)
        #expect(try client.sync(window: .milliseconds(300)).isEmpty)
        #expect(twin.counters.ignoredFrames >= 1)
        try host.setBaudRate(460_800)
        #expect(try client.sync().count == 8)
        #expect(twin.lockedBaud == 460_800)
    }

    @Test func afterSyncAChangedHostBaudIsNoise() throws {
        let twin = ESP8266Twin()
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        _ = try client.sync()
        try host.setBaudRate(230_400)
        #expect(try client.command(.readReg(ESP8266.chipDetectRegister), timeout: .milliseconds(300)) == nil)
        try host.setBaudRate(115_200)
        #expect(try client.readRegister(ESP8266.chipDetectRegister) == ESP8266.chipDetectValue)
    }

    @Test func ramProgramStartedWithMemEndReplacesTheROMUntilReset() throws {
        let twin = ESP8266Twin()
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        _ = try client.sync()
        #expect(try client.command(.memBegin(size: 4, packetCount: 1, packetSize: 0x1800, address: 0x4010_E000))?.status.failed == false)
        #expect(try client.command(.memData([1, 2, 3, 4], sequence: 0))?.status.failed == false)
        #expect(try client.command(.memEnd(execute: true, entry: 0x4010_E000))?.status.failed == false)
        #expect(twin.chipState == .runningRAM(entry: 0x4010_E000))
        // The RAM program runs as a flasher stub (TwinStubModeTests): SYNC replies carry 0, not the ROM's value.
        let stubReplies = try client.sync()
        #expect(stubReplies.count == 8)
        #expect(stubReplies.allSatisfy { $0.value == StubLoaderEngine.syncReplyValue })
        twin.reset(into: .download)
        try client.flush()
        let replies = try client.sync()
        #expect(replies.count == 8)
        #expect(replies.allSatisfy { $0.value == ROMLoaderEngine.syncReplyValue })
    }
}
