import ESPProtocol
import SerialLink

#if canImport(Glibc)
import Glibc
#endif

/// How to put the board into its ROM loader before syncing (esptool's `--before`).
/// The usual auto-reset wiring: RTS drives EN, DTR drives GPIO0, asserted = pin low
/// (docs/esp8266-rom-protocol.md, "Reset and boot").
public enum ResetStrategy: String, CaseIterable, Sendable {
    /// DTR off + RTS on (EN low), wait, DTR on + RTS off (EN high with GPIO0 low), wait, DTR off.
    case classic
    /// The classic sequence with both lines set in one call each step, so two-transistor
    /// (NodeMCU-style) circuits never pass through a state that resets with GPIO0 high.
    case unixTight = "unix-tight"
    /// The board is already in the loader (held GPIO0 low at power-on), or the link has no
    /// control lines (pseudo-terminal, some adapters).
    case none = "no-reset"

    /// How long EN is held low. Boards' reset circuits differ; 100 ms is enough for all seen.
    static let resetHold: Duration = .milliseconds(100)
    /// How long GPIO0 stays low after EN rises. Attempts alternate the two values because
    /// boards with slow RC circuits need the longer one (esptool does the same).
    static let bootstrapHolds: [Duration] = [.milliseconds(50), .milliseconds(550)]

    /// Performs the reset for connection attempt number `attempt` (0-based).
    public func perform(on link: ByteLink, attempt: Int) throws(LinkError) {
        let hold = Self.bootstrapHolds[attempt % Self.bootstrapHolds.count]
        switch self {
        case .none:
            return
        case .classic:
            try link.setControlLines(dtr: false, rts: nil)
            try link.setControlLines(dtr: nil, rts: true)
            sleep(Self.resetHold)
            try link.setControlLines(dtr: true, rts: nil)
            try link.setControlLines(dtr: nil, rts: false)
            sleep(hold)
            try link.setControlLines(dtr: false, rts: nil)
        case .unixTight:
            try link.setControlLines(dtr: false, rts: false)
            try link.setControlLines(dtr: true, rts: true)
            try link.setControlLines(dtr: false, rts: true)
            sleep(Self.resetHold)
            try link.setControlLines(dtr: true, rts: false)
            sleep(hold)
            try link.setControlLines(dtr: false, rts: false)
        }
    }
}

/// How to leave the board after the work (esptool's `--after`).
public enum AfterAction: String, CaseIterable, Sendable {
    /// Pulse EN through RTS: the board reboots into the new firmware. Where the link has no
    /// control lines, the ROM's FLASH_END(run) is used instead.
    case hardReset = "hard-reset"
    /// Ask the ROM to leave the loader and run the firmware (FLASH_END with run).
    case run
    /// Stay in the ROM loader (more commands can follow).
    case noReset = "no-reset"
}

/// Blocks the calling thread for `duration` (the session is synchronous by design: it owns
/// its thread for the length of a flash job, which keeps round trips tight).
func sleep(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR {
        request = remaining
    }
}
