#if canImport(Glibc)
import Glibc
#endif

/// The twin's UART in time: when the bytes it has read finished arriving and when its
/// transmitter is free again, by the `TimingModel`.
///
/// Model: when the twin reads a chunk of n bytes at time t, the chunk is complete at
/// rxDone = max(rxDone, t) + n × 10 / baud (a frame ending at byte k of the chunk is complete
/// k byte-times after the chunk started); a reply of m bytes ready at r reaches the host at
/// max(r, txFree) + m × 10 / baud + adapter latency, and occupies the transmitter until
/// max(r, txFree) + m × 10 / baud. All instants are absolute, so sleeping to them never drifts.
struct LineClock {
    typealias Instant = ContinuousClock.Instant

    let timing: TimingModel
    private(set) var rxDone: Instant
    private(set) var txFree: Instant

    init(timing: TimingModel, now: Instant = .now) {
        self.timing = timing
        rxDone = now
        txFree = now
    }

    /// Starts a chunk of `count` bytes read at `readAt`; returns the instant reception of
    /// the chunk began, from which `instant(afterBytes:)` counts.
    mutating func beginChunk(count: Int, readAt: Instant, baud: Int) -> Instant {
        let start = max(rxDone, readAt)
        rxDone = start + timing.wireTime(bytes: count, baud: baud)
        return start
    }

    /// When `count` bytes sent from `start` at `baud` have all arrived.
    func instant(afterBytes count: Int, from start: Instant, baud: Int) -> Instant {
        start + timing.wireTime(bytes: count, baud: baud)
    }

    /// Books the transmitter for `count` bytes ready at `ready`; returns when they reach
    /// the host (including the adapter's latency).
    mutating func send(count: Int, readyAt ready: Instant, baud: Int) -> Instant {
        let start = max(ready, txFree)
        txFree = start + timing.wireTime(bytes: count, baud: baud)
        return txFree + timing.adapterLatency
    }

    /// Forgets queued line time (after a reset or a new connection).
    mutating func restart(now: Instant = .now) {
        rxDone = now
        txFree = now
    }

    /// Sleeps until `deadline` when the model is paced; returns at once otherwise.
    func pace(until deadline: Instant) {
        guard timing.paced else { return }
        Self.sleep(until: deadline)
    }

    /// Sleeps until `deadline` (absolute), resuming after signals, without drift.
    static func sleep(until deadline: Instant) {
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { return }
            let (seconds, attoseconds) = remaining.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            var left = timespec()
            _ = nanosleep(&request, &left)
        }
    }

    /// Sleeps for `duration` (used for modelled waits outside the line model).
    static func sleep(for duration: Duration) {
        sleep(until: .now + duration)
    }
}
