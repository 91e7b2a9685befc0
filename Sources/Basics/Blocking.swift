import Foundation
import CSysShim

/// Runs blocking work (a loader session, an SQLite transaction that may wait for a lock, a
/// libmosquitto call that resolves a host name or joins its thread) on a thread of its own
/// named `name`, and awaits its result, so that the few threads of Swift's cooperative
/// pool (two on a two-core machine) never stall on it. Throws what `body` throws; a body
/// that cannot throw makes a call that cannot either.
public func blocking<T: Sendable, Failure: Error>(
    _ name: String, _ body: @escaping @Sendable () throws(Failure) -> T
) async throws(Failure) -> T {
    let result: Result<T, Failure> = await withCheckedContinuation { continuation in
        let thread = Thread {
            // Named from inside with pthread itself (CSysShim): on Linux a new thread otherwise
            // keeps its creator's name, and Foundation's setter did not always reach the OS thread.
            _ = csys_set_thread_name(name)
            do throws(Failure) {
                continuation.resume(returning: .success(try body()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        thread.name = name
        thread.start()
    }
    return try result.get()
}
