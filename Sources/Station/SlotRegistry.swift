import ESPFlasher
import Synchronization

/// Which slots have a board being worked on (with the token that stops it), and which
/// board waits for a slot's running job to end: a board re-plugged on the same slot
/// before the job for its removal ended.
final class SlotRegistry: Sendable {
    /// A board on a port, and the token that stops its job.
    struct Board: Sendable {
        let port: String
        let token: StopToken
    }

    private struct State {
        var running: [String: Board] = [:]
        var next: [String: Board] = [:]
        /// The port each slot's last board was on, for removals of finished boards.
        var lastPorts: [String: String] = [:]
    }

    private let state = Mutex(State())

    /// A board arrived on `slot`: returned when it may start at once; nil when the slot's
    /// previous board is still being worked on (then it starts when `end` is called; a
    /// later arrival on the slot replaces it).
    func arrive(slot: String, port: String) -> Board? {
        let board = Board(port: port, token: StopToken())
        return state.withLock { state in
            state.lastPorts[slot] = port
            if state.running[slot] == nil {
                state.running[slot] = board
                return board
            }
            state.next[slot] = board
            return nil
        }
    }

    /// The job of `token` on `slot` is over: the board waiting for the slot, if any, is
    /// returned and now counts as running.
    func end(slot: String, token: StopToken) -> Board? {
        state.withLock { state in
            guard state.running[slot]?.token === token else { return nil }
            state.running[slot] = state.next.removeValue(forKey: slot)
            return state.running[slot]
        }
    }

    /// The device node `port` went away: a board waiting on it is forgotten; the tokens of
    /// the jobs running on it are returned, for stopping.
    func remove(port: String) -> [StopToken] {
        state.withLock { state in
            state.next = state.next.filter { $0.value.port != port }
            return state.running.values.filter { $0.port == port }.map(\.token)
        }
    }

    /// The slots whose last board was on `port`.
    func slots(port: String) -> [String] {
        state.withLock { $0.lastPorts.filter { $0.value == port }.map(\.key) }
    }
}
