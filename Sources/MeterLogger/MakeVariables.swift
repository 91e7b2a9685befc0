/// Make variables in the order they are given to the firmware's `make`, e.g.
/// `AP=1 EN61107=1 THERMO_NO=0`. Names are unique.
public struct MakeVariables: Hashable, Sendable, CustomStringConvertible, RandomAccessCollection {
    public struct Entry: Hashable, Sendable {
        public let name: String
        public let value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public let entries: [Entry]

    /// Later entries replace earlier ones of the same name, in the earlier one's place.
    public init(_ entries: [Entry]) {
        var seen: [String: Int] = [:]
        var merged: [Entry] = []
        for entry in entries {
            if let index = seen[entry.name] {
                merged[index] = entry
            } else {
                seen[entry.name] = merged.count
                merged.append(entry)
            }
        }
        self.entries = merged
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> Entry { entries[position] }

    /// The value of `name`, or nil when it is not set.
    public subscript(name: String) -> String? { entries.first { $0.name == name }?.value }

    /// `NAME=value` arguments for make's command line.
    public var arguments: [String] { entries.map { "\($0.name)=\($0.value)" } }

    public var description: String { arguments.joined(separator: " ") }

    /// The variables the variant manages (from the MeterLogger Makefile's build options,
    /// docs/meterlogger-build.md "Build interface"); a profile's extra variables may not set them.
    public static let variantNames: [String] = [
        "AP", "EN61107", "MC_66B", "IMPULSE", "FLOW_METER", "THERMO_NO", "THERMO_ON_AC_2",
        "LED_ON_AC", "AC_TEST", "AUTO_CLOSE", "NO_CRON",
    ] + DebugFlag.allCases.map(\.makeVariable)

    /// The per-device secrets, passed separately from the variant's variables.
    public static let secretNames: [String] = ["KEY", "SERIAL"]

    /// Names extra variables may not use.
    public static let reservedNames: Set<String> = Set(variantNames + secretNames)
}

extension Variant {
    /// The make variables that build this variant, exactly as the MeterLogger Makefile reads
    /// them (docs/meterlogger-build.md, "Build interface"):
    ///
    /// | variant | variable |
    /// |---|---|
    /// | accessPoint | AP=1 (the server's builder always adds it) |
    /// | meter .kmp / .mc66c / .mc66b / .impulse | (none) / EN61107=1 / MC_66B=1 / IMPULSE=1 |
    /// | flowMeter | FLOW_METER=1 |
    /// | thermo (Kamstrup meters) | THERMO_NO=1 normally open, THERMO_NO=0 normally closed |
    /// | thermoOnAC2 | THERMO_ON_AC_2=1 |
    /// | ledOnAC, acTest | LED_ON_AC=1, AC_TEST=1 |
    /// | autoClose false | AUTO_CLOSE=0 (the firmware's default is on) |
    /// | cron false | NO_CRON=1 |
    /// | debug | DEBUG=1, DEBUG_NO_METER=1, DEBUG_SHORT_WEB_CONFIG_TIME=1, DEBUG_STACK_TRACE=1, IMPULSE_DEV_BOARD=1 |
    /// | extraVariables | as given, sorted by name |
    public var makeVariables: MakeVariables {
        typealias E = MakeVariables.Entry
        var entries: [E] = []
        if accessPoint { entries.append(E("AP", "1")) }
        switch meter {
        case .kmp: break
        case .mc66c: entries.append(E("EN61107", "1"))
        case .mc66b: entries.append(E("MC_66B", "1"))
        case .impulse: entries.append(E("IMPULSE", "1"))
        }
        if flowMeter { entries.append(E("FLOW_METER", "1")) }
        if let thermo { entries.append(E("THERMO_NO", thermo == .normallyOpen ? "1" : "0")) }
        if thermoOnAC2 { entries.append(E("THERMO_ON_AC_2", "1")) }
        if ledOnAC { entries.append(E("LED_ON_AC", "1")) }
        if acTest { entries.append(E("AC_TEST", "1")) }
        if !autoClose { entries.append(E("AUTO_CLOSE", "0")) }
        if !cron { entries.append(E("NO_CRON", "1")) }
        entries += DebugFlag.allCases.filter(debug.contains).map { E($0.makeVariable, "1") }
        entries += extraVariables.sorted { $0.key < $1.key }.map { E($0.key, $0.value) }
        return MakeVariables(entries)
    }
}

/// The per-device make variables KEY and SERIAL, kept apart from the variant's variables so
/// that a build can pass them without logging them. Printing it shows the serial only.
public struct DeviceSecrets: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let serial: MeterSerial
    public let key: DeviceKey

    public init(serial: MeterSerial, key: DeviceKey) {
        self.serial = serial
        self.key = key
    }

    /// KEY and SERIAL with the key in clear text: hand these to make, never to a log.
    public func revealedMakeVariables() -> MakeVariables {
        MakeVariables([.init("KEY", key.hex), .init("SERIAL", serial.text)])
    }

    public var description: String { "KEY=\(DeviceKey.redacted) SERIAL=\(serial.text)" }
    public var debugDescription: String { "DeviceSecrets(\(description))" }
}
