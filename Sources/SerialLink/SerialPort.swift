#if canImport(Glibc)
import Glibc
#endif
import CTermios

/// A serial port (or any terminal device, such as a pseudo-terminal's slave side) in raw
/// mode, 8N1, no flow control, at any baud rate the driver accepts.
///
/// Opening takes the port exclusively twice over: `flock(LOCK_EX)` keeps every other
/// process that locks (mlprov, pyserial with `exclusive=True`, …) away, and `TIOCEXCL`
/// makes the kernel refuse any further open (except by root). Bytes received before the
/// open are discarded. A reader and a writer may use the port from two threads at once.
///
/// `close()` clears `TIOCEXCL` again. On a pseudo-terminal whose master stays open the
/// kernel keeps that flag after the last close, so a client killed without `close()` leaves
/// the slave refusing non-root opens until the pseudo-terminal is recreated.
public final class SerialPort: ByteLink {
    /// The default line rate: the ESP8266 ROM loader's usual starting rate.
    public static let defaultBaud = 115_200

    /// How long a taken lock is waited for before the port counts as busy.
    public static let busyGrace: Duration = .seconds(1)

    /// The device path this port was opened with.
    public let path: String
    public var name: String { path }

    private let channel: TerminalChannel

    /// Opens `path` and sets raw mode at `baud`.
    /// - Throws: `.openFailed` (with errno), `.busy`, `.notATerminal`,
    ///   `.baudRateUnsupported`, or `.io` for another failing call.
    public init(path: String, baud: Int = SerialPort.defaultBaud) throws(LinkError) {
        self.path = path
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            // EBUSY: another opener set TIOCEXCL.
            if code == EBUSY { throw .busy(path: path) }
            throw .openFailed(path: path, errno: code)
        }
        guard isatty(fd) == 1 else {
            Glibc.close(fd)
            throw .notATerminal(path: path)
        }
        // A lock can be held for a moment by a child process this program is starting:
        // between fork and exec the child shares every open file, close-on-exec or not. So
        // "busy" is only concluded after the lock stayed taken for `busyGrace`.
        let giveUp = ContinuousClock.now + Self.busyGrace
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EWOULDBLOCK, ContinuousClock.now < giveUp {
                usleep(10_000)
                continue
            }
            Glibc.close(fd)
            if code == EWOULDBLOCK { throw .busy(path: path) }
            throw .io(link: path, operation: "lock", errno: code)
        }
        guard ctermios_set_exclusive(fd, 1) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .io(link: path, operation: "set exclusive mode", errno: code)
        }
        // The descriptor clears TIOCEXCL before it closes: on a pseudo-terminal whose
        // master stays open the flag would otherwise outlive us and refuse the next client.
        let descriptor = try OwnedDescriptor(fd: fd, linkName: path) { fd in
            _ = ctermios_set_exclusive(fd, 0)
        }
        channel = TerminalChannel(descriptor: descriptor, peerLoss: .disconnect)
        try channel.configureRaw(baud: baud)
        try channel.discardInput()
    }

    deinit {
        channel.close()
    }

    public func write(_ bytes: [UInt8]) throws(LinkError) {
        try channel.write(bytes)
    }

    public func read(maxCount: Int, deadline: ContinuousClock.Instant) throws(LinkError) -> [UInt8] {
        try channel.read(maxCount: maxCount, deadline: deadline)
    }

    public func baudRate() throws(LinkError) -> Int {
        try channel.baudRate()
    }

    public func setBaudRate(_ baud: Int) throws(LinkError) {
        try channel.setBaudRate(baud)
    }

    /// Sets DTR and RTS with a single `TIOCMSET`, so both change at the same instant.
    public func setControlLines(dtr: Bool?, rts: Bool?) throws(LinkError) {
        try channel.setControlLines(dtr: dtr, rts: rts)
    }

    /// The DTR and RTS lines as the driver has them now (`TIOCMGET`).
    public func controlLines() throws(LinkError) -> ControlLines {
        try channel.controlLines()
    }

    /// Discards bytes received but not yet read (`tcflush(TCIFLUSH)`).
    public func discardInput() throws(LinkError) {
        try channel.discardInput()
    }

    /// Blocks until every written byte has been sent (`tcdrain`).
    public func drainOutput() throws(LinkError) {
        try channel.drainOutput()
    }

    /// Closes the port, waking a read or write blocked in another thread with `.closed`.
    public func close() {
        channel.close()
    }
}
