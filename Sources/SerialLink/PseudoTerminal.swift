#if canImport(Glibc)
import Glibc
#endif
import CTermios

/// A pseudo-terminal pair standing in for a serial cable: a client opens `slavePath` with
/// `SerialPort` (or esptool, ser2net, screen…) while the device twin serves on `master`.
///
/// The pair outlives its clients: a client may open, close and reopen `slavePath` any
/// number of times and the master keeps serving. PseudoTerminal does not keep the slave
/// side open itself (so that `clientConnected` tells the truth and a closing client is not
/// hidden); instead the master treats "no client" (the EIO/hang-up the kernel reports
/// while the slave is closed) as a normal state:
/// - `master.read` waits for a client and returns `[]` at its deadline;
/// - `master.write` drops the bytes while no client is there, as a UART sending into a
///   cable with nothing at the other end (and so never blocks on a full pty buffer);
/// - `clientConnected` tells whether a client has the slave open now.
///
/// `hangUp()` simulates a pulled cable: it closes the master, and the client's reads and
/// writes then fail with `.disconnected`.
public final class PseudoTerminal: Sendable {
    /// The path a client opens, such as `/dev/pts/5`.
    public let slavePath: String
    /// The device side of the cable.
    public let master: Master

    /// Creates the pair with the line in raw mode at `baud` until a client sets its own.
    public init(baud: Int = SerialPort.defaultBaud) throws(LinkError) {
        var masterFD: Int32 = -1
        var slaveFD: Int32 = -1
        guard openpty(&masterFD, &slaveFD, nil, nil, nil) == 0 else {
            throw .openFailed(path: "/dev/ptmx", errno: errno)
        }
        defer { Glibc.close(slaveFD) }

        var nameBuffer = [CChar](repeating: 0, count: 128)
        let nameResult = ttyname_r(slaveFD, &nameBuffer, nameBuffer.count)
        guard nameResult == 0 else {
            Glibc.close(masterFD)
            throw .io(link: "pty", operation: "ttyname", errno: nameResult)
        }
        let path = String(decoding: nameBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)

        let flags = fcntl(masterFD, F_GETFL)
        guard flags >= 0, fcntl(masterFD, F_SETFL, flags | O_NONBLOCK) == 0,
              fcntl(masterFD, F_SETFD, FD_CLOEXEC) == 0
        else {
            let code = errno
            Glibc.close(masterFD)
            throw .io(link: "pty \(path)", operation: "fcntl", errno: code)
        }

        slavePath = path
        master = try Master(fd: masterFD, slavePath: path)
        // Termios calls on the master side act on the slave side: this keeps the slave
        // from echoing or translating bytes the twin sends before a client configures it.
        try master.channel.configureRaw(baud: baud)
    }

    /// Whether a client has `slavePath` open now.
    public var clientConnected: Bool { master.clientConnected }

    /// Pulls the cable: closes the master side. The client's reads and writes then throw
    /// `.disconnected`; the master's own calls throw `.closed`. Idempotent.
    public func hangUp() {
        master.close()
    }

    /// The device side of a pseudo-terminal. Its line settings are the client's: termios
    /// calls on a pty master act on the slave side.
    public final class Master: ByteLink {
        public let name: String
        let channel: TerminalChannel

        init(fd: Int32, slavePath: String) throws(LinkError) {
            name = "pty \(slavePath)"
            let descriptor = try OwnedDescriptor(fd: fd, linkName: name)
            channel = TerminalChannel(descriptor: descriptor, peerLoss: .waitForClient)
        }

        deinit {
            channel.close()
        }

        /// Whether a client has the slave side open now.
        public var clientConnected: Bool { channel.peerPresent }

        /// Sends bytes to the client; bytes sent while no client is connected are dropped.
        public func write(_ bytes: [UInt8]) throws(LinkError) {
            try channel.write(bytes)
        }

        /// Reads what the client sent. Returns `[]` at the deadline, also while no client
        /// is connected; never throws `.disconnected`.
        public func read(maxCount: Int, deadline: ContinuousClock.Instant) throws(LinkError) -> [UInt8] {
            try channel.read(maxCount: maxCount, deadline: deadline)
        }

        /// The rate the client has set on the slave side (TCGETS2 on the master).
        public func baudRate() throws(LinkError) -> Int {
            try channel.baudRate()
        }

        /// Sets the slave side's rate, as if the client had.
        public func setBaudRate(_ baud: Int) throws(LinkError) {
            try channel.setBaudRate(baud)
        }

        /// Always throws `.controlLinesUnsupported`: a pseudo-terminal has no modem lines.
        public func setControlLines(dtr: Bool?, rts: Bool?) throws(LinkError) {
            try channel.descriptor.withDescriptor { _ throws(LinkError) in
                throw .controlLinesUnsupported(link: name)
            }
        }

        /// Discards bytes the client sent that were not read yet.
        public func discardInput() throws(LinkError) {
            try channel.discardInput()
        }

        /// Returns at once: the master hands bytes to the slave side without a send queue.
        public func drainOutput() throws(LinkError) {
            try channel.descriptor.withDescriptor { _ in }
        }

        /// Closes the master side; same as `PseudoTerminal.hangUp()`.
        public func close() {
            channel.close()
        }
    }
}
