import Basics
/// A bidirectional byte channel with the knobs of a UART: line rate and the two modem
/// control lines. Serial ports, pseudo-terminals and in-memory pairs all conform, so the
/// loader protocol and the device twin run unchanged over any of them.
///
/// Links are used from one task at a time per direction; implementations are thread-safe
/// so that a reader and a writer may run on different threads.
public protocol ByteLink: AnyObject, Sendable {
    /// What the link is, for messages: a device path, "pty /dev/pts/3", "memory".
    var name: String { get }

    /// Writes all bytes (blocking until the kernel or peer took them).
    func write(_ bytes: [UInt8]) throws(LinkError)

    /// Waits until at least one byte is available or `deadline` passes, then returns up to
    /// `maxCount` bytes. Returns an empty array when the deadline passed with nothing read.
    /// Throws `LinkError.disconnected` when the other end is gone.
    func read(maxCount: Int, deadline: ContinuousClock.Instant) throws(LinkError) -> [UInt8]

    /// The line rate in bits per second, as configured now. On a pseudo-terminal's master
    /// side this is the rate the slave side (the client) has set.
    func baudRate() throws(LinkError) -> Int

    /// Sets the line rate; any rate the driver accepts, not only the standard ones.
    func setBaudRate(_ baud: Int) throws(LinkError)

    /// Sets DTR and/or RTS in one operation (`nil` leaves a line as it is), so that a
    /// reset circuit never sees an intermediate state. "On" means asserted (pin low).
    /// Throws `LinkError.controlLinesUnsupported` where the link has no such lines.
    func setControlLines(dtr: Bool?, rts: Bool?) throws(LinkError)

    /// Throws away bytes received but not yet read.
    func discardInput() throws(LinkError)

    /// Blocks until every written byte has left.
    func drainOutput() throws(LinkError)

    /// Releases the link; later calls throw `LinkError.closed`. Idempotent.
    func close()

    /// The line rate the bytes of the last `read` were sent at, where the link knows it
    /// (an in-memory cable does; a tty only knows its rate now). Nil otherwise.
    func baudOfLastRead() -> Int?
}

extension ByteLink {
    public func baudOfLastRead() -> Int? { nil }
}

/// The state of the two modem control lines; `true` is asserted.
public struct ControlLines: Sendable, Equatable, CustomStringConvertible {
    public var dtr: Bool
    public var rts: Bool
    public init(dtr: Bool, rts: Bool) {
        self.dtr = dtr
        self.rts = rts
    }
    public var description: String { "DTR \(dtr ? "on" : "off"), RTS \(rts ? "on" : "off")" }
}

/// What can go wrong on a link. Each case names the link so messages say which port.
public enum LinkError: ReportableError, Equatable, Sendable {
    /// The device could not be opened (missing, permissions, …); errno names why.
    case openFailed(path: String, errno: Int32)
    /// Another process holds the port (exclusive open refused).
    case busy(path: String)
    /// The device is not a terminal (not a serial port).
    case notATerminal(path: String)
    /// The other end went away: cable pulled, adapter unplugged, twin stopped.
    case disconnected(link: String)
    /// The link was closed by this process.
    case closed(link: String)
    /// The driver refused the baud rate.
    case baudRateUnsupported(link: String, baud: Int)
    /// DTR/RTS cannot be driven on this link (pseudo-terminals, some adapters).
    case controlLinesUnsupported(link: String)
    /// Any other system call failure.
    case io(link: String, operation: String, errno: Int32)
}
