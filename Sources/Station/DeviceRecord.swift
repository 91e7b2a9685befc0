import ESPFlasher
import Foundation
import MeterLogger
import Provisioning

/// Which device a board becomes, with its key, as a pipeline's record decided it.
public enum DeviceClaim: Sendable {
    /// Provision the board as `device` with `key`.
    case provision(Device, DeviceKey)
    /// The board is already provisioned as this serial: nothing to do.
    case alreadyProvisioned(MeterSerial)
}

/// Where a board's provisioning is recorded, and how it learns its device: the ledger's
/// station claims, the ledger's key for a named device, or nothing at all (the demo).
/// Every ledger transaction a record makes goes through its `LedgerCalls`, which run it on
/// the board's conversation thread (`ConversationThread`), where a blocking SQLite
/// transaction stalls no other board; the rest (asking the technician) is async.
public protocol DeviceRecord: Sendable {
    /// The device and key when they are known before any board is connected (a named device
    /// with its key): the pipeline then builds first, so that a failing build leaves the
    /// board untouched. Nil when the board's identity decides (the station).
    func deviceBeforeConnecting(ledger: LedgerCalls) async throws(BoardProvisioningError) -> (Device, DeviceKey)?
    /// The device `board` becomes; `prepared` is what `deviceBeforeConnecting` returned, if
    /// anything. `ledger` runs a blocking ledger call on the board's thread.
    func claim(_ board: BoardIdentity, prepared: (Device, DeviceKey)?, ledger: LedgerCalls) async throws(BoardProvisioningError) -> DeviceClaim
    /// The firmware is on the board.
    func flashed(_ serial: MeterSerial, board: BoardIdentity, ledger: LedgerCalls) async throws(BoardProvisioningError)
    /// Every step passed; `commissioned` when commissioning ran and passed.
    func provisioned(_ serial: MeterSerial, board: BoardIdentity, commissioned: Bool, ledger: LedgerCalls) async throws(BoardProvisioningError)
    /// A step failed after the claim; `reason` never holds a key.
    func failed(_ serial: MeterSerial, board: BoardIdentity, reason: String, ledger: LedgerCalls) async throws(BoardProvisioningError)
}

extension DeviceRecord {
    public func deviceBeforeConnecting(ledger: LedgerCalls) async throws(BoardProvisioningError) -> (Device, DeviceKey)? { nil }
}

/// Runs blocking ledger calls on a board's conversation thread, their errors typed.
public struct LedgerCalls: Sendable {
    let thread: ConversationThread

    public func callAsFunction<T: Sendable>(_ body: @escaping @Sendable () throws(KeyStoreError) -> T) async throws(BoardProvisioningError) -> T {
        do {
            return try await thread.run { try body() }
        } catch let error as KeyStoreError {
            throw .ledger(error)
        } catch {
            throw .stopped(reason: "the board's work ended")
        }
    }
}

/// The station's record, also `mlprov provision`'s: each board is tied to its device in the
/// ledger (one transaction, with the key, before anything is written), so that two boards
/// never get one device and a re-plugged board or a restarted run continues.
public struct LedgerAssignment: DeviceRecord {
    /// How the device is chosen when the ledger does not tie the board to one yet.
    public enum Choice: Sendable {
        /// The profile's next device not yet provisioned; then the technician, when one is
        /// there (`askFirst`: the technician for every board).
        case profileOrder(askFirst: Bool)
        /// This device (`mlprov provision --serial`).
        case device(Device)
    }

    public let ledger: KeyStore
    public let profile: InstallationProfile
    public let slot: String
    public let choice: Choice
    public let technician: (any TechnicianDesk)?
    /// One question to the technician at a time, shared by every slot of a station.
    public let askTurn: AsyncSemaphore
    /// Stops the questions when the board's work is stopped.
    public let stop: StopToken

    /// How often the technician may give an unusable serial before the board fails.
    public static let serialAttempts = 3

    public init(
        ledger: KeyStore, profile: InstallationProfile, slot: String, choice: Choice, technician: (any TechnicianDesk)? = nil,
        askTurn: AsyncSemaphore = AsyncSemaphore(1), stop: StopToken
    ) {
        self.ledger = ledger
        self.profile = profile
        self.slot = slot
        self.choice = choice
        self.technician = technician
        self.askTurn = askTurn
        self.stop = stop
    }

    public func claim(_ board: BoardIdentity, prepared: (Device, DeviceKey)?, ledger calls: LedgerCalls) async throws(BoardProvisioningError) -> DeviceClaim {
        let (store, profile, slot) = (ledger, profile, slot)
        let claim: StationClaim
        switch choice {
        case .device(let device):
            claim = try await calls { () throws(KeyStoreError) in
                try store.claim(device, for: board, slot: slot, installation: profile.name, source: profile.file)
            }
        case .profileOrder(let askFirst):
            let candidates = askFirst ? [] : profile.devices
            claim = try await calls { () throws(KeyStoreError) in
                try store.claimNextDevice(for: board, slot: slot, candidates: candidates, installation: profile.name, source: profile.file)
            }
            if case .exhausted = claim, technician != nil {
                return try await askTechnician(board, profileExhausted: !askFirst, ledger: calls)
            }
        }
        return try deviceClaim(claim)
    }

    private func deviceClaim(_ claim: StationClaim) throws(BoardProvisioningError) -> DeviceClaim {
        switch claim {
        case .finished(let done): return .alreadyProvisioned(done.serial)
        case .claimed(let row, let issued), .resumed(let row, let issued):
            let device = profile.device(serial: row.serial.text) ?? Device(serial: row.serial, key: .given(issued.key))
            return .provision(device, issued.key)
        case .exhausted: throw .profileExhausted(installation: profile.name)
        }
    }

    /// Asks the technician for the board's serial (typed or scanned), one question at a
    /// time across the station, and claims it; an unusable answer is asked again.
    private func askTechnician(_ board: BoardIdentity, profileExhausted: Bool, ledger calls: LedgerCalls) async throws(BoardProvisioningError) -> DeviceClaim {
        guard let technician else { throw .profileExhausted(installation: profile.name) }
        let (store, profile, slot) = (ledger, profile, slot)
        var problem: String?
        for _ in 0..<Self.serialAttempts {
            try stopIfAsked()
            let request = SerialRequest(slot: slot, mac: board.mac, profileExhausted: profileExhausted, problem: problem)
            let given = await askTurn.withPermit { await technician.serial(for: request) }
            try stopIfAsked()
            guard let answer = given?.trimmingCharacters(in: .whitespacesAndNewlines), !answer.isEmpty else {
                throw .noSerialGiven
            }
            guard let serial = MeterSerial(answer) else {
                problem = "\"\(answer)\" is not a meter serial (1 to 10 digits)"
                continue
            }
            let device = profile.device(serial: serial.text) ?? Device(serial: serial, key: .generate)
            do {
                let claim = try await calls { () throws(KeyStoreError) in
                    try store.claim(device, for: board, slot: slot, installation: profile.name, source: profile.file)
                }
                return try deviceClaim(claim)
            } catch .ledger(let error) {
                switch error {
                case .alreadyProvisioned, .boardTaken, .serialInProgress, .keyConflict: problem = error.description
                default: throw .ledger(error)
                }
            }
        }
        throw .noSerialGiven
    }

    private func stopIfAsked() throws(BoardProvisioningError) {
        if let reason = stop.reason { throw .stopped(reason: reason) }
    }

    public func flashed(_ serial: MeterSerial, board: BoardIdentity, ledger calls: LedgerCalls) async throws(BoardProvisioningError) {
        let store = ledger
        try await calls { () throws(KeyStoreError) in try store.markAssignmentFlashed(serial: serial, board: board) }
    }

    public func provisioned(_ serial: MeterSerial, board: BoardIdentity, commissioned: Bool, ledger calls: LedgerCalls) async throws(BoardProvisioningError) {
        let store = ledger
        try await calls { () throws(KeyStoreError) in try store.markProvisioned(serial: serial, board: board, commissioned: commissioned) }
    }

    public func failed(_ serial: MeterSerial, board: BoardIdentity, reason: String, ledger calls: LedgerCalls) async throws(BoardProvisioningError) {
        let store = ledger
        try await calls { () throws(KeyStoreError) in try store.markAssignmentFailed(serial: serial, board: board, reason: reason) }
    }
}

/// `mlprov flash`'s record: the named device's key comes from the ledger (recorded there
/// first when the profile generates it), and the flash is noted against its serial with
/// the board's MAC and chip id; no station assignment is made.
public struct LedgerKeyOnly: DeviceRecord {
    public let ledger: KeyStore
    public let profile: InstallationProfile
    public let device: Device

    public init(ledger: KeyStore, profile: InstallationProfile, device: Device) {
        self.ledger = ledger
        self.profile = profile
        self.device = device
    }

    public func deviceBeforeConnecting(ledger calls: LedgerCalls) async throws(BoardProvisioningError) -> (Device, DeviceKey)? {
        let (store, profile, device) = (ledger, profile, device)
        let key = try await calls { () throws(KeyStoreError) in try KeyResolver(store: store).key(for: device, in: profile) }
        return (device, key)
    }

    public func claim(_ board: BoardIdentity, prepared: (Device, DeviceKey)?, ledger calls: LedgerCalls) async throws(BoardProvisioningError) -> DeviceClaim {
        if let (device, key) = prepared { return .provision(device, key) }
        guard let (device, key) = try await deviceBeforeConnecting(ledger: calls) else { throw .profileExhausted(installation: profile.name) }
        return .provision(device, key)
    }

    public func flashed(_ serial: MeterSerial, board: BoardIdentity, ledger calls: LedgerCalls) async throws(BoardProvisioningError) {
        let store = ledger
        try await calls { () throws(KeyStoreError) in try store.markFlashed(serial: serial, mac: board.mac, chipID: board.chipID) }
    }

    public func provisioned(_ serial: MeterSerial, board: BoardIdentity, commissioned: Bool, ledger calls: LedgerCalls) async throws(BoardProvisioningError) {
        guard commissioned else { return }
        let store = ledger
        try await calls { () throws(KeyStoreError) in try store.markCommissioned(serial: serial) }
    }

    public func failed(_ serial: MeterSerial, board: BoardIdentity, reason: String, ledger calls: LedgerCalls) async throws(BoardProvisioningError) {}
}

/// No record at all: a device whose key is given (the demo's twin).
public struct UnrecordedDevice: DeviceRecord {
    public let device: Device
    public let key: DeviceKey

    public init(device: Device, key: DeviceKey) {
        self.device = device
        self.key = key
    }

    public func deviceBeforeConnecting(ledger: LedgerCalls) async throws(BoardProvisioningError) -> (Device, DeviceKey)? {
        (device, key)
    }

    public func claim(_ board: BoardIdentity, prepared: (Device, DeviceKey)?, ledger: LedgerCalls) async throws(BoardProvisioningError) -> DeviceClaim {
        .provision(device, key)
    }
    public func flashed(_ serial: MeterSerial, board: BoardIdentity, ledger: LedgerCalls) async throws(BoardProvisioningError) {}
    public func provisioned(_ serial: MeterSerial, board: BoardIdentity, commissioned: Bool, ledger: LedgerCalls) async throws(BoardProvisioningError) {}
    public func failed(_ serial: MeterSerial, board: BoardIdentity, reason: String, ledger: LedgerCalls) async throws(BoardProvisioningError) {}
}
