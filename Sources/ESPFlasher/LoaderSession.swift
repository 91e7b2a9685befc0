import ESPImage
import ESPProtocol
import SerialLink

/// A conversation with the ESP8266 ROM loader over a link: framing, request/reply
/// matching, timeouts, connecting (reset + sync) and the individual commands.
///
/// The session is synchronous and owns its link for its lifetime: a flash job runs on one
/// thread and every round trip goes straight from `write` to `poll`, which keeps the
/// per-packet overhead to a few microseconds.
public final class LoaderSession {
    public let link: ByteLink
    private var decoder = SLIPDecoder()
    /// Frames received but not yet asked for, oldest first.
    private var pending: [[UInt8]] = []
    /// The stub that answers instead of the ROM since `startStub`, nil while the ROM does.
    public internal(set) var runningStub: FlasherStub?
    /// The last SYNC was answered with value 0: a flasher stub runs, not the ROM (whose
    /// SYNC replies carry a non-zero value).
    public private(set) var syncAnsweredByStub = false

    /// esptool's default per-command timeout; the ROM answers in milliseconds.
    public static let defaultTimeout: Duration = .seconds(3)
    /// How long one SYNC waits for its first answer.
    public static let syncTimeout: Duration = .milliseconds(100)
    /// SYNCs per reset attempt, and reset attempts per connect (esptool: 5 and 7).
    public static let syncsPerAttempt = 5
    public static let defaultConnectAttempts = 7
    /// Erase timeout per MiB in FLASH_BEGIN (the ROM erases before answering).
    public static let eraseTimeoutPerMiB: Duration = .seconds(40)
    /// FLASH_DATA tries per block before the part fails.
    public static let blockAttempts = 3

    public init(link: ByteLink) {
        self.link = link
    }

    // MARK: Round trips

    /// Sends `request` and returns the ROM's matching reply, whatever its status.
    /// Replies to other commands (late SYNC echoes, noise) are skipped.
    public func exchange(_ request: Request, timeout: Duration = defaultTimeout) throws(FlasherError) -> Response {
        try send(request)
        return try receive(for: request.opcode, timeout: timeout)
    }

    /// Like `exchange`, but a failure status throws `.commandFailed`.
    @discardableResult
    public func command(_ request: Request, timeout: Duration = defaultTimeout) throws(FlasherError) -> Response {
        let response = try exchange(request, timeout: timeout)
        let status = response.status
        if status.failed { throw .commandFailed(command: request.opcode, code: status.code) }
        return response
    }

    public func send(_ request: Request) throws(FlasherError) {
        do { try link.write(SLIP.encode(request.encoded())) } catch { throw .link(error) }
    }

    /// Waits for a reply to `opcode`.
    public func receive(for opcode: Opcode, timeout: Duration) throws(FlasherError) -> Response {
        let frame = try receiveFrame(timeout: timeout, onTimeout: .noResponse(command: opcode, timeout: timeout)) { frame in
            Response(decoding: frame)?.opcode == opcode
        }
        // `receiveFrame` only returns frames that decode.
        return Response(decoding: frame) ?? Response(opcode, data: [])
    }

    /// Waits for the first frame `matches` accepts; frames before it are dropped.
    func receiveFrame(timeout: Duration, onTimeout: FlasherError, matches: ([UInt8]) -> Bool) throws(FlasherError) -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let index = pending.firstIndex(where: matches) {
                let frame = pending[index]
                pending.removeSubrange(...index)
                return frame
            }
            pending.removeAll()
            let bytes: [UInt8]
            do { bytes = try link.read(maxCount: 4096, deadline: deadline) } catch { throw .link(error) }
            if bytes.isEmpty { throw onTimeout }
            for case .packet(let packet) in decoder.feed(bytes) { pending.append(packet) }
        }
    }

    /// Drops everything received so far (before a retry, after a reset).
    public func discardInput() throws(FlasherError) {
        do { try link.discardInput() } catch { throw .link(error) }
        decoder.reset()
        pending.removeAll()
    }

    // MARK: Connecting

    /// One SYNC: the first reply proves the ROM is there; the extra copies the ROM sends
    /// (up to 8 in all) are drained so they cannot be taken for later replies.
    public func sync() throws(FlasherError) {
        try send(.sync())
        syncAnsweredByStub = try receive(for: .sync, timeout: Self.syncTimeout).value == 0
        for _ in 0..<7 {
            do { _ = try receive(for: .sync, timeout: .milliseconds(20)) } catch .noResponse { break }
        }
    }

    /// Resets the board into the loader with `reset` and syncs, with esptool's retry
    /// discipline: several SYNCs per reset, several resets, alternating reset delays.
    /// Reports each attempt through `progress`.
    public func connect(
        reset: ResetStrategy,
        attempts: Int = defaultConnectAttempts,
        progress: (FlashEvent) -> Void = { _ in }
    ) throws(FlasherError) {
        for attempt in 0..<attempts {
            progress(.connecting(attempt: attempt + 1, of: attempts))
            do { try reset.perform(on: link, attempt: attempt) } catch { throw .link(error) }
            for _ in 0..<Self.syncsPerAttempt {
                try discardInput()
                runningStub = nil
                do {
                    try sync()
                    return
                } catch .noResponse {
                    ESPFlasher.sleep(.milliseconds(50))
                }
            }
        }
        throw .syncFailed(link: link.name, attempts: attempts, baud: (try? link.baudRate()) ?? 0)
    }

    // MARK: Registers and chip facts

    public func readRegister(_ address: UInt32) throws(FlasherError) -> UInt32 {
        try command(.readReg(address)).value
    }

    public func writeRegister(_ address: UInt32, value: UInt32, mask: UInt32 = 0xFFFF_FFFF, delayMicroseconds: UInt32 = 0) throws(FlasherError) {
        try command(.writeReg(address, value: value, mask: mask, delayMicroseconds: delayMicroseconds))
    }

    /// Reads the chip-detect register and refuses anything but an ESP8266, then reads the
    /// OTP words and decodes MAC and chip id. One garbled reply (line noise) must not turn
    /// an ESP8266 into "another chip": a read that does not give an ESP8266's identity, or
    /// gets no reply, is tried again, up to `identifyAttempts` times; only then does the
    /// last answer stand.
    public func readChipInfo() throws(FlasherError) -> ChipInfo {
        var attempt = 1
        while true {
            do {
                return try readChipInfoOnce()
            } catch {
                switch error {
                case .wrongChip, .unreadableMAC, .noResponse:
                    guard attempt < Self.identifyAttempts else { throw error }
                    attempt += 1
                    try resynchronize()
                default: throw error
                }
            }
        }
    }

    /// How often the chip's identity is read before a wrong answer stands.
    public static let identifyAttempts = 3

    private func readChipInfoOnce() throws(FlasherError) -> ChipInfo {
        let detect = try readRegister(ESP8266.chipDetectRegister)
        guard detect == ESP8266.chipDetectValue else { throw .wrongChip(detectValue: detect) }
        let mac0 = try readRegister(ESP8266.otpMAC0)
        let mac1 = try readRegister(ESP8266.otpMAC1)
        let mac3 = try readRegister(ESP8266.otpMAC3)
        guard let mac = ESP8266.macAddress(mac0: mac0, mac1: mac1, mac3: mac3) else {
            throw .unreadableMAC(mac0: mac0, mac1: mac1, mac3: mac3)
        }
        return ChipInfo(mac: mac, chipID: ESP8266.chipID(mac0: mac0, mac1: mac1))
    }

    // MARK: Flash and RAM

    /// FLASH_BEGIN; the ROM erases before it answers, so the timeout grows with the size.
    public func flashBegin(eraseSize: UInt32, packetCount: Int, packetSize: Int = ESP8266.flashPacketSize, offset: Int) throws(FlasherError) {
        try flashBegin(FlashBegin(size: eraseSize, packetCount: UInt32(packetCount), packetSize: UInt32(packetSize), offset: UInt32(offset)))
    }

    /// FLASH_BEGIN with these fields (`size` being the erase size the ROM is asked for).
    public func flashBegin(_ begin: FlashBegin) throws(FlasherError) {
        let timeout = max(Self.defaultTimeout, Self.eraseTimeoutPerMiB * (Double(begin.size) / Double(1 << 20)))
        try command(begin.request(), timeout: timeout)
    }

    /// FLASH_DATA with retries: a refused block (bad checksum after line noise) or a lost
    /// reply is sent again, up to `blockAttempts` times. `onRetry` hears about each retry.
    /// Before each resend the line is resynchronized, so the reply that follows is the
    /// resend's and not a late one for the earlier try.
    public func flashData(_ block: [UInt8], sequence: Int, onRetry: (FlasherError) -> Void = { _ in }) throws(FlasherError) {
        var attempt = 1
        while true {
            do {
                try command(.flashData(block, sequence: UInt32(sequence)))
                return
            } catch {
                if case .link = error { throw error }
                guard attempt < Self.blockAttempts else { throw error }
                onRetry(error)
                attempt += 1
                try resynchronize()
            }
        }
    }

    /// How long the line must stay silent before a resend: longer than the ROM takes to
    /// program a block and answer, with an FTDI adapter's default 16 ms latency on top.
    public static let resyncQuietTime: Duration = .milliseconds(100)

    /// Recovers the framing after a failed exchange. If a frame's closing 0xC0 was lost, the
    /// ROM still holds that frame open and would answer it when the resend's first byte
    /// closes it: two replies for one request, every later reply one block off. A lone 0xC0
    /// closes such a frame now; everything the ROM says until the line is quiet is dropped.
    public func resynchronize() throws(FlasherError) {
        do { try link.write([SLIP.end]) } catch { throw .link(error) }
        let giveUp = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < giveUp {
            let late: [UInt8]
            do { late = try link.read(maxCount: 4096, deadline: .now + Self.resyncQuietTime) } catch { throw .link(error) }
            if late.isEmpty { break }
        }
        decoder.reset()
        pending.removeAll()
    }

    /// FLASH_END: reboot, or leave the loader and run the code in flash.
    public func flashEnd(_ action: FlashEndAction) throws(FlasherError) {
        try command(.flashEnd(action))
    }

    public func memBegin(size: Int, packetCount: Int, packetSize: Int, address: UInt32) throws(FlasherError) {
        try command(.memBegin(size: UInt32(size), packetCount: UInt32(packetCount), packetSize: UInt32(packetSize), address: address))
    }

    public func memData(_ data: [UInt8], sequence: Int) throws(FlasherError) {
        try command(.memData(data, sequence: UInt32(sequence)))
    }

    public func memEnd(execute: Bool, entry: UInt32) throws(FlasherError) {
        try command(.memEnd(execute: execute, entry: entry))
    }

    // MARK: Leaving

    /// Pulses EN through RTS so the board reboots into its firmware.
    public func hardReset() throws(FlasherError) {
        do {
            try link.setControlLines(dtr: false, rts: true)
            ESPFlasher.sleep(ResetStrategy.resetHold)
            try link.setControlLines(dtr: false, rts: false)
            runningStub = nil
        } catch {
            throw .link(error)
        }
    }

    /// Leaves the board as `action` says. Returns the action really taken (a hard reset
    /// falls back to FLASH_END(run) on links without control lines).
    @discardableResult
    public func finish(_ action: AfterAction) throws(FlasherError) -> AfterAction {
        switch action {
        case .noReset:
            return .noReset
        case .run:
            try runFirmware()
            return .run
        case .hardReset:
            do {
                try hardReset()
                return .hardReset
            } catch .link(.controlLinesUnsupported) {
                try runFirmware()
                return .run
            }
        }
    }

    /// Leaves the loader through FLASH_BEGIN(0) + FLASH_END(run user code): the closest the
    /// ROM comes to a reset where DTR/RTS cannot be driven. A stub has RUN_USER_CODE.
    private func runFirmware() throws(FlasherError) {
        if runningStub != nil {
            try send(.runUserCode())
            runningStub = nil
            do { try link.drainOutput() } catch { throw .link(error) }
            return
        }
        try flashBegin(eraseSize: 0, packetCount: 0, offset: 0)
        try flashEnd(.runUserCode)
    }
}

/// What `readChipInfo` learns about the chip.
public struct ChipInfo: Equatable, Sendable {
    public var chip = "ESP8266EX"
    public var mac: MACAddress
    public var chipID: UInt32
}
