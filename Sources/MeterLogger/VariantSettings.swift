/// Variant settings as a profile writes them: every field optional, so that a device's
/// overrides can be laid over the installation's defaults and the built-in defaults fill
/// the rest (meter kmp, thermo normally-closed, ap on, auto_close on, cron on, everything
/// else off).
public struct VariantSettings: Hashable, Sendable {
    public var meter: MeterKind?
    public var thermo: ThermoActuator?
    public var thermoOnAC2: Bool?
    public var flowMeter: Bool?
    public var ledOnAC: Bool?
    public var acTest: Bool?
    public var accessPoint: Bool?
    public var autoClose: Bool?
    public var cron: Bool?
    /// Debug flags set explicitly on or off; merged flag by flag.
    public var debug: [DebugFlag: Bool]
    /// Extra make variables; merged name by name.
    public var extraVariables: [String: String]

    public init(
        meter: MeterKind? = nil, thermo: ThermoActuator? = nil, thermoOnAC2: Bool? = nil, flowMeter: Bool? = nil,
        ledOnAC: Bool? = nil, acTest: Bool? = nil, accessPoint: Bool? = nil, autoClose: Bool? = nil, cron: Bool? = nil,
        debug: [DebugFlag: Bool] = [:], extraVariables: [String: String] = [:]
    ) {
        self.meter = meter
        self.thermo = thermo
        self.thermoOnAC2 = thermoOnAC2
        self.flowMeter = flowMeter
        self.ledOnAC = ledOnAC
        self.acTest = acTest
        self.accessPoint = accessPoint
        self.autoClose = autoClose
        self.cron = cron
        self.debug = debug
        self.extraVariables = extraVariables
    }

    /// The variant of a device with these overrides in an installation with `defaults`.
    ///
    /// Each field is the device's own value, else the default's, else the built-in default;
    /// `debug` and `extraVariables` merge key by key. Kamstrup-only fields (`thermo`,
    /// `thermoOnAC2`, `flowMeter`) are inherited from `defaults` only by Kamstrup meters:
    /// an installation's valve wiring says nothing about its impulse meters.
    public func resolved(over defaults: VariantSettings = VariantSettings()) -> Variant {
        let meter = meter ?? defaults.meter ?? .kmp
        func kamstrupOnly<T>(_ field: KeyPath<VariantSettings, T?>) -> T? {
            self[keyPath: field] ?? (meter.isKamstrup ? defaults[keyPath: field] : nil)
        }
        let debugFlags = defaults.debug.merging(debug) { _, own in own }
        return Variant(
            meter: meter,
            thermo: kamstrupOnly(\.thermo) ?? .normallyClosed,
            thermoOnAC2: kamstrupOnly(\.thermoOnAC2) ?? false,
            flowMeter: kamstrupOnly(\.flowMeter) ?? false,
            ledOnAC: ledOnAC ?? defaults.ledOnAC ?? false,
            acTest: acTest ?? defaults.acTest ?? false,
            accessPoint: accessPoint ?? defaults.accessPoint ?? true,
            autoClose: autoClose ?? defaults.autoClose ?? true,
            cron: cron ?? defaults.cron ?? true,
            debug: Set(debugFlags.filter(\.value).keys),
            extraVariables: defaults.extraVariables.merging(extraVariables) { _, own in own }
        )
    }
}
