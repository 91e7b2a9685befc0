#if canImport(Glibc)
import Glibc
#endif
import CTermios

/// The termios byte link shared by `SerialPort` and `PseudoTerminal.Master`: one owned,
/// non-blocking terminal descriptor, plus what to do when the other end goes away.
final class TerminalChannel: Sendable {
    /// What a vanished peer (EOF, EIO, hang-up) means on this descriptor.
    enum PeerLoss: Sendable {
        /// A serial port or a pseudo-terminal's client side: the cable is gone, throw
        /// `.disconnected`.
        case disconnect
        /// A pseudo-terminal's master side: no client has the slave open right now. Reads
        /// wait for one (returning `[]` at the deadline) and writes are dropped, as bytes
        /// sent by a UART with nothing listening.
        case waitForClient
    }

    /// A UART frame tolerates about ±3 % clock error; a driver that rounds the requested
    /// rate further than this has refused it.
    static let baudTolerancePercent = 3

    /// How often a master-side read re-checks for a client while none has the slave open:
    /// the kernel reports a hang-up continuously then and gives no wake-up on a slave open.
    static let clientPollInterval = Duration.milliseconds(10)

    /// The largest single read(2); callers asking for more get it in several reads.
    static let maxReadChunk = 64 * 1024

    let name: String
    let peerLoss: PeerLoss
    let descriptor: OwnedDescriptor

    init(descriptor: OwnedDescriptor, peerLoss: PeerLoss) {
        self.name = descriptor.linkName
        self.descriptor = descriptor
        self.peerLoss = peerLoss
    }

    // MARK: Bytes

    func read(maxCount: Int, deadline: ContinuousClock.Instant) throws(LinkError) -> [UInt8] {
        try descriptor.withDescriptor { fd throws(LinkError) in
            while true {
                let events = try descriptor.wait(fd, for: Int16(POLLIN), until: deadline)
                if events == 0 { return [] }
                if events & Int16(POLLNVAL) != 0 { throw .closed(link: name) }
                guard maxCount > 0 else { return [] }

                var code: Int32 = 0
                let bytes = [UInt8](unsafeUninitializedCapacity: min(maxCount, Self.maxReadChunk)) { buffer, count in
                    let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                    count = max(n, 0)
                    code = n < 0 ? errno : 0
                }
                if !bytes.isEmpty { return bytes }
                let hungUp = events & Int16(POLLHUP | POLLERR) != 0
                if (code == EAGAIN || code == EINTR) && !hungUp { continue }
                if code != 0 && code != EAGAIN && !Self.isPeerGone(code) {
                    throw .io(link: name, operation: "read", errno: code)
                }
                // End of file, EIO/ENXIO, or a hang-up with nothing left to read.
                switch peerLoss {
                case .disconnect:
                    throw .disconnected(link: name)
                case .waitForClient:
                    let now = ContinuousClock.now
                    if now >= deadline { return [] }
                    _ = try descriptor.wait(-1, for: 0, until: min(deadline, now + Self.clientPollInterval))
                }
            }
        }
    }

    func write(_ bytes: [UInt8]) throws(LinkError) {
        try descriptor.withDescriptor { fd throws(LinkError) in
            var offset = 0
            while offset < bytes.count {
                if peerLoss == .waitForClient && !Self.peerPresent(fd) { return }
                let n = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return Glibc.write(fd, base + offset, raw.count - offset)
                }
                if n > 0 {
                    offset += n
                    continue
                }
                let code = n < 0 ? errno : EAGAIN
                if code == EINTR { continue }
                if code == EAGAIN {
                    let events = try descriptor.wait(fd, for: Int16(POLLOUT), until: nil)
                    let hungUp = events & Int16(POLLHUP | POLLERR) != 0
                    if !hungUp || events & Int16(POLLOUT) != 0 { continue }
                    if peerLoss == .waitForClient { continue }  // re-checked at the top
                    throw .disconnected(link: name)
                }
                if Self.isPeerGone(code) {
                    if peerLoss == .waitForClient { return }
                    throw .disconnected(link: name)
                }
                throw .io(link: name, operation: "write", errno: code)
            }
        }
    }

    /// Whether the other end is there: no hang-up reported. On a pseudo-terminal's master
    /// side this is "a client has the slave open".
    var peerPresent: Bool {
        (try? descriptor.withDescriptor { fd in Self.peerPresent(fd) }) ?? false
    }

    // MARK: Line settings

    func baudRate() throws(LinkError) -> Int {
        try descriptor.withDescriptor { fd throws(LinkError) in
            var output: UInt32 = 0
            var input: UInt32 = 0
            guard ctermios_get_baud(fd, &output, &input) == 0 else {
                throw failure(errno, operation: "read baud rate")
            }
            return Int(output)
        }
    }

    func setBaudRate(_ baud: Int) throws(LinkError) {
        guard baud > 0, let rate = UInt32(exactly: baud) else {
            throw .baudRateUnsupported(link: name, baud: baud)
        }
        try descriptor.withDescriptor { fd throws(LinkError) in
            guard ctermios_set_baud(fd, rate) == 0 else {
                let code = errno
                if code == EINVAL { throw .baudRateUnsupported(link: name, baud: baud) }
                throw failure(code, operation: "set baud rate")
            }
            try checkBaud(fd, requested: baud)
        }
    }

    /// Puts the line in raw mode at `baud` (see `ctermios_configure_raw`).
    func configureRaw(baud: Int) throws(LinkError) {
        guard baud > 0, let rate = UInt32(exactly: baud) else {
            throw .baudRateUnsupported(link: name, baud: baud)
        }
        try descriptor.withDescriptor { fd throws(LinkError) in
            guard ctermios_configure_raw(fd, rate) == 0 else {
                let code = errno
                if code == EINVAL { throw .baudRateUnsupported(link: name, baud: baud) }
                throw failure(code, operation: "configure raw mode")
            }
            try checkBaud(fd, requested: baud)
        }
    }

    /// Drivers round a rate they cannot make exactly and report the rate they chose.
    private func checkBaud(_ fd: Int32, requested: Int) throws(LinkError) {
        var output: UInt32 = 0
        var input: UInt32 = 0
        guard ctermios_get_baud(fd, &output, &input) == 0 else {
            throw failure(errno, operation: "read baud rate")
        }
        if abs(Int(output) - requested) * 100 > requested * Self.baudTolerancePercent {
            throw .baudRateUnsupported(link: name, baud: requested)
        }
    }

    func setControlLines(dtr: Bool?, rts: Bool?) throws(LinkError) {
        try descriptor.withDescriptor { fd throws(LinkError) in
            if dtr == nil && rts == nil { return }
            let dtrValue: Int32 = dtr.map { $0 ? 1 : 0 } ?? -1
            let rtsValue: Int32 = rts.map { $0 ? 1 : 0 } ?? -1
            guard ctermios_update_modem_lines(fd, dtrValue, rtsValue) == 0 else {
                throw controlLinesFailure(errno)
            }
        }
    }

    func controlLines() throws(LinkError) -> ControlLines {
        try descriptor.withDescriptor { fd throws(LinkError) in
            var dtr: Int32 = 0
            var rts: Int32 = 0
            guard ctermios_get_modem_lines(fd, &dtr, &rts) == 0 else {
                throw controlLinesFailure(errno)
            }
            return ControlLines(dtr: dtr != 0, rts: rts != 0)
        }
    }

    private func controlLinesFailure(_ code: Int32) -> LinkError {
        if code == ENOTTY || code == EINVAL { return .controlLinesUnsupported(link: name) }
        return failure(code, operation: "set DTR/RTS")
    }

    // MARK: Queues

    func discardInput() throws(LinkError) {
        try descriptor.withDescriptor { fd throws(LinkError) in
            guard tcflush(fd, TCIFLUSH) == 0 else { throw failure(errno, operation: "discard input") }
        }
    }

    func drainOutput() throws(LinkError) {
        try descriptor.withDescriptor { fd throws(LinkError) in
            while tcdrain(fd) != 0 {
                let code = errno
                if code == EINTR { continue }
                throw failure(code, operation: "drain output")
            }
        }
    }

    func close() {
        descriptor.close()
    }

    // MARK: Helpers

    /// Errors that mean the other end is gone (adapter unplugged, pty peer closed).
    static func isPeerGone(_ code: Int32) -> Bool {
        code == EIO || code == ENXIO || code == ENODEV || code == EPIPE
    }

    private static func peerPresent(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&entry, 1, 0) >= 0 else { return false }
        return entry.revents & Int16(POLLHUP | POLLERR | POLLNVAL) == 0
    }

    /// Maps a failed call's errno to an error: a vanished peer, or a plain I/O failure.
    private func failure(_ code: Int32, operation: String) -> LinkError {
        if Self.isPeerGone(code) && peerLoss == .disconnect { return .disconnected(link: name) }
        return .io(link: name, operation: operation, errno: code)
    }
}
