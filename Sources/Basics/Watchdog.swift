import Synchronization

/// Runs an action (kill a child process) when a time limit passes, unless disarmed first,
/// as soon as the guarded work has ended.
public final class Watchdog: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init() {}

    /// Starts the clock: `action` runs after `timeout` unless `disarm` comes first.
    public func arm(after timeout: Duration, _ action: @escaping @Sendable () -> Void) {
        let started = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { action() }
        }
        task.withLock { $0 = started }
    }

    public func disarm() {
        task.withLock { $0?.cancel() }
    }
}
