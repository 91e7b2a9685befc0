import DeviceDiscovery
import FirmwareBuild
import Foundation
import MeterLogger
import Provisioning

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
    /// One wifi setup at a time: the laptop has one wifi adapter.
    let wifiTurn = AsyncSemaphore(1)
    /// One question to the technician at a time, held from the question to its answer, so
    /// that a typed or scanned serial always goes to the board it was asked for.
    let askTurn = AsyncSemaphore(1)

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
    ///
    /// A board that arrives on a slot whose previous board is still being wound down (a
    /// quick re-plug) is remembered and started as soon as that job ends.
    public func run(boards: AsyncStream<AdapterEvent>, events: @escaping @Sendable (StationEvent) -> Void) async -> StationSummary {
        let slots = SlotRegistry()
        let permits = AsyncSemaphore(configuration.jobs)
        var summary = await withTaskGroup(of: [BoardOutcome].self) { group in
            for await change in boards {
                if Task.isCancelled { break }
                switch change {
                case .arrived(let adapter):
                    let slot = adapter.byPath ?? adapter.devicePath
                    guard let first = slots.arrive(slot: slot, port: adapter.devicePath) else { continue }
                    group.addTask {
                        var outcomes: [BoardOutcome] = []
                        var next: SlotRegistry.Board? = first
                        while let board = next {
                            events(StationEvent(slot: slot, port: board.port, phase: .waiting))
                            if let outcome = await self.work(slot: slot, board: board, permits: permits, events: events) {
                                outcomes.append(outcome)
                            }
                            next = slots.end(slot: slot, token: board.token)
                        }
                        return outcomes
                    }
                case .removed(let devicePath):
                    for token in slots.remove(port: devicePath) { token.stop("the board was removed") }
                    for slot in slots.slots(port: devicePath) {
                        events(StationEvent(slot: slot, port: devicePath, phase: .waiting))
                    }
                }
            }
            var summary = StationSummary()
            for await outcomes in group { summary.outcomes += outcomes }
            return summary
        }
        summary.interrupted = Task.isCancelled
        return summary
    }

    /// One board's job under a worker permit; nil when the station was cancelled first.
    private func work(
        slot: String, board: SlotRegistry.Board, permits: AsyncSemaphore, events: @escaping @Sendable (StationEvent) -> Void
    ) async -> BoardOutcome? {
        await permits.withPermit {
            let job = BoardJob(station: self, slot: slot, port: board.port, token: board.token, events: events)
            return await withTaskCancellationHandler {
                Task.isCancelled ? nil : await job.run()
            } onCancel: {
                board.token.stop("interrupted")
            }
        }
    }
}
