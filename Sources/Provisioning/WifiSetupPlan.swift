import Basics
import Foundation
import MeterLogger

/// One board's wifi setup with every input checked before any request: what the technician
/// gave, completed from the installation profile (the device's meter, key and impulse
/// settings; the site network's SSID, password source and MQTT host).
public struct WifiSetupPlan: Sendable {
    /// What the technician gave, already parsed; nil fields come from the profile.
    public struct Given: Sendable {
        public var meter: MeterKind?
        public var key: DeviceKey?
        public var ssid: String?
        public var password: WifiPassword?
        public var mqttHost: String?
        public var impulse: ImpulseMeterSetup?
        /// The board's setup page when the laptop is already on its AP (or the board is a twin).
        public var deviceURL: URL?

        public init(
            meter: MeterKind? = nil, key: DeviceKey? = nil, ssid: String? = nil, password: WifiPassword? = nil, mqttHost: String? = nil,
            impulse: ImpulseMeterSetup? = nil, deviceURL: URL? = nil
        ) {
            self.meter = meter
            self.key = key
            self.ssid = ssid
            self.password = password
            self.mqttHost = mqttHost
            self.impulse = impulse
            self.deviceURL = deviceURL
        }
    }

    /// The board's setup page on its own access point.
    public static let boardSetupPage: URL = {
        var components = URLComponents()
        components.scheme = "http"
        components.host = "192.168.4.1"
        components.path = "/"
        return components.url ?? URL(fileURLWithPath: "/")
    }()

    public let serial: MeterSerial
    public let meter: MeterKind
    /// The board's key (its setup AP's password derives from it); needed to join the AP.
    public let key: DeviceKey?
    public let input: WifiSetupInput
    /// Where the setup page is reachable without joining; nil: join the board's AP.
    public let deviceURL: URL?

    /// The plan for `serial` from `given` and, for what is not given, `profile`'s device and
    /// network section. Throws naming the field that is missing or wrong.
    public init(serial: MeterSerial, profile: InstallationProfile?, given: Given) throws(WifiPlanError) {
        var device: Device?
        if let profile {
            guard let found = profile.device(serial: serial.text) else { throw .noDevice(profile: profile.file, serial: serial.text) }
            device = found
        }
        let network = profile?.network
        let meter = given.meter ?? device.flatMap { device in profile.map { $0.variant(for: device).meter } } ?? .kmp
        do {
            guard let ssidText = given.ssid ?? network?.ssid else {
                throw WifiSetupInputError.invalid(field: WifiSetupField.ssid, problem: "no SSID given (and no profile network)")
            }
            let ssid = try WifiSetupValidation.ssid(ssidText)
            let password: WifiPassword
            if let given = given.password {
                password = given
            } else if let source = network?.password {
                do { password = try source.read() } catch { throw WifiPlanError.profilePassword(error) }
            } else {
                throw WifiSetupInputError.invalid(field: WifiSetupField.password, problem: "no wifi password file given (and no profile network)")
            }
            guard let hostText = given.mqttHost ?? network?.mqtt.host else {
                throw WifiSetupInputError.invalid(field: WifiSetupField.mqttHost, problem: "no MQTT host given (and no profile network)")
            }
            let host = try WifiSetupValidation.mqttHost(hostText)
            let impulse = given.impulse ?? device?.impulse
            if meter == .impulse, impulse == nil {
                throw WifiSetupInputError.invalid(
                    field: "--impulse-serial",
                    problem: "an impulse meter needs its meter serial, reading and impulses per unit (the device's impulse section in the profile, or --impulse-serial, --impulse-reading and --impulses-per-unit)")
            }
            input = try WifiSetupInput(ssid: ssid, password: password, mqttHost: host, impulse: impulse)
        } catch let error as WifiSetupInputError {
            throw .input(error)
        } catch let error as WifiPlanError {
            throw error
        } catch {
            throw .input(.invalid(field: "input", problem: "\(error)"))
        }
        self.serial = serial
        self.meter = meter
        self.key = given.key ?? device?.key.givenKey
        self.deviceURL = given.deviceURL
    }

    /// Runs the setup: on the page at `deviceURL` as it is, else through the board's setup
    /// access point, joined with `joiner` and left again (the laptop's connection restored,
    /// also on failure and cancellation).
    public func run(
        scanTimeout: Duration, requestTimeout: TimeInterval, joiner: WifiAccessPointJoiner, progress: @escaping @Sendable (String) -> Void
    ) async throws -> WifiSetupReport {
        let client = WifiSetupClient(baseURL: deviceURL ?? Self.boardSetupPage, scanTimeout: scanTimeout, requestTimeout: requestTimeout)
        if deviceURL != nil { return try await client.run(input, progress: progress) }
        guard let key else { throw WifiPlanError.noKey }
        let credentials = Credentials(serial: serial, key: key, meter: meter)
        let input = self.input
        return try await joiner.withAccessPoint(ssid: credentials.ssid, password: credentials.apPassword, progress: progress) {
            try await client.run(input, progress: progress)
        }
    }
}

/// What is wrong with a wifi setup's inputs. Never holds a password.
public enum WifiPlanError: ReportableError {
    case noDevice(profile: String, serial: String)
    case input(WifiSetupInputError)
    /// The profile's password source could not be read.
    case profilePassword(WifiPasswordError)
    /// Joining the board's AP needs its key, and none was given.
    case noKey

    public var description: String {
        switch self {
        case .noDevice(let profile, let serial): "the profile \(profile) has no device \(serial)"
        case .input(let error): error.description
        case .profilePassword(let error): error.description
        case .noKey: "the board's KEY is needed to join its setup access point"
        }
    }

    public var help: String? {
        switch self {
        case .noDevice: "check --serial, or add the device to the profile"
        case .input(let error): error.help
        case .profilePassword: "see the profile's network section"
        case .noKey: "give --key-file FILE, or the device's key in the profile, or --device-url when already on the AP"
        }
    }

    public var cause: (any ReportableError)? {
        switch self {
        case .input(let error): error
        case .profilePassword(let error): error
        default: nil
        }
    }
}
