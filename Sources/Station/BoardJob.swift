import ESPFlasher
import Foundation
import Synchronization
import MeterLogger
import Provisioning

/// One board's way through the station: the shared pipeline (`BoardProvisioner`) with the
/// station's ledger claims, its events turned into the slot's `StationEvent`s.
struct BoardJob: Sendable {
    let station: Station
    let slot: String
    let port: String
    let token: StopToken
    let events: @Sendable (StationEvent) -> Void

    func run() async -> BoardOutcome {
        let configuration = station.configuration
        let record = LedgerAssignment(
            ledger: station.ledger, profile: configuration.profile, slot: slot,
            choice: .profileOrder(askFirst: configuration.askSerial), technician: station.technician, askTurn: station.askTurn, stop: token)
        let provisioner = BoardProvisioner(
            profile: configuration.profile, builder: station.builder,
            loader: LoaderSettings(baud: configuration.baud, reset: configuration.reset, attempts: configuration.connectAttempts, stub: configuration.stub),
            steps: ProvisioningSteps(bootCheck: true, wifi: configuration.wifi, commissioning: configuration.commissioning),
            record: record, wifiTurn: station.wifiTurn)
        let slotEvents = SlotEvents(slot: slot, port: port, events: events)
        do {
            let result = try await provisioner.run(on: .path(port), stop: token) { slotEvents.take($0) }
            slotEvents.phase(.done, result: result.wasAlreadyProvisioned ? "already provisioned" : "ok")
            return BoardOutcome(slot: slot, serial: result.serial.text, mac: result.board.mac, failure: nil, exhausted: false)
        } catch {
            // The pipeline has already put a stop's reason first (and kept a failed ledger
            // write beside it).
            let failure = error
            let reason = failure.description
            slotEvents.phase(.failed(reason: reason), result: reason, help: failure.help)
            let exhausted = if case .profileExhausted = error { true } else { false }
            return BoardOutcome(
                slot: slot, serial: slotEvents.serial, mac: slotEvents.mac, failure: reason, exhausted: exhausted, help: failure.help)
        }
    }
}

/// Turns one board's pipeline events into its slot's events, remembering the serial and
/// MAC once known and the flash progress in percent.
final class SlotEvents: Sendable {
    private struct State {
        var serial: String?
        var mac: String?
        var progress: FlashProgress?
    }

    let slot: String
    let port: String
    let events: @Sendable (StationEvent) -> Void
    private let state = Mutex(State())

    init(slot: String, port: String, events: @escaping @Sendable (StationEvent) -> Void) {
        self.slot = slot
        self.port = port
        self.events = events
    }

    var serial: String? { state.withLock { $0.serial } }
    var mac: String? { state.withLock { $0.mac } }

    func take(_ event: ProvisioningEvent) {
        switch event {
        case .phase(let step):
            switch step {
            case .connecting: phase(.connecting)
            case .claiming: phase(.claiming)
            case .building: phase(.building)
            case .flashing: phase(.flashing(percent: 0))
            case .booting: phase(.booting)
            case .wifi: phase(.wifi)
            case .commissioning: phase(.commissioning)
            }
        case .identified(let board): state.withLock { $0.mac = board.mac }
        case .device(let serial): state.withLock { $0.serial = serial.text }
        case .planned(let plan): state.withLock { $0.progress = FlashProgress(plan: plan.totalBytes) }
        case .flash(let flash):
            let percent: Int? = state.withLock { $0.progress?.percent(after: flash) }
            if let percent, percent != lastPercent.exchange(percent, ordering: .relaxed) {
                phase(.flashing(percent: percent))
            }
        case .firmware, .bootLog: break
        }
    }

    private let lastPercent = Atomic<Int>(0)

    func phase(_ phase: StationPhase, result: String? = nil, help: String? = nil) {
        let (serial, mac) = state.withLock { ($0.serial, $0.mac) }
        events(StationEvent(slot: slot, port: port, phase: phase, serial: serial, mac: mac, result: result, help: help))
    }
}
