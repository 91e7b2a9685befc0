import ESPFlasher
import FirmwareBuild
import MeterLogger
import Provisioning

/// How a station works: the profile it provisions, how many boards at once, how it talks
/// to them, and which optional steps follow the boot check.
public struct StationConfiguration: Sendable {
    public var profile: InstallationProfile
    /// Boards worked on at once (the rest wait in `waiting`).
    public var jobs: Int
    /// The line rate for flashing (default: the profile's).
    public var baud: Int
    /// How boards are put into the loader; `.none` for twins on pseudo-terminals.
    public var reset: ResetStrategy
    public var connectAttempts: Int
    /// The flasher stub boards are written through (nil: the ROM loader alone).
    public var stub: FlasherStub?
    /// Ask the technician for every board's serial instead of taking the profile's next.
    public var askSerial: Bool
    /// Wifi setup after the boot check (nil: skipped).
    public var wifi: WifiStep?
    /// Commissioning over MQTT after wifi setup (nil: skipped).
    public var commissioning: CommissioningCheck?

    public init(
        profile: InstallationProfile, jobs: Int = 4, baud: Int? = nil, reset: ResetStrategy = .classic,
        connectAttempts: Int = LoaderSession.defaultConnectAttempts, stub: FlasherStub? = .mlprov, askSerial: Bool = false,
        wifi: WifiStep? = nil, commissioning: CommissioningCheck? = nil
    ) {
        self.profile = profile
        self.jobs = max(1, jobs)
        self.baud = baud ?? profile.flash.baud
        self.reset = reset
        self.connectAttempts = connectAttempts
        self.stub = stub
        self.askSerial = askSerial
        self.wifi = wifi
        self.commissioning = commissioning
    }
}

/// Checks a board over MQTT once it is on the site wifi: the caller (the CLI) binds the
/// broker login to Provisioning's `commission(serial:key:broker:options:)`.
public struct CommissioningCheck: Sendable {
    public let run: @Sendable (MeterSerial, DeviceKey) async -> CommissioningReport

    public init(run: @escaping @Sendable (MeterSerial, DeviceKey) async -> CommissioningReport) {
        self.run = run
    }
}

/// Who gives a serial when the station asks (the CLI prompts the technician, who types
/// or scans it). Nil means none was given.
public protocol TechnicianDesk: Sendable {
    func serial(for request: SerialRequest) async -> String?
}

/// Why and for which board a serial is asked for.
public struct SerialRequest: Sendable, Equatable {
    public let slot: String
    public let mac: String
    /// Set when the profile has no device left (else `--ask-serial` asked).
    public let profileExhausted: Bool
    /// What was wrong with the previous answer, if any.
    public let problem: String?
}
