import Foundation
import Synchronization

/// Runs `action` on the first SIGINT (Ctrl-C) so that a long-running command can stop
/// cleanly; a second Ctrl-C ends the process at once (exit code 130) should the clean stop
/// hang. SIGINT's default action is off until the first Ctrl-C (then put back) or `stop`.
final class InterruptSignal: @unchecked Sendable {
    // @unchecked: the dispatch source is thread-safe; `presses` is atomic.
    /// The exit code of a process ended by Ctrl-C (128 + SIGINT), as shells report it.
    static let exitCode: Int32 = 130

    private let source: any DispatchSourceSignal
    private let presses = PressCount()

    /// How many Ctrl-Cs arrived.
    private final class PressCount: Sendable {
        private let count = Atomic(0)
        func add() -> Int { count.add(1, ordering: .sequentiallyConsistent).newValue }
    }

    init(_ action: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        self.source = source
        source.setEventHandler { [presses] in
            // The dispatch source may receive the second Ctrl-C instead of the default
            // action (the signal can be blocked on its threads): end the process here too.
            if presses.add() > 1 { _exit(Self.exitCode) }
            signal(SIGINT, SIG_DFL)
            action()
        }
        source.resume()
    }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
