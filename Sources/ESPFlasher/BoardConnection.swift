import Basics
import ESPImage
import ESPProtocol
import SerialLink

/// A board in its ROM loader on a port: opened, reset, synced and identified. The one
/// place where a flash plan goes to the board (`write`), for the station and the CLI's
/// flash commands alike, so that a faster path (a flasher stub) is switched on here once.
///
/// Blocking by design (the loader session owns its thread for the length of a job); one
/// job uses a connection at a time.
public final class BoardConnection: @unchecked Sendable {
    // @unchecked: the session is used by one job at a time, on that job's thread.
    public let session: LoaderSession
    public let chip: ChipInfo
    /// The port as given.
    public let port: String

    /// The flasher stub `write` starts first (nil: the ROM loader alone).
    public let stub: FlasherStub?
    /// How the board was put into the loader: also how it is brought back when the stub
    /// does not start.
    let reset: ResetStrategy
    let attempts: Int

    init(session: LoaderSession, chip: ChipInfo, port: String, stub: FlasherStub?, reset: ResetStrategy, attempts: Int) {
        self.session = session
        self.chip = chip
        self.port = port
        self.stub = stub
        self.reset = reset
        self.attempts = attempts
    }

    /// Opens `port` at `baud`, enters the loader with `reset` (esptool's retry discipline)
    /// and reads the chip's identity. With a `stop` token, stopping it aborts whatever the
    /// connection is doing. `progress` hears each attempt and the identity. `stub` is the
    /// flasher stub `write` uploads first (mlprov's own by default; nil for the ROM alone).
    public static func open(
        port: String, baud: Int, reset: ResetStrategy, attempts: Int = LoaderSession.defaultConnectAttempts,
        stub: FlasherStub? = .mlprov, stop: StopToken? = nil, progress: (FlashEvent) -> Void = { _ in }
    ) throws(FlasherError) -> BoardConnection {
        let serial: SerialPort
        do { serial = try SerialPort(path: port, baud: baud) } catch { throw .link(error) }
        do {
            return try open(link: serial, port: port, reset: reset, attempts: attempts, stub: stub, stop: stop, progress: progress)
        } catch {
            serial.close()  // opened here, so closed here
            throw error
        }
    }

    /// The same over a link already open (an in-process link to a twin, whose DTR/RTS reach
    /// its reset circuit; a relay): enters the loader with `reset`, reads the chip's
    /// identity. `port` names the board in what the connection reports. The link stays the
    /// caller's when the connection fails (a twin's cable also powers it); `close()` closes it.
    public static func open(
        link base: any ByteLink, port: String, reset: ResetStrategy, attempts: Int = LoaderSession.defaultConnectAttempts,
        stub: FlasherStub? = .mlprov, stop: StopToken? = nil, progress: (FlashEvent) -> Void = { _ in }
    ) throws(FlasherError) -> BoardConnection {
        let link: any ByteLink = stop.map { StoppableLink(base, token: $0) } ?? base
        let session = LoaderSession(link: link)
        try session.connect(reset: reset, attempts: attempts, progress: progress)
        let chip = try session.readChipInfo()
        progress(.connected(chip))
        return BoardConnection(session: session, chip: chip, port: port, stub: stub, reset: reset, attempts: attempts)
    }

    /// The board's identity as the ledger records it.
    public var identity: (mac: String, chipID: String) { (chip.mac.description, hex(chip.chipID)) }

    /// Writes every part of `plan`: through the flasher stub (compressed, each part verified
    /// by MD5) once it runs, else through the ROM loader. The stub is started on the first
    /// write; when it does not greet, the board is reset back into the ROM and the write
    /// goes on without it (`.stubFallback`).
    public func write(_ plan: FlashPlan, progress: (FlashEvent) -> Void = { _ in }) throws(FlasherError) {
        try startStubUnlessRefused(progress: progress)
        try session.write(plan, progress: progress)
    }

    /// Erases `region` as `write` writes: through the stub (exactly the region) once it
    /// runs, else through the ROM loader (its erase bug included, refused where it would
    /// reach past the chip or into a protected region). Returns what was erased.
    public func erase(_ region: EraseRegion, progress: (FlashEvent) -> Void = { _ in }) throws(FlasherError) -> Range<Int> {
        try startStubUnlessRefused(progress: progress)
        return try session.erase(region)
    }

    /// Starts the stub the first time it is needed; when it does not greet, the board is
    /// reset back into the ROM (`.stubFallback`) and it is not tried again.
    private func startStubUnlessRefused(progress: (FlashEvent) -> Void) throws(FlasherError) {
        if let stub, session.runningStub == nil, !stubRefused {
            stubRefused = try !session.startStubOrFallBack(stub, reset: reset, attempts: attempts, progress: progress)
        }
        usedStub = session.runningStub != nil
    }

    /// Set when the stub did not start on this connection: it is not tried again.
    private var stubRefused = false

    /// Whether the last `write` went through the stub.
    public private(set) var usedStub = false

    /// Leaves the board as `action` says; returns the action really taken.
    @discardableResult
    public func finish(_ action: AfterAction) throws(FlasherError) -> AfterAction {
        try session.finish(action)
    }

    /// Leaves the board as `action` says and returns what it prints while booting.
    public func finishCapturingBootLog(_ action: AfterAction) throws(FlasherError) -> (action: AfterAction, log: String) {
        try session.finishCapturingBootLog(action)
    }

    public func close() {
        session.link.close()
    }
}

/// What writing a plan to a board did.
public struct FlashRun: Sendable, Equatable {
    /// How the board was really left.
    public let after: AfterAction
    /// True when mlprov's stub wrote (compressed, each part verified by MD5).
    public let usedStub: Bool
}

extension BoardConnection {
    /// Writes every part of `plan` (through the stub when it starts, else the ROM loader)
    /// and leaves the board as `after` says: esptool's write-flash, for one board.
    public func flash(_ plan: FlashPlan, after: AfterAction, progress: (FlashEvent) -> Void = { _ in }) throws(FlasherError) -> FlashRun {
        try write(plan, progress: progress)
        let action = try finish(after)
        progress(.finished(action))
        return FlashRun(after: action, usedStub: usedStub)
    }
}
