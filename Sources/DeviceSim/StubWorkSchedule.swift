/// When the flasher stub's replies can leave, by the timing model: the stub handles one
/// command after the other, a data block's flash work (erase as reached, page program)
/// runs after its reply, and every other command's work before its reply. So the reply to
/// block n leaves once block n is received and checked *and* block n-1's flash work is
/// done: one block in flight. Inflating is modelled as free (the line and the flash are
/// what take time on the chip).
public struct StubWorkSchedule: Sendable, Equatable {
    public typealias Instant = ContinuousClock.Instant

    /// Until when the flash is busy with the last acknowledged block, if it is.
    public private(set) var flashBusyUntil: Instant?

    public init() {}

    /// Books one command that was complete (received and checked) at `complete`; returns
    /// the instant its reply is ready to go on the wire.
    public mutating func replyReady(complete: Instant, flashTime: Duration, registerDelay: Duration = .zero, workAfterReply: Bool) -> Instant {
        let start = max(complete, flashBusyUntil ?? complete) + registerDelay
        let ready = workAfterReply ? start : start + flashTime
        flashBusyUntil = workAfterReply ? ready + flashTime : ready
        return ready
    }
}
