import ESPFlasher
import FirmwareBuild
import MeterLogger
import Provisioning

/// A step of one board's provisioning, as the pipeline reports it.
public enum ProvisioningStep: String, Sendable {
    /// Opening the port, resetting into the ROM loader, reading MAC and chip id.
    case connecting
    /// Asking the record (the ledger, or the technician) which device the board becomes.
    case claiming
    /// Building the device's firmware (or taking it from the cache).
    case building
    case flashing
    /// Leaving the loader and reading the boot text for the firmware's identity.
    case booting
    /// Giving the board the site's wifi through its setup access point.
    case wifi
    /// Checking over MQTT that the board is online with its key.
    case commissioning
}

/// What the pipeline tells while it works; the caller renders it (the library never prints).
public enum ProvisioningEvent: Sendable {
    case phase(ProvisioningStep)
    /// The board's MAC and chip id, read from the ROM.
    case identified(BoardIdentity)
    /// The device the board becomes (or already is).
    case device(MeterSerial)
    /// The firmware is ready: from the cache or built.
    case firmware(BuildOutcome)
    /// The plan about to be written (its parts at their offsets).
    case planned(FlashPlan)
    /// A loader event: connecting, erasing, writing progress, the stub, leaving the loader.
    case flash(FlashEvent)
    /// What the board printed while booting (the ROM's boot log, then the firmware's).
    case bootLog(String)
}

/// What one board's provisioning did.
public struct ProvisioningResult: Sendable {
    public enum Loader: String, Sendable {
        /// mlprov's flasher stub wrote (compressed, each part verified by MD5).
        case stub
        /// The ROM loader alone wrote.
        case rom
    }

    public let board: BoardIdentity
    public let claim: DeviceClaim
    public var firmware: BuildOutcome?
    public var plan: FlashPlan?
    public var loader: Loader?
    /// From the start of connecting to the parts written (and, without a boot check, the
    /// board left as asked): what `flash` reports, as it always has.
    public var flashSeconds: Double?
    /// How the board was left.
    public var after: AfterAction?
    public var bootLog: String?
    public var commissioning: CommissioningReport?

    init(board: BoardIdentity, claim: DeviceClaim) {
        self.board = board
        self.claim = claim
    }

    /// The device's serial.
    public var serial: MeterSerial {
        switch claim {
        case .provision(let device, _): device.serial
        case .alreadyProvisioned(let serial): serial
        }
    }

    /// True when the board was already provisioned and nothing was done.
    public var wasAlreadyProvisioned: Bool {
        if case .alreadyProvisioned = claim { true } else { false }
    }
}

/// A plan's progress in percent from its flash events (parts finished plus the part in flight).
public struct FlashProgress: Sendable {
    private let total: Int
    private var finishedParts = 0

    public init(plan totalBytes: Int) { total = max(1, totalBytes) }

    /// The new percentage when `event` moves it, else nil.
    public mutating func percent(after event: FlashEvent) -> Int? {
        let done: Int
        switch event {
        case .writing(_, let written, _): done = finishedParts + written
        case .partWritten(_, _, let bytes, _):
            finishedParts += bytes
            done = finishedParts
        default: return nil
        }
        return min(100, done * 100 / total)
    }
}
