import Synchronization

/// At most `count` holders at once; the others wait in arrival order (FIFO). With a
/// count of one it is an async lock whose holder keeps it across suspensions, unlike an
/// actor, which lets a second caller in at every `await`. The station uses it for its
/// worker permits (`--jobs`), for one wifi setup at a time (one adapter on the laptop) and
/// for one question to the technician at a time.
///
/// Waiting is not cancellable: a holder always releases (`withPermit`), so a waiter's turn
/// comes; a cancelled task is expected to see `Task.isCancelled` once it holds the permit.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(_ count: Int) {
        state = Mutex(State(free: max(1, count)))
    }

    /// Waits for a permit. Every `acquire` needs one `release`.
    public func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Hands the permit to the longest waiter, or frees it.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }

    /// Runs `body` holding a permit, released when it returns or throws.
    public func withPermit<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> sending T
    ) async rethrows -> sending T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
