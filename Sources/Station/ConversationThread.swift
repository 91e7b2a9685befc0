import CSysShim
import Foundation
import Synchronization

/// The one thread a board's conversation runs on: connecting, flashing, reading the boot
/// text and the ledger's transactions for that board all run here, one after another, so
/// the loader session (which is not thread-safe) never changes threads and the few threads
/// of Swift's cooperative pool (two on a two-core machine) never block on a serial read or
/// an SQLite lock while eight boards flash at once.
public final class ConversationThread: Sendable {
    /// The jobs given and not yet run; shared with the thread, which outlives no job.
    private final class Jobs: Sendable {
        let queue = Mutex<(waiting: [@Sendable () -> Void], finished: Bool)>(([], false))
        let wake = DispatchSemaphore(value: 0)

        /// The thread's loop: one wake-up per job, one more for the end.
        func serve() {
            while true {
                wake.wait()
                let next: (@Sendable () -> Void)? = queue.withLock { $0.waiting.isEmpty ? nil : $0.waiting.removeFirst() }
                guard let next else { return }
                next()
            }
        }
    }

    private let jobs = Jobs()

    public init(name: String) {
        let thread = Thread { [jobs] in
            // pthread's own name (CSysShim): Foundation's setter does not always reach the OS
            // thread on Linux, and a new thread would keep its creator's name.
            _ = csys_set_thread_name(name)
            jobs.serve()
        }
        thread.start()
    }

    /// Runs `body` on the conversation's thread and returns its result; throws
    /// CancellationError once the conversation is finished.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = jobs.queue.withLock { state in
                guard !state.finished else { return false }
                state.waiting.append {
                    do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
                }
                return true
            }
            if accepted { jobs.wake.signal() } else { continuation.resume(throwing: CancellationError()) }
        }
    }

    /// Ends the thread once the jobs already given have run.
    public func finish() {
        let first = jobs.queue.withLock { state in
            defer { state.finished = true }
            return !state.finished
        }
        if first { jobs.wake.signal() }
    }

    deinit { finish() }
}
