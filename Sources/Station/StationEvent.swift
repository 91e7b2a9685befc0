/// Where a slot's board stands. The CLI renders these; the library never prints.
public enum StationPhase: Sendable, Equatable {
    /// No board on the slot, or its last board is finished and the slot waits for the next.
    case waiting
    /// Opening the port, resetting into the ROM loader, reading MAC and chip id.
    case connecting
    /// Asking the ledger (or the technician) which device the board becomes.
    case claiming
    /// Building the device's firmware (or taking it from the cache).
    case building
    /// Writing the firmware; `percent` of the plan's bytes are on the chip.
    case flashing(percent: Int)
    /// Leaving the loader and reading the boot text for the firmware's identity.
    case booting
    /// Giving the board the site's wifi through its setup access point.
    case wifi
    /// Checking over MQTT that the board is online with its key.
    case commissioning
    case done
    case failed(reason: String)

    /// The phase's name as JSON and the table show it.
    public var name: String {
        switch self {
        case .waiting: "waiting"
        case .connecting: "connecting"
        case .claiming: "claiming"
        case .building: "building"
        case .flashing: "flashing"
        case .booting: "booting"
        case .wifi: "wifi"
        case .commissioning: "commissioning"
        case .done: "done"
        case .failed: "failed"
        }
    }

    /// 0…100 over the whole provisioning of the board, for a progress column.
    public var percent: Int? {
        switch self {
        case .flashing(let percent): percent
        case .done: 100
        default: nil
        }
    }

    /// True for the two phases a board's work ends in.
    public var isFinal: Bool {
        switch self {
        case .done, .failed: true
        default: false
        }
    }
}

/// One change on one slot.
public struct StationEvent: Sendable, Equatable {
    /// The slot: the port's by-path name when udev made one, else the port as given.
    public let slot: String
    /// The tty the board is on.
    public let port: String
    public let phase: StationPhase
    /// The device (meter serial) the board is becoming, once known.
    public let serial: String?
    /// The board's MAC, once read.
    public let mac: String?
    /// The outcome in words: "ok", "already provisioned", or why it failed.
    public let result: String?
    /// With a failure: what the technician can try (the failing library's help line).
    public let help: String?

    public init(
        slot: String, port: String, phase: StationPhase, serial: String? = nil, mac: String? = nil, result: String? = nil,
        help: String? = nil
    ) {
        self.slot = slot
        self.port = port
        self.phase = phase
        self.serial = serial
        self.mac = mac
        self.result = result
        self.help = help
    }
}

/// What one board's work came to.
public struct BoardOutcome: Sendable, Equatable {
    public let slot: String
    public let serial: String?
    public let mac: String?
    /// Nil when the board is done; else why it failed.
    public let failure: String?
    /// The profile (and the technician) had no device left for the board.
    public let exhausted: Bool
    /// With a failure: what the technician can try.
    public var help: String? = nil

    public var succeeded: Bool { failure == nil }
}

/// What a station run did.
public struct StationSummary: Sendable, Equatable {
    public var outcomes: [BoardOutcome] = []
    /// The run ended because it was interrupted (Ctrl-C).
    public var interrupted = false

    public var done: [BoardOutcome] { outcomes.filter(\.succeeded) }
    public var failed: [BoardOutcome] { outcomes.filter { !$0.succeeded } }
}
