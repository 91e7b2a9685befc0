import DeviceSim
import ESPImage
import ESPProtocol
import SerialLink
import Testing

/// Faults on request: noise, dropped bytes, a pulled cable.
struct TwinFaultTests {
    /// The index, on the wire, of a FLASH_DATA frame's data byte `n` (0xC0, 8-byte header,
    /// 16-byte data header; `plainPacket` data needs no escaping).
    func wireIndex(ofDataByte n: Int) -> Int { 1 + 8 + 16 + n }

    func twinInFlashMode() throws -> (ESP8266Twin, MemoryLink, TestClient) {
        let twin = ESP8266Twin()
        let host = twin.connectInProcess()
        let client = TestClient(host)
        _ = try client.sync()
        _ = try client.command(.flashBegin(eraseSize: 0x1000, packetCount: 4, packetSize: 0x400, offset: 0x30000))
        return (twin, host, client)
    }

    @Test func flippedByteMakesFlashDataFailItsChecksum() throws {
        let (twin, _, client) = try twinInFlashMode()
        defer { twin.stop() }
        twin.arm(.flipByte(at: wireIndex(ofDataByte: 5)))
        let reply = try #require(try client.command(.flashData(plainPacket(1), sequence: 0)))
        #expect(reply.status.code == ROMErrorCode.invalidChecksum.rawValue)
        #expect(twin.flash.read(0x30000..<0x30400).allSatisfy { $0 == 0xFF })
        #expect(twin.events.contains(.faultFired(.flipByte(at: wireIndex(ofDataByte: 5)))))
        // Fires once: the retry goes through.
        #expect(try client.command(.flashData(plainPacket(1), sequence: 0))?.status.failed == false)
    }

    @Test func droppedByteMakesFlashDataAnInvalidMessage() throws {
        let (twin, _, client) = try twinInFlashMode()
        defer { twin.stop() }
        twin.arm(.dropByte(at: wireIndex(ofDataByte: 100)))
        let reply = try #require(try client.command(.flashData(plainPacket(2), sequence: 0)))
        #expect(reply.status.failed)
        #expect(reply.status.code == ROMErrorCode.invalidMessage.rawValue)
        #expect(twin.flash.read(0x30000..<0x30400).allSatisfy { $0 == 0xFF })
    }

    @Test func pulledCableDisconnectsTheHostAndAReplugKeepsTheFlash() throws {
        let (twin, host, client) = try twinInFlashMode()
        defer { twin.stop() }
        #expect(try client.command(.flashData(plainPacket(1), sequence: 0))?.status.failed == false)
        twin.arm(.pullCable(at: wireIndex(ofDataByte: 500)))
        #expect(throws: LinkError.disconnected(link: host.name)) {
            _ = try client.command(.flashData(plainPacket(2), sequence: 1))
        }
        let written = twin.flash.read(0x30000..<0x30400)
        #expect(written == plainPacket(1))

        let replugged = TestClient(twin.connectInProcess())
        try replugged.flush()
        #expect(try replugged.sync().count == 8)
        #expect(twin.flash.read(0x30000..<0x30400) == plainPacket(1))
        #expect(twin.flash.read(0x30400..<0x30800).allSatisfy { $0 == 0xFF })
    }

    @Test func faultsFromTheConfigurationCountFromPowerOn() throws {
        let configuration = TwinConfiguration(faults: FaultPlan(lineFaults: [.flipByte(at: 10)]))
        let twin = ESP8266Twin(configuration: configuration)
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        // Byte 10 lies in the first SYNC's 0x55 run: that SYNC is malformed and refused.
        let first = try client.sync(window: .milliseconds(300))
        #expect(first.count == 1 && first[0].status.code == ROMErrorCode.invalidMessage.rawValue)
        #expect(try client.sync().count == 8)
    }
}
