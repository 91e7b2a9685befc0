import Foundation

/// Runs blocking work (a loader session, an SQLite transaction that may wait for a lock)
/// on a thread of its own, so that the few threads of Swift's cooperative pool (two on a
/// two-core machine) never stall while eight boards flash at once.
func blocking<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try body())
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.name = name
        thread.start()
    }
}
