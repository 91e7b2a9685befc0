import Basics

/// A firmware variant: the build flags one MeterLogger board is compiled with, without the
/// per-device secrets (KEY, SERIAL). Boards with equal variants run the same firmware apart
/// from their key and serial, so a variant is what a build cache keys on.
///
/// Kamstrup-only settings (`thermo`, `thermoOnAC2`, `flowMeter`) do not exist for impulse
/// meters: an impulse board has no actuator and no flow mode (the firmware's `version.h`
/// reports neither for IMPULSE builds), so the initializer clears them for `.impulse`.
public struct Variant: Hashable, Sendable, CustomStringConvertible {
    public let meter: MeterKind
    /// The thermo actuator's resting state; `nil` exactly for impulse meters.
    public let thermo: ThermoActuator?
    /// The actuator is wired to AC output 2 (Kamstrup meters only).
    public let thermoOnAC2: Bool
    /// The Kamstrup meter runs as a flow meter: closes when a volume is reached.
    public let flowMeter: Bool
    /// The LED shows the AC output state.
    public let ledOnAC: Bool
    /// A test pattern on the AC outputs.
    public let acTest: Bool
    /// Wireless extender: the board runs its own access point (less RAM for MQTT).
    public let accessPoint: Bool
    /// Close the valve when the energy passes the open_until value.
    public let autoClose: Bool
    /// Cron support (open/close schedules); off saves RAM.
    public let cron: Bool
    public let debug: Set<DebugFlag>
    /// Further make variables by name (never one of `MakeVariables.reservedNames`).
    public let extraVariables: [String: String]

    public init(
        meter: MeterKind = .kmp,
        thermo: ThermoActuator = .normallyClosed,
        thermoOnAC2: Bool = false,
        flowMeter: Bool = false,
        ledOnAC: Bool = false,
        acTest: Bool = false,
        accessPoint: Bool = true,
        autoClose: Bool = true,
        cron: Bool = true,
        debug: Set<DebugFlag> = [],
        extraVariables: [String: String] = [:]
    ) {
        self.meter = meter
        self.thermo = meter.isKamstrup ? thermo : nil
        self.thermoOnAC2 = meter.isKamstrup && thermoOnAC2
        self.flowMeter = meter.isKamstrup && flowMeter
        self.ledOnAC = ledOnAC
        self.acTest = acTest
        self.accessPoint = accessPoint
        self.autoClose = autoClose
        self.cron = cron
        self.debug = debug
        self.extraVariables = extraVariables
    }

    /// A stable, readable name for the flag set, e.g. "kmp-ap-thermo_nc" or
    /// "mc66b-ap-flow-thermo_no-no_cron". It never contains a serial or a key, so it can
    /// name cache folders and appear in logs. Tokens come in `makeVariables` order; extra
    /// variables follow sorted by name as `NAME=value` (characters other than letters,
    /// digits, `.`, `_` and `+` in the value written as `%XX`).
    public var id: String {
        var tokens = [meter.rawValue]
        if accessPoint { tokens.append("ap") }
        if flowMeter { tokens.append("flow") }
        if let thermo { tokens.append(thermo.idToken) }
        if thermoOnAC2 { tokens.append("thermo_on_ac_2") }
        if ledOnAC { tokens.append("led_on_ac") }
        if acTest { tokens.append("ac_test") }
        if !autoClose { tokens.append("no_auto_close") }
        if !cron { tokens.append("no_cron") }
        tokens += DebugFlag.allCases.filter(debug.contains).map(\.idToken)
        tokens += extraVariables.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.idEscaped($0.value))" }
        return tokens.joined(separator: "-")
    }

    public var description: String { id }

    private static func idEscaped(_ value: String) -> String {
        value.utf8.map { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "+"):
                String(UnicodeScalar(byte))
            default:
                "%" + hexString([byte], uppercase: true)
            }
        }.joined()
    }
}

/// The meter a board reads, which selects the firmware's protocol module.
public enum MeterKind: String, CaseIterable, Hashable, Sendable {
    /// Kamstrup Multical 601 over KMP (no make variable: the firmware's default).
    case kmp
    /// Kamstrup Multical 66 C over EN 61107 (EN61107=1).
    case mc66c
    /// Kamstrup Multical 66 B over EN 61107 (MC_66B=1, which implies EN61107).
    case mc66b
    /// Impulse-counting electricity meter, 100 ms pulses (IMPULSE=1).
    case impulse

    /// Kamstrup meters have a thermo actuator (valve) and can run as flow meters.
    public var isKamstrup: Bool { self != .impulse }
}

/// The thermo actuator's resting state (THERMO_NO=1 normally open, THERMO_NO=0 normally
/// closed; the firmware treats an absent THERMO_NO as normally closed).
public enum ThermoActuator: String, CaseIterable, Hashable, Sendable {
    case normallyOpen = "normally-open"
    case normallyClosed = "normally-closed"

    /// The token in a variant id, spelled as the firmware's version string spells it.
    var idToken: String { self == .normallyOpen ? "thermo_no" : "thermo_nc" }
}

/// Debug build switches. Each is one make variable set to 1.
public enum DebugFlag: String, CaseIterable, Hashable, Sendable {
    /// DEBUG=1: serial debugging output.
    case enabled
    /// DEBUG_NO_METER=1: do not wait for the meter to answer (uses the compiled-in SERIAL).
    case noMeter
    /// DEBUG_SHORT_WEB_CONFIG_TIME=1: do not wait for web configuration.
    case shortWebConfigTime
    /// DEBUG_STACK_TRACE=1: dump stack traces to flash at 0x80000.
    case stackTrace
    /// IMPULSE_DEV_BOARD=1: the impulse development board's pin-out.
    case impulseDevBoard

    /// The make variable this flag sets to 1.
    public var makeVariable: String {
        switch self {
        case .enabled: "DEBUG"
        case .noMeter: "DEBUG_NO_METER"
        case .shortWebConfigTime: "DEBUG_SHORT_WEB_CONFIG_TIME"
        case .stackTrace: "DEBUG_STACK_TRACE"
        case .impulseDevBoard: "IMPULSE_DEV_BOARD"
        }
    }

    /// The key under a profile's `debug:` mapping.
    public var profileKey: String {
        switch self {
        case .enabled: "enabled"
        case .noMeter: "no_meter"
        case .shortWebConfigTime: "short_web_config_time"
        case .stackTrace: "stack_trace"
        case .impulseDevBoard: "impulse_dev_board"
        }
    }

    var idToken: String { makeVariable.lowercased() }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
