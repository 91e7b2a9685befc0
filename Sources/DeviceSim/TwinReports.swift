import ESPProtocol

/// What the chip is doing.
public enum ChipState: Sendable, Equatable, CustomStringConvertible {
    /// No front connected: the board has no power.
    case poweredOff
    /// EN is low (or has just risen and the chip has not left reset yet).
    case inReset
    /// The ROM loader is running and answers commands.
    case download
    /// FLASH_END was answered; the chip is about to reboot or run the code in flash.
    case leavingLoader
    /// The application from flash runs; ROM traffic is ignored until the next reset.
    case runningApp
    /// The boot from flash failed (blank flash, bad image, checksum error): halted.
    case halted
    /// MEM_END(execute) jumped to a RAM program; the twin runs it as an esptool-compatible
    /// flasher stub (`StubLoaderEngine`) until a reset, FLASH_END(0) or RUN_USER_CODE.
    case runningRAM(entry: UInt32)

    public var description: String {
        switch self {
        case .poweredOff: "powered off"
        case .inReset: "in reset"
        case .download: "ROM download mode"
        case .leavingLoader: "leaving the loader"
        case .runningApp: "running the application"
        case .halted: "halted"
        case .runningRAM(let entry): "running a RAM program at 0x\(String(entry, radix: 16))"
        }
    }
}

/// Running totals of what the twin has done, for tests and benchmarks. Times are the
/// modelled ones (`TimingModel`), whether or not the twin slept for them.
public struct TwinCounters: Sendable, Equatable {
    /// Bytes that came off the wire (before faults were applied).
    public var bytesReceived = 0
    /// Bytes written to the wire: replies and boot logs.
    public var bytesSent = 0
    /// Requests the ROM loader answered, by opcode (failures included).
    public var commands: [Opcode: Int] = [:]
    /// Requests answered with status "failed".
    public var failedCommands = 0
    /// Frames ignored as line noise (wrong rate) or damaged.
    public var ignoredFrames = 0
    /// Individual 4 KiB sector erases and 64 KiB block erases the ROM performed.
    public var sectorErases = 0
    public var blockErases = 0
    /// Sectors erased in all (a block counts 16).
    public var sectorsErased = 0
    /// Bytes programmed by FLASH_DATA.
    public var bytesProgrammed = 0
    /// Modelled time spent erasing and programming flash.
    public var flashBusyTime: Duration = .zero
    /// Modelled time WRITE_REG delays asked for.
    public var registerDelayTime: Duration = .zero
    /// Modelled line time of the bytes received and sent (10 bits a byte at the line rate).
    public var receiveLineTime: Duration = .zero
    public var sendLineTime: Duration = .zero
    /// Boots performed (download mode or from flash).
    public var boots = 0

    public init() {}

    /// All modelled time the chip was busy with a command (flash work and requested delays).
    public var busyTime: Duration { flashBusyTime + registerDelayTime }

    /// How many times `opcode` was answered.
    public func count(_ opcode: Opcode) -> Int { commands[opcode] ?? 0 }
}

/// Something that happened on the twin, for a CLI to render or a test to inspect. The twin
/// itself never prints.
public enum TwinEvent: Sendable, Equatable, CustomStringConvertible {
    /// A front connected: power applied.
    case poweredOn(front: String)
    /// EN went low: the chip is held in reset.
    case resetAsserted
    /// The chip came out of reset (or left the loader) and booted.
    case booted(mode: TwinBootMode, outcome: BootRecord.Outcome)
    /// A request was answered; `error` is set when it failed.
    case request(Opcode, error: ROMErrorCode?)
    /// A RAM program started and runs as a flasher stub (it sent OHAI).
    case stubStarted(entry: UInt32)
    /// The flasher stub answered a request; `error` is set when it failed.
    case stubRequest(Opcode, error: StubErrorCode?)
    /// A frame was not answered.
    case ignored(ROMLoaderEngine.Ignored)
    /// A line fault fired.
    case faultFired(FaultPlan.LineFault)
    /// The front went away (cable pulled, host closed, stopped): power is gone.
    case frontClosed(front: String)

    public var description: String {
        switch self {
        case .poweredOn(let front): "power on (\(front))"
        case .resetAsserted: "EN low: chip held in reset"
        case .booted(let mode, let outcome): "boot (\(mode)): \(outcome)"
        case .request(let opcode, let error): "\(opcode)" + (error.map { " failed: \($0)" } ?? " ok")
        case .stubStarted(let entry): "RAM program at 0x\(String(entry, radix: 16)) runs as a flasher stub"
        case .stubRequest(let opcode, let error): "stub \(opcode)" + (error.map { " failed: \($0)" } ?? " ok")
        case .ignored(.damagedFrame): "damaged frame ignored"
        case .ignored(.lineNoise(let baud)): "frame at \(baud) baud heard as noise"
        case .faultFired(let fault): "fault: \(fault)"
        case .frontClosed(let front): "front closed (\(front))"
        }
    }
}
