import SerialLink

/// The usual two-transistor auto-reset circuit between a USB adapter's DTR/RTS and the
/// ESP8266's EN and GPIO0 pins (docs/esp8266-rom-protocol.md, "Reset and boot"):
/// EN is low iff RTS is asserted and DTR is not; GPIO0 is low iff DTR is asserted and RTS
/// is not. With both lines equal neither transistor conducts and both pins are pulled high.
///
/// EN has an RC delay on boards: the chip leaves reset `releaseDelay` after EN's rising
/// edge and samples GPIO0 then. A client that sets the two lines with two calls passes
/// through "both asserted" (EN and GPIO0 high) for microseconds; that does not boot the
/// chip from flash, as on a real board.
struct ResetCircuit: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// What a change of the control lines did.
    enum Effect: Equatable {
        case none
        /// EN went low: the chip is now held in reset.
        case resetAsserted
        /// EN went high: the chip leaves reset at `releaseAt`.
        case resetReleased(releaseAt: Instant)
    }

    /// The pin levels for a state of the lines.
    static func pins(for lines: ControlLines) -> (enLow: Bool, gpio0Low: Bool) {
        (lines.rts && !lines.dtr, lines.dtr && !lines.rts)
    }

    let releaseDelay: Duration
    private(set) var enLow = false
    /// While leaving reset: when the chip samples GPIO0, and GPIO0's levels since EN rose.
    private var release: (at: Instant, gpio0Low: [(since: Instant, low: Bool)])?

    init(releaseDelay: Duration) {
        self.releaseDelay = releaseDelay
    }

    /// Power applied with the lines in this state: no edge, nothing pending.
    mutating func powerOn(lines: ControlLines) {
        enLow = Self.pins(for: lines).enLow
        release = nil
    }

    mutating func linesChanged(to lines: ControlLines, at now: Instant) -> Effect {
        let pins = Self.pins(for: lines)
        defer { enLow = pins.enLow }
        if pins.enLow && !enLow {
            release = nil
            return .resetAsserted
        }
        if !pins.enLow && enLow {
            let at = now + releaseDelay
            release = (at, [(now, pins.gpio0Low)])
            return .resetReleased(releaseAt: at)
        }
        if !pins.enLow, var pending = release {
            pending.gpio0Low.append((now, pins.gpio0Low))
            release = pending
        }
        return .none
    }

    /// Whether the chip is still in reset at `now` (EN low, or not yet released).
    func holdsReset(at now: Instant) -> Bool {
        enLow || (release.map { now < $0.at } ?? false)
    }

    /// When the chip has left reset by `now`, the boot mode GPIO0 selected at that instant;
    /// consumes the pending release.
    mutating func takeRelease(now: Instant) -> TwinBootMode? {
        guard !enLow, let pending = release, now >= pending.at else { return nil }
        release = nil
        let level = pending.gpio0Low.last(where: { $0.since <= pending.at })?.low ?? false
        return level ? .download : .flash
    }

    /// The pending release instant, if the chip is leaving reset.
    var releaseAt: Instant? { release?.at }
}
