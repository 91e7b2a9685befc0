import ESPImage
import ESPProtocol
import SerialLink
import Synchronization

/// The device twin: an ESP8266 with its ROM loader, SPI flash, reset circuit, timing and
/// fault models, served to clients over an in-process link (`connectInProcess()`) or a
/// pseudo-terminal (`servePseudoTerminal()`). esptool accepts it as a real chip.
///
/// Thread-safe: all state sits behind one lock; each front serves its link on its own
/// thread and never sleeps while holding the lock. Only one front is active at a time:
/// connecting a new one powers the board down on the old one first (a replug), and flash
/// survives it. The twin never prints; read `events`, `boots`, `counters`, or set
/// `onEvent`.
public final class ESP8266Twin: Sendable {
    /// How many events and boot records the twin keeps (the oldest are dropped).
    public static let eventHistoryLimit = 1024
    public static let bootHistoryLimit = 64

    private let state: Mutex<TwinState>
    public let configuration: TwinConfiguration

    /// A twin with blank flash.
    public init(configuration: TwinConfiguration = TwinConfiguration()) {
        self.configuration = configuration
        state = Mutex(TwinState(configuration: configuration, flash: FlashMemory(size: configuration.flashSize.bytes)))
    }

    /// A twin whose flash starts with `contents` (erased after it, as a dump read back
    /// from a board); throws when it is larger than the configured flash.
    public init(configuration: TwinConfiguration = TwinConfiguration(), flashContents contents: [UInt8]) throws(FlashMemoryError) {
        let flash = try FlashMemory(size: configuration.flashSize.bytes, image: contents)
        self.configuration = configuration
        state = Mutex(TwinState(configuration: configuration, flash: flash))
    }

    // MARK: Flash

    /// A snapshot of the flash chip.
    public var flash: FlashMemory { state.withLock { $0.flash } }

    /// Changes the flash directly (test set-up: prefill a pattern, corrupt a byte).
    public func withFlash<R: Sendable>(_ body: (inout FlashMemory) throws(FlashMemoryError) -> R) throws(FlashMemoryError) -> R {
        try state.withLock { (state) throws(FlashMemoryError) -> R in try body(&state.flash) }
    }

    /// Replaces the flash content with a dump file (shorter files leave the rest erased).
    public func loadFlash(fromFile path: String) throws(FlashMemoryError) {
        let loaded = try FlashMemory(size: configuration.flashSize.bytes, contentsOfFile: path)
        state.withLock { $0.flash = loaded }
    }

    /// Writes the whole flash content to a file.
    public func dumpFlash(toFile path: String) throws(FlashMemoryError) {
        try flash.dump(toFile: path)
    }

    // MARK: What the twin reports

    public var chipState: ChipState { state.withLock { $0.chip } }
    public var counters: TwinCounters { state.withLock { $0.counters } }
    public func resetCounters() { state.withLock { $0.counters = TwinCounters() } }
    /// The most recent boot, and the recent ones, oldest first.
    public var lastBoot: BootRecord? { state.withLock { $0.boots.last } }
    public var boots: [BootRecord] { state.withLock { $0.boots } }
    /// What the running application says about itself (the demo firmware's configuration
    /// block), nil while no application with one runs (also when its flash code is
    /// missing: `BootRecord.missingFlashCode`). Its key prints redacted.
    public var firmwareIdentity: FirmwareIdentity? {
        state.withLock { state in
            guard state.chip == .runningApp, let boot = state.boots.last, !boot.missingFlashCode else { return nil }
            return boot.firmware
        }
    }
    /// Recent events, oldest first.
    public var events: [TwinEvent] { state.withLock { $0.events } }
    /// The rate the ROM locked to at the last SYNC, nil before one (or after a reset).
    public var lockedBaud: Int? { state.withLock { $0.engine.lockedBaud } }
    /// RAM written by MEM_DATA since the last reset (the stub's view while one runs).
    public var ram: RAMImage { state.withLock { $0.stub?.ram ?? $0.engine.ram } }
    /// The rate the flasher stub's UART runs at while a RAM program runs as a stub, nil
    /// otherwise (it starts at the ROM's rate and follows CHANGE_BAUDRATE).
    public var stubBaud: Int? { state.withLock { $0.stub?.uartBaud } }

    /// Called for every event, on the thread that caused it, outside the twin's lock.
    public var onEvent: (@Sendable (TwinEvent) -> Void)? {
        get { state.withLock { $0.onEvent } }
        set { state.withLock { $0.onEvent = newValue } }
    }

    // MARK: Faults and buttons

    /// Arms a line fault, counting received bytes from now.
    public func arm(_ fault: FaultPlan.LineFault) {
        state.withLock { $0.faults.arm(fault, receivedSoFar: $0.totalReceived) }
    }

    /// Sectors that refuse programming from now on (the ROM's FLASH_DATA gets error 0x08,
    /// the stub reports 0xC4 at the next data block or END).
    public func setFailingSectors(_ sectors: Set<Int>) {
        state.withLock { state in
            state.engine.failingSectors = sectors
            state.stub?.failingSectors = sectors
        }
    }

    /// Presses the reset button with GPIO0 strapped for `mode` (for fronts without control
    /// lines, such as a pseudo-terminal). Does nothing while no front gives the board power
    /// or while the reset circuit holds EN low.
    public func reset(into mode: TwinBootMode) {
        mutate { state in
            // Without power, or while the reset circuit holds EN low, the button does nothing.
            guard state.chip != .poweredOff, !state.circuit.enLow else { return }
            state.assertReset()
            state.boot(mode, trigger: .resetPin, notBefore: .now)
        }
    }

    // MARK: Fronts

    /// Stops the active front, if any: the board loses power (flash is kept).
    public func stop() {
        let front = state.withLock { $0.front }
        front?.stop()
    }

    /// Makes `front` the active one and powers the board on it; stops a previous front.
    func attach(_ front: TwinFront, lines: ControlLines) {
        if let previous = state.withLock({ $0.front }), previous !== front { previous.stop() }
        mutate { state in
            state.front = front
            state.powerOn(front: front.name, lines: lines)
        }
    }

    /// The front's thread has ended: the board has no power any more.
    func detach(_ front: TwinFront) {
        mutate { state in
            guard state.front === front else { return }
            state.front = nil
            state.powerOff(front: front.name)
        }
    }

    /// The host changed DTR/RTS on `front`'s link.
    func controlLinesChanged(_ lines: ControlLines, on front: TwinFront) {
        mutate { state in
            guard state.front === front else { return }
            state.controlLinesChanged(lines, at: .now)
        }
    }

    // MARK: Serving (called by the front's thread)

    /// The instant the chip will leave reset, if it is leaving it.
    var pendingReleaseAt: ContinuousClock.Instant? { state.withLock { $0.circuit.releaseAt } }

    /// Boots the chip if it has come out of reset by `now`.
    func advance(now: ContinuousClock.Instant) {
        mutate { state in state.advance(now: now) }
    }

    var generation: Int { state.withLock { $0.generation } }

    func takePendingLog() -> TwinState.PendingLog? {
        state.withLock { $0.pendingLogs.isEmpty ? nil : $0.pendingLogs.removeFirst() }
    }

    func noteLogSent(_ log: TwinState.PendingLog, lineBaud: Int, garbled: Bool) {
        state.withLock { state in
            state.counters.bytesSent += log.bytes.count
            state.counters.sendLineTime += state.configuration.timing.wireTime(bytes: log.bytes.count, baud: ESP8266.bootLogBaud)
            if let index = state.bootIndex(number: log.bootNumber) {
                state.boots[index].lineBaud = lineBaud
                state.boots[index].garbled = garbled
            }
        }
    }

    func noteSent(bytes count: Int) {
        state.withLock { $0.counters.bytesSent += count }
    }

    /// Handles a chunk read from the link at `readAt` while the line ran at `lineBaud`.
    func ingest(_ chunk: [UInt8], lineBaud: Int, readAt: ContinuousClock.Instant, clock: inout LineClock) -> TwinState.Ingest {
        var lineClock = clock
        let result = mutate { state in state.ingest(chunk, lineBaud: lineBaud, readAt: readAt, clock: &lineClock) }
        clock = lineClock
        return result
    }

    /// After FLASH_END was answered and the boot delay passed: reboots (soft reset into
    /// the latched boot mode) or runs the code in flash, unless the chip was reset meanwhile.
    func leaveLoader(_ exit: TwinState.LoaderExit, generation: Int) {
        mutate { state in
            guard state.generation == generation, state.chip == .leavingLoader else { return }
            switch exit {
            case .reboot: state.boot(state.latchedBootMode, trigger: .softReset, notBefore: .now)
            case .runUserCode: state.boot(.flash, trigger: .runUserCode, notBefore: .now)
            }
        }
    }

    /// Runs `body` under the lock, then delivers the events it produced outside the lock.
    @discardableResult
    private func mutate<R: Sendable>(_ body: (inout TwinState) -> R) -> R {
        let (result, events, observer) = state.withLock { state in
            let result = body(&state)
            let events = state.newEvents
            state.newEvents = []
            return (result, events, state.onEvent)
        }
        if let observer { for event in events { observer(event) } }
        return result
    }
}

/// Everything the twin's lock guards.
struct TwinState: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// A boot log waiting to be sent by the front's thread.
    struct PendingLog: Sendable {
        var bootNumber: Int
        var bytes: [UInt8]
        var notBefore: Instant
        var generation: Int
    }

    /// A reply to write at `due`.
    struct PlannedWrite: Sendable {
        var bytes: [UInt8]
        var due: Instant
    }

    /// What handling one chunk of received bytes produced.
    struct Ingest: Sendable {
        var writes: [PlannedWrite] = []
        /// The state generation the writes belong to; a reset makes them void.
        var generation: Int
        /// Set when a pull-cable fault fired: the instant of the pull. Writes due later
        /// never reach the host.
        var cablePulledAt: Instant?
        /// Set after FLASH_END: when its reply has left, the chip leaves the loader so.
        var leaveLoader: (after: Instant, exit: LoaderExit)?
    }

    /// How FLASH_END leaves the loader.
    enum LoaderExit: Sendable {
        case reboot
        case runUserCode
    }

    let configuration: TwinConfiguration
    var flash: FlashMemory
    var engine: ROMLoaderEngine
    /// The flasher stub, while a RAM program runs (chip `.runningRAM`).
    var stub: StubLoaderEngine?
    /// When the stub's replies can leave (one block in flight).
    var stubSchedule = StubWorkSchedule()
    var chip: ChipState = .poweredOff
    var circuit: ResetCircuit
    var faults = LineFaultInjector()
    /// Bytes received since the twin was made (line faults count on this; unlike the
    /// counters it is never reset).
    var totalReceived = 0
    /// Boots since the twin was made (numbers the boot records; never reset).
    var bootSerial = 0
    var counters = TwinCounters()
    var boots: [BootRecord] = []
    var events: [TwinEvent] = []
    var newEvents: [TwinEvent] = []
    var onEvent: (@Sendable (TwinEvent) -> Void)?
    /// Incremented at every reset and power change; output computed before is void.
    var generation = 0
    var pendingLogs: [PendingLog] = []
    var front: TwinFront?
    /// The boot mode sampled from GPIO0 at the last power-on or EN reset; a soft reset
    /// (FLASH_END 0) boots into it again.
    var latchedBootMode: TwinBootMode

    init(configuration: TwinConfiguration, flash: FlashMemory) {
        self.configuration = configuration
        self.flash = flash
        engine = ROMLoaderEngine(configuration: configuration)
        circuit = ResetCircuit(releaseDelay: configuration.resetReleaseDelay)
        latchedBootMode = configuration.initialBootMode
        for fault in configuration.faults.lineFaults { faults.arm(fault, receivedSoFar: 0) }
    }

    mutating func record(_ event: TwinEvent) {
        events.append(event)
        if events.count > ESP8266Twin.eventHistoryLimit { events.removeFirst(events.count - ESP8266Twin.eventHistoryLimit) }
        newEvents.append(event)
    }

    func bootIndex(number: Int) -> Int? {
        let index = boots.count - 1 - (bootSerial - number)
        return boots.indices.contains(index) ? index : nil
    }

    // MARK: Power and reset

    mutating func powerOn(front name: String, lines: ControlLines) {
        generation += 1
        pendingLogs = []
        engine.reset()
        stopStub()
        circuit.powerOn(lines: lines)
        record(.poweredOn(front: name))
        if circuit.enLow {
            chip = .inReset
        } else {
            boot(configuration.initialBootMode, trigger: .powerOn, notBefore: .now)
        }
    }

    mutating func powerOff(front name: String) {
        generation += 1
        pendingLogs = []
        engine.reset()
        stopStub()
        chip = .poweredOff
        record(.frontClosed(front: name))
    }

    /// EN low: the chip stops, loses partial state and waits.
    mutating func assertReset() {
        generation += 1
        pendingLogs = []
        engine.reset()
        stopStub()
        chip = .inReset
        record(.resetAsserted)
    }

    mutating func controlLinesChanged(_ lines: ControlLines, at now: Instant) {
        guard chip != .poweredOff else { return }
        switch circuit.linesChanged(to: lines, at: now) {
        case .resetAsserted: assertReset()
        case .resetReleased, .none: break
        }
    }

    mutating func advance(now: Instant) {
        guard chip == .inReset, let mode = circuit.takeRelease(now: now) else { return }
        boot(mode, trigger: .resetPin, notBefore: now)
    }

    /// The chip starts: download mode or boot from flash; queues the boot log.
    mutating func boot(_ mode: TwinBootMode, trigger: BootRecord.Trigger, notBefore: Instant) {
        engine.reset()
        stopStub()
        if trigger == .powerOn || trigger == .resetPin { latchedBootMode = mode }
        let bootRecord = mode == .download ? BootROM.downloadMode(trigger: trigger) : BootROM.bootFromFlash(flash, trigger: trigger)
        switch bootRecord.outcome {
        case .waitingForHost: chip = .download
        case .runningApp: chip = .runningApp
        case .checksumError, .noImage: chip = .halted
        }
        counters.boots += 1
        bootSerial += 1
        boots.append(bootRecord)
        if boots.count > ESP8266Twin.bootHistoryLimit { boots.removeFirst(boots.count - ESP8266Twin.bootHistoryLimit) }
        // The ROM's log, then what the application prints, at the same rate.
        pendingLogs.append(PendingLog(bootNumber: bootSerial, bytes: Array(bootRecord.uartText.utf8), notBefore: notBefore, generation: generation))
        record(.booted(mode: mode, outcome: bootRecord.outcome))
    }

    // MARK: Received bytes

    mutating func ingest(_ chunk: [UInt8], lineBaud: Int, readAt: Instant, clock: inout LineClock) -> Ingest {
        let timing = configuration.timing
        let firstIndex = totalReceived
        totalReceived += chunk.count
        counters.bytesReceived += chunk.count
        counters.receiveLineTime += timing.wireTime(bytes: chunk.count, baud: lineBaud)
        let chunkStart = clock.beginChunk(count: chunk.count, readAt: readAt, baud: lineBaud)

        let (bytes, fired, pulled) = faults.apply(to: chunk, firstIndex: firstIndex)
        for fault in fired { record(.faultFired(fault)) }
        var result = Ingest(generation: generation)
        if pulled {
            result.cablePulledAt = clock.instant(afterBytes: bytes.count, from: chunkStart, baud: lineBaud)
        }
        guard !bytes.isEmpty else { return result }
        switch chip {
        case .download:
            ingestROM(bytes, lineBaud: lineBaud, chunkStart: chunkStart, clock: &clock, into: &result)
        case .runningRAM where stub != nil:
            ingestStub(bytes, lineBaud: lineBaud, chunkStart: chunkStart, clock: &clock, into: &result)
        default:
            break  // a chip in reset or running an application does not hear the loader protocol
        }
        return result
    }

    /// The ROM loader handles received bytes.
    private mutating func ingestROM(_ bytes: [UInt8], lineBaud: Int, chunkStart: Instant, clock: inout LineClock, into result: inout Ingest) {
        let timing = configuration.timing
        for outcome in engine.receive(bytes, lineBaud: lineBaud, flash: &flash) {
            if let ignored = outcome.ignored {
                counters.ignoredFrames += 1
                record(.ignored(ignored))
                continue
            }
            if let opcode = outcome.opcode {
                counters.commands[opcode, default: 0] += 1
                record(.request(opcode, error: outcome.error))
            }
            if outcome.error != nil { counters.failedCommands += 1 }

            let work = outcome.work
            counters.sectorErases += work.erase.sectorErases
            counters.blockErases += work.erase.blockErases
            counters.sectorsErased += work.erase.sectorsCovered
            counters.bytesProgrammed += work.programmedBytes
            let flashTime = timing.eraseTime(work.erase) + timing.programTime(bytes: work.programmedBytes)
            counters.flashBusyTime += flashTime
            counters.registerDelayTime += work.registerDelay

            let complete = clock.instant(afterBytes: outcome.completedAfterBytes, from: chunkStart, baud: lineBaud)
            let ready = complete + flashTime + work.registerDelay
            for reply in outcome.replies {
                let framed = SLIP.encode(reply.encoded())
                let due = clock.send(count: framed.count, readyAt: ready, baud: engine.uartBaud)
                counters.sendLineTime += timing.wireTime(bytes: framed.count, baud: engine.uartBaud)
                result.writes.append(PlannedWrite(bytes: framed, due: due))
            }
            switch outcome.followUp {
            case .stay:
                break
            case .reboot, .runUserCode:
                chip = .leavingLoader
                result.leaveLoader = (result.writes.last?.due ?? ready, outcome.followUp == .reboot ? .reboot : .runUserCode)
            case .runRAM(let entry):
                chip = .runningRAM(entry: entry)
                startStub(StubLoaderEngine(startedBy: engine, limits: configuration.stubLimits), entry: entry, readyAt: ready, clock: &clock, into: &result)
            }
        }
    }

    // MARK: Stub mode

    /// The RAM program starts and runs as a flasher stub: it greets the host.
    private mutating func startStub(_ started: StubLoaderEngine, entry: UInt32, readyAt ready: Instant, clock: inout LineClock, into result: inout Ingest) {
        stub = started
        stubSchedule = StubWorkSchedule()
        record(.stubStarted(entry: entry))
        send(started.greetingFrame, readyAt: ready, baud: started.uartBaud, clock: &clock, into: &result)
    }

    mutating func stopStub() {
        stub = nil
        stubSchedule = StubWorkSchedule()
    }

    /// The stub handles received bytes; `StubWorkSchedule` says when its replies leave.
    private mutating func ingestStub(_ bytes: [UInt8], lineBaud: Int, chunkStart: Instant, clock: inout LineClock, into result: inout Ingest) {
        guard var running = stub else { return }
        let timing = configuration.timing
        let outcomes = running.receive(bytes, lineBaud: lineBaud, flash: &flash)
        stub = running
        for outcome in outcomes {
            if let ignored = outcome.ignored {
                counters.ignoredFrames += 1
                record(.ignored(ignored))
                continue
            }
            if let opcode = outcome.opcode {
                counters.commands[opcode, default: 0] += 1
                record(.stubRequest(opcode, error: outcome.error))
            }
            if outcome.error != nil { counters.failedCommands += 1 }

            let work = outcome.work
            counters.sectorErases += work.erase.sectorErases
            counters.blockErases += work.erase.blockErases
            counters.sectorsErased += work.erase.sectorsCovered
            counters.bytesProgrammed += work.programmedBytes
            let flashTime = timing.eraseTime(work.erase) + timing.programTime(bytes: work.programmedBytes)
            counters.flashBusyTime += flashTime
            counters.registerDelayTime += work.registerDelay

            let complete = clock.instant(afterBytes: outcome.completedAfterBytes, from: chunkStart, baud: lineBaud)
            let ready = stubSchedule.replyReady(
                complete: complete, flashTime: flashTime, registerDelay: work.registerDelay, workAfterReply: outcome.workAfterReply)
            for frame in outcome.frames {
                send(frame, readyAt: ready, baud: outcome.replyBaud, clock: &clock, into: &result)
            }

            switch outcome.followUp {
            case .stay:
                break
            case .reboot, .runUserCode:
                chip = .leavingLoader
                stopStub()
                result.leaveLoader = (result.writes.last?.due ?? ready, outcome.followUp == .reboot ? .reboot : .runUserCode)
            case .runRAM(let entry):
                chip = .runningRAM(entry: entry)
                startStub(running.restarted(), entry: entry, readyAt: ready, clock: &clock, into: &result)
            }
        }
    }

    /// Plans one frame on the transmitter.
    private mutating func send(_ frame: StubLoaderEngine.Frame, readyAt ready: Instant, baud: Int, clock: inout LineClock, into result: inout Ingest) {
        let framed = SLIP.encode(frame.packet)
        let due = clock.send(count: framed.count, readyAt: ready, baud: baud)
        counters.sendLineTime += configuration.timing.wireTime(bytes: framed.count, baud: baud)
        result.writes.append(PlannedWrite(bytes: framed, due: due))
    }
}
