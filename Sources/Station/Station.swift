import DeviceDiscovery
import FirmwareBuild
import Foundation
import MeterLogger
import Provisioning
import Synchronization

/// The flashing station: boards arrive on slots (from hotplug or fixed ports), each is
/// worked on by its own job, at most `jobs` at once, from connecting to done or failed.
/// The ledger is the truth: a board the ledger already tied to an unfinished device
/// continues it (a re-plug, a restarted station); otherwise it takes the profile's next
/// free device, claimed atomically with its key before anything is written.
///
/// The station never prints: every change is a `StationEvent` for the caller to render.
public final class Station: Sendable {
    public let configuration: StationConfiguration
    public let ledger: KeyStore
    public let builder: FirmwareBuilder
    let technician: (any TechnicianDesk)?
    let wifiTurn = WifiTurn()

    public init(configuration: StationConfiguration, ledger: KeyStore, builder: FirmwareBuilder, technician: (any TechnicianDesk)? = nil) {
        self.configuration = configuration
        self.ledger = ledger
        self.builder = builder
        self.technician = technician
    }

    /// Works on every board `boards` brings until the stream ends and the last job is
    /// over, or until the calling task is cancelled (Ctrl-C): then no new board is taken,
    /// running jobs are stopped (their writes abort within a read slice), each stopped
    /// device is marked failed with "interrupted" in the ledger, and the summary says so.
    public func run(boards: AsyncStream<AdapterEvent>, events: @escaping @Sendable (StationEvent) -> Void) async -> StationSummary {
        let slots = SlotRegistry()
        let permits = WorkerPermits(configuration.jobs)
        var summary = await withTaskGroup(of: BoardOutcome?.self) { group in
            for await change in boards {
                if Task.isCancelled { break }
                switch change {
                case .arrived(let adapter):
                    let slot = adapter.byPath ?? adapter.devicePath
                    let token = StopToken()
                    guard slots.begin(slot: slot, port: adapter.devicePath, token: token) else { continue }
                    events(StationEvent(slot: slot, port: adapter.devicePath, phase: .waiting))
                    group.addTask {
                        await permits.acquire()
                        let job = BoardJob(station: self, slot: slot, port: adapter.devicePath, token: token, events: events)
                        let outcome = await withTaskCancellationHandler {
                            Task.isCancelled ? nil : await job.run()
                        } onCancel: {
                            token.stop("interrupted")
                        }
                        await permits.release()
                        slots.end(slot: slot, token: token)
                        return outcome
                    }
                case .removed(let devicePath):
                    for (slot, token) in slots.running(port: devicePath) { token.stop("the board was removed") }
                    for slot in slots.slots(port: devicePath) {
                        events(StationEvent(slot: slot, port: devicePath, phase: .waiting))
                    }
                }
            }
            var summary = StationSummary()
            for await outcome in group {
                if let outcome { summary.outcomes.append(outcome) }
            }
            return summary
        }
        summary.interrupted = Task.isCancelled
        return summary
    }

    /// The devices a board may become when the technician is not asked: the profile's, in
    /// file order.
    var candidates: [Device] { configuration.profile.devices }
}

/// Which slots have a board being worked on, and the token that stops it.
final class SlotRegistry: Sendable {
    private let state = Mutex<[String: (port: String, token: StopToken)]>([:])
    /// The port each slot's last board was on, for removals of finished boards.
    private let lastPorts = Mutex<[String: String]>([:])

    /// Claims `slot` for a new board; false when a board is already being worked on there.
    func begin(slot: String, port: String, token: StopToken) -> Bool {
        lastPorts.withLock { $0[slot] = port }
        return state.withLock { slots in
            guard slots[slot] == nil else { return false }
            slots[slot] = (port, token)
            return true
        }
    }

    /// The slots whose last board was on `port`.
    func slots(port: String) -> [String] {
        lastPorts.withLock { $0.filter { $0.value == port }.map(\.key) }
    }

    func end(slot: String, token: StopToken) {
        state.withLock { slots in
            if slots[slot]?.token === token { slots[slot] = nil }
        }
    }

    func running(port: String) -> [(String, StopToken)] {
        state.withLock { slots in slots.filter { $0.value.port == port }.map { ($0.key, $0.value.token) } }
    }
}
