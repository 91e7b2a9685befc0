import Synchronization

/// Tells a board's blocking work to stop: the first reason given wins and is what the
/// board's failure says ("interrupted", "board removed"). Checked by `StoppableLink` on
/// every read slice and write, so a running flash ends within one slice.
public final class StopToken: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    /// Asks the work to stop; later reasons are ignored.
    public func stop(_ reason: String) {
        state.withLock { if $0 == nil { $0 = reason } }
    }

    /// Why the work was stopped; nil while it may go on.
    public var reason: String? { state.withLock { $0 } }
}
