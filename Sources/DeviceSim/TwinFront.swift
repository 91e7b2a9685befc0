import Dispatch
import ESPProtocol
import Foundation
import SerialLink
import Synchronization

/// One connection of the twin to the outside: a link served on its own thread.
///
/// The loop reads with a short deadline (`pollInterval`, so it never spins and notices
/// `stop()` quickly), boots the chip when it leaves reset, sends boot logs at 74880 baud
/// (garbage when the line runs at another rate), feeds received bytes to the twin and
/// writes the replies when the timing model says they arrive.
final class TwinFront: Sendable {
    /// How long one read waits before the loop looks at resets, logs and `stop()` again.
    static let pollInterval: Duration = .milliseconds(50)
    /// The largest chunk read at once.
    static let readChunk = 4096

    let name: String
    let link: any ByteLink
    /// Pulls the cable (fault injection): the host's side sees a disconnected link.
    private let disconnect: @Sendable () -> Void
    private let stopRequested = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, link: any ByteLink, disconnect: @escaping @Sendable () -> Void) {
        self.name = name
        self.link = link
        self.disconnect = disconnect
    }

    /// Starts serving `twin` on a new thread.
    func start(_ twin: ESP8266Twin) {
        let thread = Thread { [self] in
            serve(twin)
            twin.detach(self)
            finished.signal()
        }
        thread.name = "twin \(name)"
        thread.start()
    }

    /// Ends the loop, disconnects the link and waits for the thread. Idempotent; must not
    /// be called from the front's own thread.
    func stop() {
        stopRequested.withLock { $0 = true }
        disconnect()
        // Every caller waits for the thread's end, then passes the signal on.
        finished.wait()
        finished.signal()
    }

    private var isStopping: Bool { stopRequested.withLock { $0 } }

    private func serve(_ twin: ESP8266Twin) {
        var clock = LineClock(timing: twin.configuration.timing)
        var lastBaud = (try? link.baudRate()) ?? 0
        while !isStopping {
            let now = ContinuousClock.now
            twin.advance(now: now)
            guard sendPendingLogs(twin, clock: &clock) else { return }

            var deadline = now + Self.pollInterval
            if let releaseAt = twin.pendingReleaseAt, releaseAt > now { deadline = min(deadline, releaseAt) }
            let chunk: [UInt8]
            do {
                chunk = try link.read(maxCount: Self.readChunk, deadline: deadline)
            } catch {
                return  // the host closed its end or the cable is gone
            }
            guard !chunk.isEmpty else { continue }
            let readAt = ContinuousClock.now
            if let baud = link.baudOfLastRead() ?? (try? link.baudRate()) { lastBaud = baud }

            // A reset released before these bytes arrived boots first, and its log goes out
            // before any reply to them.
            twin.advance(now: readAt)
            guard sendPendingLogs(twin, clock: &clock) else { return }

            let result = twin.ingest(chunk, lineBaud: lastBaud, readAt: readAt, clock: &clock)
            for write in result.writes {
                if let pulledAt = result.cablePulledAt, write.due > pulledAt { break }
                clock.pace(until: write.due)
                guard twin.generation == result.generation else { break }
                twin.noteSent(bytes: write.bytes.count)  // counted first: a client may act on the reply at once
                do {
                    try link.write(write.bytes)
                } catch {
                    return
                }
            }
            if result.cablePulledAt != nil {
                disconnect()
                return
            }
            if let leave = result.leaveLoader {
                clock.pace(until: leave.after)
                LineClock.sleep(for: twin.configuration.bootLogDelayAfterFlashEnd)
                twin.leaveLoader(leave.exit, generation: result.generation)
            }
        }
    }

    /// Sends the boot logs waiting; false when the link is gone.
    private func sendPendingLogs(_ twin: ESP8266Twin, clock: inout LineClock) -> Bool {
        while let log = twin.takePendingLog() {
            guard log.generation == twin.generation else { continue }
            let baud = (try? link.baudRate()) ?? 0
            let clean = ROMLoaderEngine.ratesMatch(baud, ESP8266.bootLogBaud)
            let bytes = clean ? log.bytes : WrongRateNoise.garble(log.bytes, lineBaud: baud)
            let due = clock.send(count: bytes.count, readyAt: max(.now, log.notBefore), baud: ESP8266.bootLogBaud)
            clock.pace(until: due)
            guard log.generation == twin.generation else { continue }
            twin.noteLogSent(log, lineBaud: baud, garbled: !clean)
            do {
                try link.write(bytes)
            } catch {
                return false
            }
        }
        return true
    }
}
