import Foundation
import SerialLink
import Testing

/// `SerialPort` on the slave side of a real `PseudoTerminal`, the master side standing in
/// for the device.
@Suite("SerialPort over a pseudo-terminal")
struct PseudoTerminalTests {
    @Test func everyByteValueTravelsUnchangedInBothDirections() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)

        try port.write(allByteValues)
        #expect(try read(allByteValues.count, from: pty.master) == allByteValues)

        try pty.master.write(allByteValues)
        #expect(try read(allByteValues.count, from: port) == allByteValues)
    }

    @Test func a256KiBTransferArrivesIntactThroughAReaderThread() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        let payload = (0..<256 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let master = pty.master
        let reader = Background { () throws(LinkError) in try read(payload.count, from: master, within: 30) }

        try port.write(payload)  // far more than the pty buffer: the write must wait for room

        let received = try #require(reader.result(within: 30)).get()
        #expect(received.count == payload.count)
        #expect(received == payload)
    }

    @Test(arguments: [74_880, 115_200, 921_600, 1_500_000])
    func baudRateSetByTheClientIsReadBackOnTheMasterSide(baud: Int) throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath, baud: 9_600)
        #expect(try pty.master.baudRate() == 9_600)

        try port.setBaudRate(baud)

        #expect(try port.baudRate() == baud)
        #expect(try pty.master.baudRate() == baud)
    }

    @Test func baudRateGivenAtOpenIsTheLineRate() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath, baud: 74_880)
        #expect(try port.baudRate() == 74_880)
        #expect(try pty.master.baudRate() == 74_880)
    }

    @Test func baudRateOfZeroIsRejected() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        #expect(throws: LinkError.baudRateUnsupported(link: pty.slavePath, baud: 0)) {
            try port.setBaudRate(0)
        }
        #expect(try port.baudRate() == SerialPort.defaultBaud)
    }

    @Test func aSecondOpenOfTheSamePortFailsWithBusy() throws {
        let pty = try PseudoTerminal()
        let first = try SerialPort(path: pty.slavePath)
        #expect(throws: LinkError.busy(path: pty.slavePath)) {
            _ = try SerialPort(path: pty.slavePath)
        }
        // The refused open did not disturb the first one.
        try first.write([0x55])
        #expect(try read(1, from: pty.master) == [0x55])
    }

    @Test func thePortCanBeOpenedAgainAfterClose() throws {
        let pty = try PseudoTerminal()
        let first = try SerialPort(path: pty.slavePath)
        first.close()
        let second = try SerialPort(path: pty.slavePath)
        try second.write([1, 2, 3])
        #expect(try read(3, from: pty.master) == [1, 2, 3])
    }

    @Test func controlLinesOnAPseudoTerminalAreUnsupported() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        #expect(throws: LinkError.controlLinesUnsupported(link: pty.slavePath)) {
            try port.setControlLines(dtr: true, rts: false)
        }
        #expect(throws: LinkError.controlLinesUnsupported(link: pty.slavePath)) {
            _ = try port.controlLines()
        }
        #expect(throws: LinkError.controlLinesUnsupported(link: pty.master.name)) {
            try pty.master.setControlLines(dtr: false, rts: true)
        }
    }

    @Test func readReturnsNothingAtTheDeadlineWhenNoByteArrives() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        let start = ContinuousClock.now
        let end = start + .milliseconds(200)

        let bytes = try port.read(maxCount: 100, deadline: end)

        #expect(bytes.isEmpty)
        #expect(ContinuousClock.now >= end)
    }

    @Test func masterReadReturnsNothingWhileNoClientIsConnected() throws {
        let pty = try PseudoTerminal()
        #expect(!pty.clientConnected)
        let end = deadline(in: 0.2)

        #expect(try pty.master.read(maxCount: 100, deadline: end).isEmpty)
        #expect(ContinuousClock.now >= end)
    }

    @Test func masterReadWaitingForAClientGetsTheBytesOfAClientThatOpensLater() throws {
        let pty = try PseudoTerminal()
        let master = pty.master
        let reader = Background { () throws(LinkError) in try read(4, from: master, within: 10) }

        Thread.sleep(forTimeInterval: 0.1)
        let port = try SerialPort(path: pty.slavePath)
        try port.write(Array("SYNC".utf8))

        #expect(try #require(reader.result()).get() == Array("SYNC".utf8))
    }

    @Test func aClientMayCloseAndReopenTheSlaveWhileTheMasterKeepsServing() throws {
        let pty = try PseudoTerminal()
        for round in 0..<3 {
            let port = try SerialPort(path: pty.slavePath, baud: 115_200 * (round + 1))
            #expect(pty.clientConnected)
            #expect(try pty.master.baudRate() == 115_200 * (round + 1))

            try port.write([UInt8(round), 0xC0])
            #expect(try read(2, from: pty.master) == [UInt8(round), 0xC0])
            try pty.master.write([0xC0, UInt8(round)])
            #expect(try read(2, from: port) == [0xC0, UInt8(round)])

            port.close()
            // A child another test is starting holds a copy of every open descriptor between
            // fork and exec: the slave may look open a moment longer.
            #expect(eventually { !pty.clientConnected })
            #expect(try pty.master.read(maxCount: 10, deadline: deadline(in: 0.05)).isEmpty)
        }
    }

    @Test func bytesTheMasterWritesWithoutAClientAreDroppedWithoutBlocking() throws {
        let pty = try PseudoTerminal()
        // Far more than a pty buffers: a write that kept the bytes would block forever.
        try pty.master.write([UInt8](repeating: 0x41, count: 256 * 1024))

        let port = try SerialPort(path: pty.slavePath)
        #expect(try port.read(maxCount: 100, deadline: deadline(in: 0.2)).isEmpty)
        try pty.master.write([0x42])
        #expect(try read(1, from: port) == [0x42])
    }

    @Test func discardInputDropsBytesNotReadYet() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        try pty.master.write(Array("abc".utf8))
        #expect(try read(1, from: port) == Array("a".utf8))

        try port.discardInput()

        #expect(try port.read(maxCount: 10, deadline: deadline(in: 0.1)).isEmpty)
        try port.drainOutput()
    }

    @Test func hangingUpGivesTheClientDisconnectedOnReadAndWrite() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        let reader = Background { () throws(LinkError) in try port.read(maxCount: 10, deadline: deadline(in: 10)) }
        Thread.sleep(forTimeInterval: 0.05)

        pty.hangUp()

        #expect(try #require(reader.result()) == .failure(.disconnected(link: pty.slavePath)))
        #expect(throws: LinkError.disconnected(link: pty.slavePath)) {
            try port.write([1])
        }
        #expect(throws: LinkError.disconnected(link: pty.slavePath)) {
            _ = try port.read(maxCount: 1, deadline: deadline(in: 1))
        }
    }

    @Test func theMasterThrowsClosedAfterHangUp() throws {
        let pty = try PseudoTerminal()
        pty.hangUp()
        pty.hangUp()
        #expect(!pty.clientConnected)
        #expect(throws: LinkError.closed(link: pty.master.name)) { try pty.master.write([1]) }
        #expect(throws: LinkError.closed(link: pty.master.name)) {
            _ = try pty.master.read(maxCount: 1, deadline: deadline(in: 1))
        }
        #expect(throws: LinkError.closed(link: pty.master.name)) { _ = try pty.master.baudRate() }
    }

    @Test func callsAfterCloseThrowClosedAndCloseIsIdempotent() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        port.close()
        port.close()
        #expect(throws: LinkError.closed(link: pty.slavePath)) { try port.write([1]) }
        #expect(throws: LinkError.closed(link: pty.slavePath)) {
            _ = try port.read(maxCount: 1, deadline: deadline(in: 1))
        }
        #expect(throws: LinkError.closed(link: pty.slavePath)) { _ = try port.baudRate() }
        #expect(throws: LinkError.closed(link: pty.slavePath)) { try port.setBaudRate(115_200) }
        #expect(throws: LinkError.closed(link: pty.slavePath)) { try port.discardInput() }
        #expect(throws: LinkError.closed(link: pty.slavePath)) { try port.drainOutput() }
        #expect(throws: LinkError.closed(link: pty.slavePath)) { try port.setControlLines(dtr: true, rts: nil) }
    }

    @Test func closeWakesAReadBlockedInAnotherThread() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        let reader = Background { () throws(LinkError) in try port.read(maxCount: 10, deadline: deadline(in: 30)) }
        Thread.sleep(forTimeInterval: 0.05)

        port.close()

        #expect(try #require(reader.result(within: 5)) == .failure(.closed(link: pty.slavePath)))
    }

    @Test func openingAMissingPathFailsWithENOENT() {
        let path = "/dev/mlprov-no-such-port"
        #expect(throws: LinkError.openFailed(path: path, errno: ENOENT)) {
            _ = try SerialPort(path: path)
        }
    }

    @Test func openingDevNullFailsAsNotATerminal() {
        #expect(throws: LinkError.notATerminal(path: "/dev/null")) {
            _ = try SerialPort(path: "/dev/null")
        }
    }
}

/// Polls `condition` until it holds, for at most `seconds` (generous: never a speed check).
func eventually(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let end = Date(timeIntervalSinceNow: seconds)
    while !condition() {
        if Date() >= end { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return true
}
