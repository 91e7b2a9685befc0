#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Owns one non-blocking file descriptor that a reader thread and a writer thread use at
/// the same time, and closes it safely.
///
/// `close()` wakes every thread blocked in `wait` (through a private pipe), and the
/// descriptor itself is released only when the last operation using it has returned, so a
/// descriptor number that the kernel hands out again is never read or written by mistake.
final class OwnedDescriptor: Sendable {
    /// The link name used in errors.
    let linkName: String

    private struct State {
        var users = 0
        var closed = false
    }

    private let fd: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let state = Mutex(State())
    private let beforeRelease: @Sendable (Int32) -> Void

    /// Takes ownership of `fd`; `beforeRelease` runs once, just before it is closed.
    /// On failure `fd` is closed.
    init(
        fd: Int32, linkName: String,
        beforeRelease: @escaping @Sendable (Int32) -> Void = { _ in }
    ) throws(LinkError) {
        // The wake-up pipe: close() writes one byte to it and never drains it, so every
        // later wait returns at once. (Glibc's pipe2 is not visible from Swift; hence fcntl.)
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .io(link: linkName, operation: "pipe", errno: code)
        }
        for end in pipeFDs {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        self.fd = fd
        self.linkName = linkName
        self.wakeRead = pipeFDs[0]
        self.wakeWrite = pipeFDs[1]
        self.beforeRelease = beforeRelease
    }

    deinit {
        close()
    }

    /// Runs `body` with the descriptor, which stays open until `body` returns.
    /// Throws `.closed` once `close()` was called.
    func withDescriptor<T>(_ body: (Int32) throws(LinkError) -> T) throws(LinkError) -> T {
        let usable = state.withLock { state in
            if state.closed { return false }
            state.users += 1
            return true
        }
        guard usable else { throw .closed(link: linkName) }
        defer {
            let release = state.withLock { state in
                state.users -= 1
                return state.closed && state.users == 0
            }
            if release { releaseNow() }
        }
        return try body(fd)
    }

    /// Waits until one of `events` is reported on the descriptor or `deadline` passes
    /// (`nil`: no deadline). Returns the reported events, or 0 when the deadline passed.
    /// Throws `.closed` when `close()` is called meanwhile. Restarts after signals.
    /// Pass `fd: -1` to only sleep until the deadline (or until closed).
    func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant?) throws(LinkError) -> Int16 {
        var fds = [
            pollfd(fd: fd, events: events, revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let timeout = pollTimeout(until: deadline)
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .io(link: linkName, operation: "poll", errno: code)
            }
            if fds[1].revents != 0 { throw .closed(link: linkName) }
            if ready > 0 { return fds[0].revents }
            // Timed out; poll rounds to milliseconds, so make sure the deadline really passed.
            if let deadline, ContinuousClock.now < deadline { continue }
            return 0
        }
    }

    /// Marks the descriptor closed, wakes blocked waiters and releases it as soon as no
    /// operation uses it any more. Idempotent.
    func close() {
        let releaseHere = state.withLock { state in
            if state.closed { return false }
            state.closed = true
            if state.users > 0 {
                // Wake the users under the lock: the last of them releases the pipe.
                var byte: UInt8 = 1
                _ = Glibc.write(wakeWrite, &byte, 1)
                return false
            }
            return true
        }
        if releaseHere { releaseNow() }
    }

    private func releaseNow() {
        beforeRelease(fd)
        Glibc.close(fd)
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }
}

/// The poll(2) timeout in milliseconds until `deadline`, rounded up; -1 for no deadline.
func pollTimeout(until deadline: ContinuousClock.Instant?) -> Int32 {
    guard let deadline else { return -1 }
    let remaining = deadline - ContinuousClock.now
    if remaining <= .zero { return 0 }
    let (seconds, attoseconds) = remaining.components
    let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
    let milliseconds = seconds * 1000 + (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
    return Int32(clamping: milliseconds)
}
