import Foundation
import Synchronization

/// Catches signals (SIGINT, SIGTERM) so that a long-running command stops cleanly: while it
/// watches, the signals' default action (ending the process) is off, and each arrival runs
/// `action` and wakes `wait()`. `stop()` puts the default actions back.
///
/// With `repeated: .endsProcess` the first arrival of a signal puts its default action back
/// at once, and a second one ends the process (exit code 128 + the signal, as a shell
/// reports it), should the clean stop hang.
public final class SignalCatcher: Sendable {
    public enum Repeat: Sendable {
        /// Every arrival runs the action again.
        case runsAgain
        /// The second arrival of a signal ends the process.
        case endsProcess
    }

    /// The exit code of a process ended by `signal`, as shells report it (130 for SIGINT).
    public static func exitCode(for signal: Int32) -> Int32 { 128 + signal }

    private let sources: Mutex<[(signal: Int32, source: any DispatchSourceSignal)]>
    private let arrivals: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation

    public init(
        _ signals: [Int32] = [SIGINT], repeated: Repeat = .runsAgain,
        action: @escaping @Sendable (Int32) -> Void = { _ in }
    ) {
        let (arrivals, continuation) = AsyncStream<Int32>.makeStream()
        self.arrivals = arrivals
        self.continuation = continuation
        let counts = ArrivalCounts()
        sources = Mutex(signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = counts.add(number)
                if repeated == .endsProcess {
                    // The dispatch source may receive the second signal instead of the
                    // default action (it can be blocked on its threads): end it here too.
                    if count > 1 { _exit(Self.exitCode(for: number)) }
                    signal(number, SIG_DFL)
                }
                action(number)
                continuation.yield(number)
            }
            source.resume()
            return (number, source)
        })
    }

    /// Returns the first signal that arrives (nil once stopped).
    public func wait() async -> Int32? {
        for await number in arrivals { return number }
        return nil
    }

    /// Stops watching and puts the signals' default actions back.
    public func stop() {
        let stopped = sources.withLock { sources in
            defer { sources = [] }
            return sources
        }
        for (number, source) in stopped {
            source.cancel()
            signal(number, SIG_DFL)
        }
        continuation.finish()
    }
}

/// How often each signal arrived.
private final class ArrivalCounts: Sendable {
    private let counts = Mutex<[Int32: Int]>([:])

    /// Counts one more arrival of `signal`; returns how many there were.
    func add(_ signal: Int32) -> Int {
        counts.withLock { counts in
            counts[signal, default: 0] += 1
            return counts[signal, default: 0]
        }
    }
}
