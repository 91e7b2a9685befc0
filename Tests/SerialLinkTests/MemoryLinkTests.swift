import Foundation
import SerialLink
import Synchronization
import Testing

@Suite("MemoryLink pair")
struct MemoryLinkTests {
    @Test func bytesWrittenOnOneEndAreReadOnTheOther() throws {
        let (host, device) = MemoryLink.pair()
        try host.write([1, 2, 3])
        try device.write([9])

        #expect(try device.read(maxCount: 2, deadline: deadline(in: 1)) == [1, 2])
        #expect(try device.read(maxCount: 10, deadline: deadline(in: 1)) == [3])
        #expect(try host.read(maxCount: 10, deadline: deadline(in: 1)) == [9])
    }

    @Test func readReturnsNothingAtTheDeadlineWhenNoByteArrives() throws {
        let (_, device) = MemoryLink.pair()
        let end = deadline(in: 0.1)
        #expect(try device.read(maxCount: 10, deadline: end).isEmpty)
        #expect(ContinuousClock.now >= end)
    }

    @Test func aBlockedReadWakesWhenThePeerWrites() throws {
        let (host, device) = MemoryLink.pair()
        let reader = Background { () throws(LinkError) in try device.read(maxCount: 10, deadline: deadline(in: 10)) }
        Thread.sleep(forTimeInterval: 0.05)

        try host.write([0x42])

        #expect(try #require(reader.result()).get() == [0x42])
    }

    @Test func oneMebibyteArrivesIntactThroughAReaderThread() throws {
        let (host, device) = MemoryLink.pair()
        let payload = (0..<1 << 20).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        let reader = Background { () throws(LinkError) in try read(payload.count, from: device, within: 30) }

        for chunk in stride(from: 0, to: payload.count, by: 4096) {
            try host.write(Array(payload[chunk..<min(chunk + 4096, payload.count)]))
        }

        #expect(try #require(reader.result(within: 30)).get() == payload)
    }

    @Test func controlLinesSetByTheHostAreSeenByTheDeviceAndItsObserver() throws {
        let (host, device) = MemoryLink.pair()
        defer { device.close() }  // drops the observer, which captures `device`
        #expect(device.peerControlLines == ControlLines(dtr: false, rts: false))
        // Each call records the state passed and the state the device reads at that moment.
        let calls = Mutex<[(passed: ControlLines, stored: ControlLines)]>([])
        device.onPeerControlLinesChange = { lines in
            calls.withLock { $0.append((lines, device.peerControlLines)) }
        }

        try host.setControlLines(dtr: true, rts: true)
        try host.setControlLines(dtr: nil, rts: false)
        try host.setControlLines(dtr: true, rts: nil)  // no change: no call

        #expect(device.peerControlLines == ControlLines(dtr: true, rts: false))
        #expect(host.peerControlLines == ControlLines(dtr: false, rts: false))
        let recorded = calls.withLock { $0 }
        #expect(recorded.map(\.passed) == [ControlLines(dtr: true, rts: true), ControlLines(dtr: true, rts: false)])
        #expect(recorded.map(\.stored) == recorded.map(\.passed))
    }

    @Test func theBaudRateSetOnEitherEndIsSeenByBoth() throws {
        let (host, device) = MemoryLink.pair(name: "wire", baud: 115_200)
        #expect(try device.baudRate() == 115_200)

        try host.setBaudRate(74_880)
        #expect(try device.baudRate() == 74_880)

        try device.setBaudRate(1_500_000)
        #expect(try host.baudRate() == 1_500_000)
    }

    @Test func disconnectIsSeenByThePeerAfterTheBytesAlreadyDelivered() throws {
        let (host, device) = MemoryLink.pair()
        try device.write([7, 8])

        device.disconnect()

        #expect(throws: LinkError.disconnected(link: host.name)) { try host.write([1]) }
        #expect(try host.read(maxCount: 10, deadline: deadline(in: 1)) == [7, 8])
        #expect(throws: LinkError.disconnected(link: host.name)) {
            _ = try host.read(maxCount: 10, deadline: deadline(in: 1))
        }
        #expect(throws: LinkError.disconnected(link: device.name)) { try device.write([1]) }
    }

    @Test func disconnectWakesAReadBlockedOnThePeer() throws {
        let (host, device) = MemoryLink.pair()
        let reader = Background { () throws(LinkError) in try host.read(maxCount: 10, deadline: deadline(in: 30)) }
        Thread.sleep(forTimeInterval: 0.05)

        device.disconnect()

        #expect(try #require(reader.result(within: 5)) == .failure(.disconnected(link: host.name)))
    }

    @Test func afterCloseCallsThrowClosedAndThePeerSeesDisconnected() throws {
        let (host, device) = MemoryLink.pair()
        host.close()
        host.close()

        #expect(throws: LinkError.closed(link: host.name)) { try host.write([1]) }
        #expect(throws: LinkError.closed(link: host.name)) {
            _ = try host.read(maxCount: 1, deadline: deadline(in: 1))
        }
        #expect(throws: LinkError.closed(link: host.name)) { _ = try host.baudRate() }
        #expect(throws: LinkError.closed(link: host.name)) { try host.setControlLines(dtr: true, rts: true) }
        #expect(throws: LinkError.disconnected(link: device.name)) {
            _ = try device.read(maxCount: 1, deadline: deadline(in: 1))
        }
    }

    @Test func closeWakesAReadBlockedInAnotherThread() throws {
        let (host, _) = MemoryLink.pair()
        let reader = Background { () throws(LinkError) in try host.read(maxCount: 10, deadline: deadline(in: 30)) }
        Thread.sleep(forTimeInterval: 0.05)

        host.close()

        #expect(try #require(reader.result(within: 5)) == .failure(.closed(link: host.name)))
    }

    @Test func discardInputDropsBytesNotReadYet() throws {
        let (host, device) = MemoryLink.pair()
        try host.write([1, 2, 3])
        try device.discardInput()
        #expect(try device.read(maxCount: 10, deadline: deadline(in: 0.05)).isEmpty)
    }
}
