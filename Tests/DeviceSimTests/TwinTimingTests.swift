import DeviceSim
import ESPProtocol
import Testing

/// The timing model, checked through the counters rather than the wall clock.
struct TwinTimingTests {
    @Test func modelledBusyTimeOfAnEraseAndWriteFollowsTheDatasheetFigures() throws {
        let twin = ESP8266Twin()  // timing .off: modelled, not slept
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        twin.resetCounters()
        // Unadjusted 64 KiB at 0x60000: the ROM erases 0x60000..<0x80000, two whole blocks.
        _ = try client.command(.flashBegin(eraseSize: 0x10000, packetCount: 4, packetSize: 0x400, offset: 0x60000))
        for sequence in 0..<4 {
            _ = try client.command(.flashData(plainPacket(UInt8(sequence)), sequence: UInt32(sequence)))
        }
        let counters = twin.counters
        let timing = TimingModel.off
        #expect(counters.blockErases == 2)
        #expect(counters.sectorErases == 0)
        #expect(counters.flashBusyTime == timing.blockErase * 2 + timing.pageProgram * 16)
        #expect(counters.flashBusyTime == .milliseconds(300) + .microseconds(11_200))
    }

    @Test func eraseStartingMidBlockGoesSectorBySector() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        twin.resetCounters()
        // 4 KiB at 0x3F000 (last sector of a block): the ROM erases two sectors.
        _ = try client.command(.flashBegin(eraseSize: 0x1000, packetCount: 0, packetSize: 0x400, offset: 0x3F000))
        #expect(twin.counters.sectorErases == 2)
        #expect(twin.counters.flashBusyTime == .milliseconds(90))
    }

    @Test func lineTimeIsTenBitsPerByteAtTheLineRate() throws {
        let twin = ESP8266Twin()
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        try client.flush()
        twin.resetCounters()
        _ = try client.sync()
        let request = SLIP.encode(Request.sync().encoded()).count
        let reply = SLIP.encode(Response.rom(.sync, value: ROMLoaderEngine.syncReplyValue).encoded()).count
        let counters = twin.counters
        #expect(counters.bytesReceived == request)
        #expect(counters.bytesSent == 8 * reply)
        #expect(counters.receiveLineTime == TimingModel.off.wireTime(bytes: request, baud: 115_200))
        #expect(counters.sendLineTime == TimingModel.off.wireTime(bytes: reply, baud: 115_200) * 8)
        #expect(TimingModel.off.wireTime(bytes: 11_520, baud: 115_200) == .seconds(1))
    }

    @Test func pacedTwinTakesAtLeastTheModelledEraseTime() throws {
        let twin = ESP8266Twin(configuration: TwinConfiguration(timing: .realistic))
        let client = TestClient(twin.connectInProcess())
        defer { twin.stop() }
        _ = try client.sync()
        let start = ContinuousClock.now
        let reply = try client.command(.flashBegin(eraseSize: 0x1000, packetCount: 0, packetSize: 0x400, offset: 0x3F000))
        #expect(reply?.status.failed == false)
        #expect(ContinuousClock.now - start >= .milliseconds(90))  // a lower bound only
    }
}
