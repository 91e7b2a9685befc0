import Yams

/// `defaults` and a device's own variant settings, and their extra make variables.
extension ProfileParser {
    struct SettingsRead {
        var settings = VariantSettings()
        /// `meter:` was given but is not a meter kind (already reported).
        var meterInvalid = false
        /// Kamstrup-only settings written in this mapping: the key, its node, and why an
        /// impulse meter cannot have it.
        var kamstrupOnly: [(name: String, key: Node, reason: String)] = []
    }

    /// Reports each Kamstrup-only setting of a mapping whose meter is impulse.
    func refuseKamstrupOnly(_ read: SettingsRead, in path: String, because whence: String) {
        for (name, key, reason) in read.kamstrupOnly {
            reader.report(.conflict, at: key, reader.join(path, name), reason + whence, allowed: "only with Kamstrup meters: kmp, mc66c, mc66b")
        }
    }

    func readVariantSettings(_ fields: Fields) -> SettingsRead {
        var read = SettingsRead()
        let path = fields.path
        if let node = fields["meter"] {
            read.settings.meter = reader.choice(node, reader.join(path, "meter"), ProfileSchema.meters)
            read.meterInvalid = read.settings.meter == nil
        }
        if let node = fields["thermo"], let key = fields.keyNode("thermo") {
            read.settings.thermo = reader.choice(node, reader.join(path, "thermo"), ProfileSchema.thermoValues)
            read.kamstrupOnly.append(("thermo", key, "an impulse meter has no thermo actuator"))
        }
        let kamstrupOnlyReasons = [
            "flow_meter": "an impulse meter cannot run as a flow meter", "thermo_on_ac_2": "an impulse meter has no thermo actuator",
        ]
        let switches: [(String, WritableKeyPath<VariantSettings, Bool?>)] = [
            ("thermo_on_ac_2", \.thermoOnAC2), ("ap", \.accessPoint), ("led_on_ac", \.ledOnAC), ("ac_test", \.acTest),
            ("auto_close", \.autoClose), ("cron", \.cron), ("flow_meter", \.flowMeter),
        ]
        for (name, field) in switches {
            guard let node = fields[name], let value = reader.bool(node, reader.join(path, name)) else { continue }
            read.settings[keyPath: field] = value
            if value, let key = fields.keyNode(name), let reason = kamstrupOnlyReasons[name] {
                read.kamstrupOnly.append((name, key, reason))
            }
        }
        if let node = fields["debug"], let debug = reader.mapping(
            node, reader.join(path, "debug"), allowed: ProfileSchema.debugKeys, what: "debug: {\(ProfileSchema.debugKeys.joined(separator: ", "))}"
        ) {
            for flag in DebugFlag.allCases {
                if let node = debug[flag.profileKey] {
                    read.settings.debug[flag] = reader.bool(node, reader.join(debug.path, flag.profileKey))
                }
            }
        }
        if let node = fields["extra_make_variables"] {
            read.settings.extraVariables = extraVariables(node, reader.join(path, "extra_make_variables"))
        }
        return read
    }

    func extraVariables(_ node: Node, _ path: String) -> [String: String] {
        guard let fields = reader.mapping(node, path, allowed: nil, what: "a mapping of NAME: value") else { return [:] }
        var variables: [String: String] = [:]
        for (name, entry) in fields.ordered {
            let itemPath = reader.join(path, name)
            if !Self.isMakeVariableName(name) {
                reader.report(.invalidValue, at: entry.key, itemPath, "\"\(name)\" is not a make variable name",
                              allowed: "capital letters, digits and _, not starting with a digit")
                continue
            }
            if let field = ProfileSchema.fieldSetting[name] {
                reader.report(.conflict, at: entry.key, itemPath, "\(name) is managed by the profile", allowed: "set it with \(field)")
                continue
            }
            guard let value = reader.text(entry.value, itemPath, allowed: "text or a number; write 1 or 0 for a switch") else { continue }
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                reader.report(.invalidValue, at: entry.value, itemPath, "the value contains a line break or control character",
                              allowed: "a single line of text")
                continue
            }
            // The value reaches make on its command line and, through the Makefile, a shell:
            // only characters neither of them expands are let through.
            if let unsafe = value.unicodeScalars.first(where: { !Self.inertValueCharacters.contains($0) }) {
                reader.report(.invalidValue, at: entry.value, itemPath, "the value contains \"\(unsafe)\", which make or the shell would expand",
                              allowed: "letters, digits and _ . , : / + - =")
                continue
            }
            variables[name] = value
        }
        return variables
    }

    /// What an extra make variable's value may hold: `[A-Za-z0-9_.,:/+=-]`.
    static let inertValueCharacters: Set<Unicode.Scalar> = {
        var allowed = Set<Unicode.Scalar>("_.,:/+-=".unicodeScalars)
        for range in [("a", "z"), ("A", "Z"), ("0", "9")] as [(Unicode.Scalar, Unicode.Scalar)] {
            for value in range.0.value...range.1.value { if let scalar = Unicode.Scalar(value) { allowed.insert(scalar) } }
        }
        return allowed
    }()

    /// `[A-Z_][A-Z0-9_]*`.
    static func isMakeVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || ("A"..."Z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
