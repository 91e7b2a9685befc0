import Basics
import ESPFlasher
import ESPImage
import FirmwareBuild
import Foundation
import MeterLogger
import Provisioning

/// One board's way through the station: connect and identify, claim its device (ledger,
/// or the technician), build, flash, check the boot, optional wifi and commissioning,
/// mark it provisioned. Any failure ends the job with the reason, recorded in the ledger
/// against the device when one was claimed.
struct BoardJob: Sendable {
    let station: Station
    let slot: String
    let port: String
    let token: StopToken
    let events: @Sendable (StationEvent) -> Void

    /// How often the technician may give an unusable serial before the board fails.
    static let serialAttempts = 3

    private var configuration: StationConfiguration { station.configuration }
    private var ledger: KeyStore { station.ledger }
    private var profile: InstallationProfile { configuration.profile }

    func run() async -> BoardOutcome {
        let report = Reporter(slot: slot, port: port, events: events)
        var claimed: MeterSerial?
        var board: BoardIdentity?
        do {
            report.phase(.connecting)
            let configuration = self.configuration
            let port = self.port
            let token = self.token
            let connection = try await blocking("connect \(port)") {
                try BoardConnection.open(
                    port: port, baud: configuration.baud, reset: configuration.reset, attempts: configuration.connectAttempts,
                    stub: configuration.stub, stop: token)
            }
            defer { connection.close() }
            let identity = BoardIdentity(mac: connection.identity.mac, chipID: connection.identity.chipID)
            board = identity
            report.mac = identity.mac

            report.phase(.claiming)
            let (assignment, key) : (StationAssignment, DeviceKey)
            switch try await claim(identity) {
            case .finished(let done):
                report.serial = done.serial.text
                report.phase(.done, result: "already provisioned")
                return BoardOutcome(slot: slot, serial: done.serial.text, mac: identity.mac, failure: nil, exhausted: false)
            case .claimed(let row, let issued), .resumed(let row, let issued):
                (assignment, key) = (row, issued.key)
            case .exhausted:
                throw StationError.profileExhausted(installation: profile.name)
            }
            claimed = assignment.serial
            report.serial = assignment.serial.text
            let device = profile.device(serial: assignment.serial.text) ?? Device(serial: assignment.serial, key: .given(key))
            let variant = profile.variant(for: device)

            report.phase(.building)
            let outcome: BuildOutcome
            do {
                outcome = try await station.builder.build(try BuildRequest(profile: profile, device: device, key: key))
            } catch {
                throw StationError.build(error)
            }
            try stopIfAsked()
            let plan = try FlashPlan(artefacts: outcome.artefacts, flash: profile.flash)

            report.phase(.flashing(percent: 0))
            let total = max(1, plan.totalBytes)
            try await blocking("flash \(port)") {
                var finishedParts = 0
                var lastPercent = 0
                try connection.write(plan) { event in
                    let done: Int
                    switch event {
                    case .writing(_, let written, _): done = finishedParts + written
                    case .partWritten(_, _, let bytes, _):
                        finishedParts += bytes
                        done = finishedParts
                    default: return
                    }
                    let percent = min(100, done * 100 / total)
                    if percent != lastPercent {
                        lastPercent = percent
                        report.phase(.flashing(percent: percent))
                    }
                }
            }
            let serial = assignment.serial
            try await onLedger { try $0.markAssignmentFlashed(serial: serial, board: identity) }

            report.phase(.booting)
            let boot = try await blocking("boot \(port)") { try connection.finishCapturingBootLog(.hardReset) }
            try BootIdentity.verify(boot.log, serial: device.serial, meter: variant.meter)

            if let wifi = configuration.wifi {
                report.phase(.wifi)
                try stopIfAsked()
                try await station.wifiTurn.withPermit { try await wifi.run(device: device, key: key, meter: variant.meter) }
            }
            var commissioned = false
            if let commissioning = configuration.commissioning {
                report.phase(.commissioning)
                try stopIfAsked()
                let result = await commissioning.run(device.serial, key)
                guard result.passed else {
                    let step = result.firstFailure
                    throw StationError.commissioningFailed(step: step?.name ?? "?", detail: step?.detail ?? "no steps ran")
                }
                commissioned = true
            }
            let passedCommissioning = commissioned
            try await onLedger { try $0.markProvisioned(serial: serial, board: identity, commissioned: passedCommissioning) }
            report.phase(.done, result: "ok")
            return BoardOutcome(slot: slot, serial: serial.text, mac: identity.mac, failure: nil, exhausted: false)
        } catch {
            var reason = token.reason ?? Self.describe(error)
            var help = token.reason == nil ? Self.help(for: error) : StationError.stopped(reason: reason).help
            if let claimed, let board, !Self.isTakeOver(error) {
                let recorded = reason
                do {
                    try await onLedger { try $0.markAssignmentFailed(serial: claimed, board: board, reason: recorded) }
                } catch {
                    reason += "; the ledger did not record it: \(Self.describe(error))"
                    help = Self.help(for: error) ?? help
                }
            }
            report.phase(.failed(reason: reason), result: reason, help: help)
            let exhausted = if case StationError.profileExhausted = error { true } else { false }
            return BoardOutcome(slot: slot, serial: claimed?.text, mac: report.mac, failure: reason, exhausted: exhausted, help: help)
        }
    }

    /// The board's device: the one the ledger ties it to, else the profile's next free
    /// one, or the technician's answer (with `--ask-serial`, or when the profile is used up).
    private func claim(_ board: BoardIdentity) async throws -> StationClaim {
        let profile = self.profile
        let slot = self.slot
        let candidates = configuration.askSerial ? [] : station.candidates
        let claim = try await onLedger {
            try $0.claimNextDevice(for: board, slot: slot, candidates: candidates, installation: profile.name, source: profile.file)
        }
        guard case .exhausted = claim, let technician = station.technician else { return claim }
        var problem: String?
        for _ in 0..<Self.serialAttempts {
            try stopIfAsked()
            let request = SerialRequest(slot: slot, mac: board.mac, profileExhausted: !configuration.askSerial, problem: problem)
            let given = await station.askTurn.withPermit { await technician.serial(for: request) }
            try stopIfAsked()
            guard let answer = given?.trimmingCharacters(in: .whitespacesAndNewlines), !answer.isEmpty else {
                throw StationError.noSerialGiven
            }
            guard let serial = MeterSerial(answer) else {
                problem = "\"\(answer)\" is not a meter serial (1 to 10 digits)"
                continue
            }
            let device = profile.device(serial: serial.text) ?? Device(serial: serial, key: .generate)
            do {
                return try await onLedger { try $0.claim(device, for: board, slot: slot, installation: profile.name, source: profile.file) }
            } catch let error as KeyStoreError {
                switch error {
                case .alreadyProvisioned, .boardTaken, .serialInProgress, .keyConflict: problem = error.description
                default: throw error
                }
            }
        }
        throw StationError.noSerialGiven
    }

    private func onLedger<T: Sendable>(_ body: @escaping @Sendable (KeyStore) throws -> T) async throws -> T {
        let ledger = self.ledger
        return try await blocking("ledger") { try body(ledger) }
    }

    private func stopIfAsked() throws(StationError) {
        if let reason = token.reason { throw .stopped(reason: reason) }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as StationError: error.description
        case let error as FlasherError: error.description
        case let error as KeyStoreError: error.description
        case let error as BuildError: error.description
        default: "\(error)"
        }
    }

    /// What the technician can try, from the failing library's error.
    static func help(for error: any Error) -> String? {
        switch error {
        case let error as StationError: error.help
        case let error as FlasherError: error.help
        case let error as KeyStoreError: error.help
        case let error as BuildError: error.help
        default: nil
        }
    }

    /// True when the ledger says another board took the device over: the failure is not
    /// this board's to record.
    static func isTakeOver(_ error: any Error) -> Bool {
        if case KeyStoreError.takenOver = error { true } else { false }
    }
}

/// Emits a slot's events, remembering the serial and MAC once known.
final class Reporter: @unchecked Sendable {
    // @unchecked: serial and mac are set by the job's own flow, in order, before the
    // events that carry them; the flash thread only reads them.
    let slot: String
    let port: String
    let events: @Sendable (StationEvent) -> Void
    var serial: String?
    var mac: String?

    init(slot: String, port: String, events: @escaping @Sendable (StationEvent) -> Void) {
        self.slot = slot
        self.port = port
        self.events = events
    }

    func phase(_ phase: StationPhase, result: String? = nil, help: String? = nil) {
        events(StationEvent(slot: slot, port: port, phase: phase, serial: serial, mac: mac, result: result, help: help))
    }
}
