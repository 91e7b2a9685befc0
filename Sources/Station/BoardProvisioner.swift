import ESPFlasher
import ESPImage
import FirmwareBuild
import Foundation
import MeterLogger
import Provisioning
import SerialLink

/// Where a board is: a serial port by path, or a link already open (a twin's in-process
/// cable, whose DTR/RTS reach the twin's reset circuit).
public enum BoardPort: Sendable {
    case path(String)
    case link(any ByteLink)

    /// The port as messages name it.
    public var name: String {
        switch self {
        case .path(let path): path
        case .link(let link): link.name
        }
    }
}

/// How a pipeline talks to a board's ROM loader.
public struct LoaderSettings: Sendable {
    public var baud: Int
    public var reset: ResetStrategy
    public var attempts: Int
    /// The flasher stub writes go through (nil: the ROM loader alone).
    public var stub: FlasherStub?

    public init(baud: Int, reset: ResetStrategy = .classic, attempts: Int = LoaderSession.defaultConnectAttempts, stub: FlasherStub? = .mlprov) {
        self.baud = baud
        self.reset = reset
        self.attempts = attempts
        self.stub = stub
    }
}

/// The steps after flashing, each optional.
public struct ProvisioningSteps: Sendable {
    /// Hard-reset into the firmware and check that it reports the device (its boot text).
    /// Without it the board is left as `after` says.
    public var bootCheck: Bool
    /// How the board is left when there is no boot check.
    public var after: AfterAction
    /// Wifi setup through the board's setup access point, after the boot check.
    public var wifi: WifiStep?
    /// Commissioning over MQTT, after wifi setup.
    public var commissioning: CommissioningCheck?

    public init(bootCheck: Bool = true, after: AfterAction = .hardReset, wifi: WifiStep? = nil, commissioning: CommissioningCheck? = nil) {
        self.bootCheck = bootCheck
        self.after = after
        self.wifi = wifi
        self.commissioning = commissioning
    }
}

/// The one way a board is provisioned, for `mlprov provision`, `flash`, the station's slots
/// and the demo alike: connect and identify → the device it becomes (its record) → firmware
/// (cache or make) → flash plan → flash → record → boot check → wifi → commissioning →
/// record. Each step reports `ProvisioningEvent`s; the first failure ends the run with a
/// typed error, recorded against the device when one was claimed. The board's serial
/// conversation and its ledger calls run on one thread of its own.
public struct BoardProvisioner: Sendable {
    public let profile: InstallationProfile
    public let builder: FirmwareBuilder
    public let loader: LoaderSettings
    public let steps: ProvisioningSteps
    public let record: any DeviceRecord
    /// One wifi setup at a time (the laptop has one wifi adapter); shared across a station.
    public let wifiTurn: AsyncSemaphore

    public init(
        profile: InstallationProfile, builder: FirmwareBuilder, loader: LoaderSettings, steps: ProvisioningSteps,
        record: any DeviceRecord, wifiTurn: AsyncSemaphore = AsyncSemaphore(1)
    ) {
        self.profile = profile
        self.builder = builder
        self.loader = loader
        self.steps = steps
        self.record = record
        self.wifiTurn = wifiTurn
    }

    /// Provisions the board on `port` (a link given stays open afterwards). Stopping `stop` aborts whatever the board is doing
    /// within a read slice; the failure then says `stop`'s reason.
    public func run(
        on port: BoardPort, stop: StopToken = StopToken(), events: @escaping @Sendable (ProvisioningEvent) -> Void = { _ in }
    ) async throws(BoardProvisioningError) -> ProvisioningResult {
        let thread = ConversationThread(name: "board \(port.name)")
        defer { thread.finish() }
        let ledger = LedgerCalls(thread: thread)
        let onBoard = BoardThreadCalls(thread: thread, stop: stop)

        // A device known before any board (`flash`'s, the demo's) is built first: a failing
        // build then leaves the board as it was.
        var prebuilt: (device: Device, key: DeviceKey, outcome: BuildOutcome)?
        if let (device, key) = try await record.deviceBeforeConnecting(ledger: ledger) {
            prebuilt = (device, key, try await build(device, key: key, events: events))
        }

        events(.phase(.connecting))
        let connectStarted = ContinuousClock.now
        let loader = self.loader
        let connection = try await onBoard { () throws(FlasherError) in
            try Self.connect(port, loader: loader, stop: stop) { events(.flash($0)) }
        }
        // A port opened here is closed here; a link given stays the caller's (a twin's
        // in-process cable also powers the twin: closing it pulls the cable).
        defer { if case .path = port { connection.close() } }
        let board = BoardIdentity(mac: connection.identity.mac, chipID: connection.identity.chipID)
        events(.identified(board))

        events(.phase(.claiming))
        let claim = try await record.claim(board, prepared: prebuilt.map { ($0.device, $0.key) }, ledger: ledger)
        guard case .provision(let device, let key) = claim else {
            if case .alreadyProvisioned(let serial) = claim { events(.device(serial)) }
            return ProvisioningResult(board: board, claim: claim)
        }
        events(.device(device.serial))
        do {
            let firmware: BuildOutcome
            if let prebuilt, prebuilt.device.serial == device.serial, prebuilt.key == key {
                firmware = prebuilt.outcome
            } else {
                firmware = try await build(device, key: key, events: events)
            }
            return try await provision(
                device, key: key, firmware: firmware, board: board, connection: connection, connectStarted: connectStarted, onBoard: onBoard,
                ledger: ledger, stop: stop, events: events)
        } catch {
            let failure = stop.reason.map { BoardProvisioningError.stopped(reason: $0) } ?? error
            if case .ledger(.takenOver) = error { throw error }  // not this board's to record
            do {
                try await record.failed(device.serial, board: board, reason: failure.description, ledger: ledger)
            } catch let recording {
                throw BoardProvisioningError.notRecorded(failure: failure, recording: recording)
            }
            throw failure
        }
    }

    /// The device's firmware, from the cache or built.
    private func build(_ device: Device, key: DeviceKey, events: @Sendable (ProvisioningEvent) -> Void) async throws(BoardProvisioningError) -> BuildOutcome {
        events(.phase(.building))
        do {
            let outcome = try await builder.build(try BuildRequest(profile: profile, device: device, key: key))
            events(.firmware(outcome))
            return outcome
        } catch {
            throw .build(error)
        }
    }

    private func provision(
        _ device: Device, key: DeviceKey, firmware outcome: BuildOutcome, board: BoardIdentity, connection: BoardConnection,
        connectStarted: ContinuousClock.Instant, onBoard: BoardThreadCalls, ledger: LedgerCalls,
        stop: StopToken, events: @escaping @Sendable (ProvisioningEvent) -> Void
    ) async throws(BoardProvisioningError) -> ProvisioningResult {
        let variant = profile.variant(for: device)
        var result = ProvisioningResult(board: board, claim: .provision(device, key))

        result.firmware = outcome
        try Self.stopIfAsked(stop)
        let plan: FlashPlan
        do { plan = try FlashPlan(artefacts: outcome.artefacts, flash: profile.flash) } catch { throw .build(error) }

        events(.planned(plan))
        events(.phase(.flashing))
        try await onBoard { () throws(FlasherError) in try connection.write(plan) { events(.flash($0)) } }
        result.flashSeconds = (ContinuousClock.now - connectStarted).seconds
        result.loader = connection.usedStub ? .stub : .rom
        result.plan = plan
        try await record.flashed(device.serial, board: board, ledger: ledger)

        if steps.bootCheck {
            events(.phase(.booting))
            let (action, log) = try await onBoard { () throws(FlasherError) in try connection.finishCapturingBootLog(.hardReset) }
            events(.flash(.finished(action)))
            result.after = action
            result.bootLog = log
            events(.bootLog(log))
            try BootIdentity.verify(log, serial: device.serial, meter: variant.meter)
        } else {
            let after = steps.after
            let action = try await onBoard { () throws(FlasherError) in try connection.finish(after) }
            events(.flash(.finished(action)))
            result.after = action
            result.flashSeconds = (ContinuousClock.now - connectStarted).seconds
        }

        if let wifi = steps.wifi {
            events(.phase(.wifi))
            try Self.stopIfAsked(stop)
            let outcome: Result<Void, BoardProvisioningError> = await wifiTurn.withPermit {
                do throws(BoardProvisioningError) { return .success(try await wifi.run(device: device, key: key, meter: variant.meter)) } catch { return .failure(error) }
            }
            try outcome.get()
        }
        if let commissioning = steps.commissioning {
            events(.phase(.commissioning))
            try Self.stopIfAsked(stop)
            let report = await commissioning.run(device.serial, key)
            result.commissioning = report
            guard report.passed else {
                let step = report.firstFailure
                throw .commissioningFailed(step: step?.name ?? "?", detail: step?.detail ?? "no steps ran")
            }
        }
        try await record.provisioned(device.serial, board: board, commissioned: result.commissioning?.passed == true, ledger: ledger)
        return result
    }

    /// Opens the board's port (or takes its link), enters the loader and identifies the chip.
    private static func connect(
        _ port: BoardPort, loader: LoaderSettings, stop: StopToken, progress: (FlashEvent) -> Void
    ) throws(FlasherError) -> BoardConnection {
        switch port {
        case .path(let path):
            try BoardConnection.open(
                port: path, baud: loader.baud, reset: loader.reset, attempts: loader.attempts, stub: loader.stub, stop: stop, progress: progress)
        case .link(let link):
            try BoardConnection.open(
                link: link, port: link.name, reset: loader.reset, attempts: loader.attempts, stub: loader.stub, stop: stop, progress: progress)
        }
    }

    private static func stopIfAsked(_ stop: StopToken) throws(BoardProvisioningError) {
        if let reason = stop.reason { throw .stopped(reason: reason) }
    }
}

/// Runs a board's blocking loader work on its conversation thread, errors typed.
struct BoardThreadCalls: Sendable {
    let thread: ConversationThread
    let stop: StopToken

    func callAsFunction<T: Sendable>(_ body: @escaping @Sendable () throws(FlasherError) -> T) async throws(BoardProvisioningError) -> T {
        do {
            return try await thread.run { try body() }
        } catch let error as FlasherError {
            throw stop.reason.map { .stopped(reason: $0) } ?? .connection(error)
        } catch {
            throw .stopped(reason: stop.reason ?? "the board's work ended")
        }
    }
}
