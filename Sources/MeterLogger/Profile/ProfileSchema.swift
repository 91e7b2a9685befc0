import ESPImage

/// The profile's keys and the words of its messages, in one place; profiles/README.md
/// documents the same schema for people.
enum ProfileSchema {
    static let topLevelKeys = ["installation", "firmware", "flash", "defaults", "network", "devices"]
    static let installationKeys = ["name"]
    static let firmwareKeys = ["source", "release", "manifest", "init_data"]
    static let flashKeys = ["mode", "size", "freq", "baud"]
    static let variantKeys = [
        "meter", "thermo", "thermo_on_ac_2", "ap", "led_on_ac", "ac_test", "auto_close", "cron", "flow_meter",
        "debug", "extra_make_variables",
    ]
    static let deviceKeys = ["serial", "key"] + variantKeys + ["impulse"]
    static let debugKeys = DebugFlag.allCases.map(\.profileKey)
    static let impulseKeys = ["meter_serial", "meter_reading", "impulses_per_unit"]
    static let networkKeys = ["ssid", "password_env", "password_file", "mqtt"]
    static let mqttKeys = ["host", "port"]

    /// The value of `key:` that asks for a generated key.
    static let generateKey = "generate"

    static let meters: [(String, MeterKind)] = MeterKind.allCases.map { ($0.rawValue, $0) }
    static let thermoValues: [(String, ThermoActuator)] = ThermoActuator.allCases.map { ($0.rawValue, $0) }
    static let flashModes: [(String, FlashMode)] = FlashMode.allCases.map { ($0.name, $0) }
    static let flashSizes: [(String, FlashSize)] = FlashSize.allCases.sorted { $0.bytes < $1.bytes }.map { ($0.name, $0) }
    static let flashFrequencies: [(String, FlashFrequency)] = FlashFrequency.allCases.map { ($0.name, $0) }

    static let impulseMeterSerialMaxLength = 12
    static let ssidMaxBytes = 32
    static let portRange = 1...65_535

    /// The profile field that sets each managed make variable: an extra variable of that
    /// name is refused with a pointer to the field.
    static let fieldSetting: [String: String] = [
        "AP": "ap", "EN61107": "meter", "MC_66B": "meter", "IMPULSE": "meter", "FLOW_METER": "flow_meter",
        "THERMO_NO": "thermo", "THERMO_ON_AC_2": "thermo_on_ac_2", "LED_ON_AC": "led_on_ac", "AC_TEST": "ac_test",
        "AUTO_CLOSE": "auto_close", "NO_CRON": "cron", "KEY": "the device's key", "SERIAL": "the device's serial",
    ].merging(DebugFlag.allCases.map { ($0.makeVariable, "debug.\($0.profileKey)") }) { first, _ in first }
}
