import Basics
import Foundation
import Synchronization

/// One line from standard input, read on a thread of its own (never blocking Swift's task
/// pool) and given up when the asking task is cancelled (Ctrl-C while a question is open):
/// the thread waits for input in slices of `slice`, looking at the cancellation between
/// them, and reads byte by byte so that nothing after the line is taken from the input.
enum StandardInputLine {
    /// The longest the reading thread waits before looking at the cancellation again.
    static let slice: Duration = .milliseconds(100)

    /// The next line without its line break; nil at the end of input or when cancelled.
    static func read() async -> String? {
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await blocking("standard input") { readBlocking(fd: STDIN_FILENO, cancelled: cancelled) }
        } onCancel: {
            cancelled.set()
        }
    }

    static func readBlocking(fd: Int32, cancelled: CancelFlag) -> String? {
        var bytes: [UInt8] = []
        let timeout = Int32(slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000)
        while !cancelled.isSet {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, timeout)
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return nil }
            if ready == 0 { continue }
            var byte: UInt8 = 0
            let count = Foundation.read(fd, &byte, 1)
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }

    /// Set once by the cancellation handler, read by the reading thread.
    final class CancelFlag: Sendable {
        private let flag = Atomic(false)
        func set() { flag.store(true, ordering: .releasing) }
        var isSet: Bool { flag.load(ordering: .acquiring) }
    }
}
