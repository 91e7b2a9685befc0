import Basics
/// Imports the `sw_version` text MeterLoggerWeb keeps per meter (what the board reports on
/// `/version/v2/…`: `<sdk version>-<git version>-<HW_MODEL>`, e.g.
/// `2.1.0(7106d38)-1462-a35f2-MC-B-FLOW-THERMO_NO-NO_AUTO_CLOSE`) as the variant the server's
/// firmware builder would build.
///
/// How the text is read:
/// - It is split into words at `-`, `,` and white space. `MC` directly followed by `B`
///   (the firmware's `MC-B`) is one word.
/// - A word written in capitals, digits and `_` and starting with a capital (`MC`,
///   `THERMO_ON_AC_2`) is a flag and must be one of `SwVersion.flags`, or several of them
///   joined by `_` (`MC_66B_NO_CRON`, as the server's rebuild page joins modifiers);
///   anything else is an error naming the word.
/// - Every other word is version text and is ignored: SDK and git versions (`2.1.0(7106d38)`,
///   `1462`, `a35f2`, `v1.2.3`, `gdeadbee`), branch names (`master`), `dirty`.
/// - The server always adds AP=1, so the variant always has `accessPoint`.
/// - No meter flag means KMP; no thermo flag means normally closed (the firmware's default,
///   which `version.h` reports as THERMO_NC).
public enum SwVersion {
    /// The flags a `sw_version` can carry, each with what it sets (from the firmware's
    /// `version.h` and MeterLoggerWeb's firmware builder, docs/meterlogger-build.md, "The server's sw_version flags").
    public static let flags: [String: Flag] = [
        "KMP": .meter(.kmp),
        "MC": .meter(.mc66c), "MC_66C": .meter(.mc66c), "EN61107": .meter(.mc66c),
        "MC_B": .meter(.mc66b), "MC_66B": .meter(.mc66b),
        "IMPULSE": .meter(.impulse),
        "FLOW": .flowMeter, "FLOW_METER": .flowMeter,
        "THERMO_NO": .thermo(.normallyOpen), "THERMO_NC": .thermo(.normallyClosed),
        "THERMO_ON_AC_2": .thermoOnAC2,
        "LED_ON_AC": .ledOnAC,
        "AC_TEST": .acTest,
        "NO_AUTO_CLOSE": .noAutoClose,
        "NO_CRON": .noCron,
        "DEBUG": .debug([.enabled]),
        // The server builds NO_METER firmware with DEBUG=1 DEBUG_NO_METER=1.
        "NO_METER": .debug([.enabled, .noMeter]), "DEBUG_NO_METER": .debug([.enabled, .noMeter]),
        "DEBUG_STACK_TRACE": .debug([.stackTrace]),
        // The server's rebuild page marks its builds "-CUSTOM-"; it sets nothing.
        "CUSTOM": .marker,
    ]

    public enum Flag: Hashable, Sendable {
        case meter(MeterKind)
        case thermo(ThermoActuator)
        case flowMeter, thermoOnAC2, ledOnAC, acTest, noAutoClose, noCron
        case debug(Set<DebugFlag>)
        /// Recognised, sets nothing.
        case marker
    }

    /// The variant `swVersion` describes.
    public static func variant(from swVersion: String) throws(SwVersionError) -> Variant {
        var meter: (kind: MeterKind, word: String)?
        var thermo: (actuator: ThermoActuator, word: String)?
        var kamstrupOnly: [String] = []
        var settings = VariantSettings(accessPoint: true)
        for word in words(of: swVersion) where isFlagWord(word) {
            guard let names = flagNames(in: word) else { throw .unknownFlag(word, in: swVersion) }
            for name in names {
                switch flags[name] {
                case .meter(let kind):
                    if let meter, meter.kind != kind { throw .conflict(meter.word, name, in: swVersion) }
                    meter = (kind, name)
                case .thermo(let actuator):
                    if let thermo, thermo.actuator != actuator { throw .conflict(thermo.word, name, in: swVersion) }
                    thermo = (actuator, name)
                    kamstrupOnly.append(name)
                case .flowMeter: settings.flowMeter = true; kamstrupOnly.append(name)
                case .thermoOnAC2: settings.thermoOnAC2 = true; kamstrupOnly.append(name)
                case .ledOnAC: settings.ledOnAC = true
                case .acTest: settings.acTest = true
                case .noAutoClose: settings.autoClose = false
                case .noCron: settings.cron = false
                case .debug(let debugFlags): for flag in debugFlags { settings.debug[flag] = true }
                case .marker, nil: break
                }
            }
        }
        if let meter, meter.kind == .impulse, let first = kamstrupOnly.first {
            throw .conflict(meter.word, first, in: swVersion)
        }
        settings.meter = meter?.kind
        settings.thermo = thermo?.actuator
        return settings.resolved()
    }

    static func words(of text: String) -> [String] {
        let raw = text.split { $0 == "-" || $0 == "," || $0.isWhitespace }.map(String.init)
        var words: [String] = []
        var index = 0
        while index < raw.count {
            if raw[index] == "MC", index + 1 < raw.count, raw[index + 1] == "B" {
                words.append("MC_B")
                index += 2
            } else {
                words.append(raw[index])
                index += 1
            }
        }
        return words
    }

    /// Capitals, digits and `_`, starting with a capital.
    static func isFlagWord(_ word: String) -> Bool {
        guard let first = word.unicodeScalars.first, ("A"..."Z").contains(first) else { return false }
        return word.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The flags `word` is made of: itself, or known flags joined by `_` (the split with the
    /// longest first flag wins). Nil when no split works.
    static func flagNames(in word: String) -> [String]? {
        if flags[word] != nil { return [word] }
        let parts = word.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        func split(from start: Int) -> [String]? {
            if start == parts.count { return [] }
            for end in stride(from: parts.count, to: start, by: -1) {
                let name = parts[start..<end].joined(separator: "_")
                if flags[name] != nil, let rest = split(from: end) { return [name] + rest }
            }
            return nil
        }
        return split(from: 0)
    }
}

/// Why a `sw_version` text could not be imported.
public enum SwVersionError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// A capitalised word that is no known flag.
    case unknownFlag(String, in: String)
    /// Two flags that cannot both hold (two meter kinds, THERMO_NO and THERMO_NC, a
    /// Kamstrup-only flag on IMPULSE).
    case conflict(String, String, in: String)

    public var description: String {
        switch self {
        case .unknownFlag(let word, let text):
            "sw_version \"\(text)\": unknown flag \"\(word)\" (known flags: \(SwVersion.flags.keys.sorted().joined(separator: ", ")); other words need a lower-case letter or a leading digit)"
        case .conflict(let first, let second, let text):
            "sw_version \"\(text)\": \(first) and \(second) contradict each other"
        }
    }

    public var help: String? { "check the sw_version text against the build's flags (README: sw_version import)" }
}
