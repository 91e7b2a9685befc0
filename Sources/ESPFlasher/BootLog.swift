import ESPProtocol

extension LoaderSession {
    /// Leaves the board as `action` says and captures what it prints while booting: the
    /// ROM's boot log comes at 74880 baud, so the link is switched to that rate before the
    /// reset (or, for FLASH_END, right after its reply and before the chip reboots; on a link
    /// without DTR/RTS a hard reset becomes that), and
    /// text is collected until the line has been quiet for `quiet`, at most `limit`.
    /// The link keeps the boot-log rate afterwards.
    public func finishCapturingBootLog(
        _ action: AfterAction, quiet: Duration = .milliseconds(300), limit: Duration = .seconds(3)
    ) throws(FlasherError) -> (action: AfterAction, log: String) {
        let taken: AfterAction
        switch action {
        case .noReset:
            return (.noReset, "")
        case .run:
            try leaveThenSwitchToBootLogRate()
            taken = .run
        case .hardReset:
            // Whether the link can drive EN is found out before the rate changes: the
            // fallback's requests must still go out at the loader's rate.
            do {
                try link.setControlLines(dtr: false, rts: false)
            } catch .controlLinesUnsupported {
                try leaveThenSwitchToBootLogRate()
                return (.run, try readText(quiet: quiet, limit: limit))
            } catch {
                throw .link(error)
            }
            try setBaud(ESP8266.bootLogBaud)
            try hardReset()
            taken = .hardReset
        }
        return (taken, try readText(quiet: quiet, limit: limit))
    }

    /// How long the line settles after a baud change before the next request (esptool
    /// waits 50 ms and drops what arrived meanwhile).
    static let baudChangeSettle: Duration = .milliseconds(50)

    /// The ROM answers FLASH_END before it reboots, and the rate changes right after the
    /// reply. A stub's RUN_USER_CODE has no answer and the boot output follows at once, so
    /// the stub is first moved to the boot-log rate (CHANGE_BAUDRATE, answered at the old
    /// rate), the link follows, and RUN_USER_CODE goes out at 74880: no race between the
    /// request leaving and the rate changing, and the chip goes on printing at that rate.
    private func leaveThenSwitchToBootLogRate() throws(FlasherError) {
        if runningStub != nil {
            let current: Int
            do { current = try link.baudRate() } catch { throw .link(error) }
            try command(.changeBaudRate(to: UInt32(ESP8266.bootLogBaud), from: UInt32(current)))
            try setBaud(ESP8266.bootLogBaud)
            ESPFlasher.sleep(Self.baudChangeSettle)
            try discardInput()
            try send(.runUserCode())
            runningStub = nil
            do { try link.drainOutput() } catch { throw .link(error) }
        } else {
            try flashBegin(eraseSize: 0, packetCount: 0, offset: 0)
            try flashEnd(.runUserCode)
            try setBaud(ESP8266.bootLogBaud)
        }
    }

    private func setBaud(_ baud: Int) throws(FlasherError) {
        do { try link.setBaudRate(baud) } catch { throw .link(error) }
    }

    /// Reads raw bytes until the line is quiet, as text (bytes that are not UTF-8 shown as �).
    private func readText(quiet: Duration, limit: Duration) throws(FlasherError) -> String {
        let end = ContinuousClock.now + limit
        var bytes: [UInt8] = []
        while ContinuousClock.now < end {
            let chunk: [UInt8]
            do { chunk = try link.read(maxCount: 4096, deadline: min(end, .now + quiet)) } catch { throw .link(error) }
            if chunk.isEmpty, !bytes.isEmpty { break }
            bytes += chunk
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
