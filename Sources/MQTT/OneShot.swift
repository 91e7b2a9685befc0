import Foundation
import Synchronization

/// A value delivered once, from any thread, to one waiter with a time limit: how the
/// libmosquitto callbacks (on its own thread) hand results to async code without ever
/// blocking the cooperative pool.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value?, Never>)
        /// nil: the wait ended without a value (timeout or cancellation).
        case done(Value?)
    }

    private let state = Mutex<State>(.empty)

    init() {}

    /// Delivers `value`; only the first delivery (or the timeout) counts.
    func fulfil(_ value: Value) { finish(value) }

    /// Whether a value or a timeout has already ended the wait.
    var isDone: Bool {
        state.withLock { if case .done = $0 { true } else { false } }
    }

    /// The value, or nil when `timeout` passes (or the task is cancelled) first.
    func wait(timeout: Duration) async -> Value? {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.finish(nil)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let ready: Value?? = state.withLock { state in
                    switch state {
                    case .empty:
                        state = .waiting(continuation)
                        return nil
                    case .done(let value):
                        return .some(value)
                    case .waiting:
                        preconditionFailure("OneShot has one waiter")
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish(nil)
        }
    }

    private func finish(_ value: Value?) {
        let continuation: CheckedContinuation<Value?, Never>? = state.withLock { state in
            switch state {
            case .empty:
                state = .done(value)
                return nil
            case .waiting(let continuation):
                state = .done(value)
                return continuation
            case .done:
                return nil
            }
        }
        continuation?.resume(returning: value)
    }
}
