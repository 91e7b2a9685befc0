import Basics
import DeviceSim
import ESPFlasher
import ESPImage
import FirmwareBuild
import Foundation
import MeterLogger
import MQTT
import Provisioning
import Station

/// `mlprov demo`'s story, without hardware: a device twin (an ESP8266 on an in-process
/// cable with the usual DTR/RTS auto-reset wiring) whose flash holds an old pattern,
/// including a saved configuration that must survive, is provisioned by the one pipeline
/// every board takes (`BoardProvisioner`: build, flash, boot check); its flash is then
/// compared byte for byte; a private mosquitto starts, the board's wifi and MQTT host are
/// set through its setup page, and it is commissioned over MQTT with its own key.
public struct DemoScenario: Sendable {
    /// The demo site's wifi, as the twin's scan shows it.
    public static let siteSSID = "Demo-Site"
    static let sitePassword = "demo-site-wifi"

    public let profile: InstallationProfile
    public let device: Device
    public let key: DeviceKey
    public let builder: FirmwareBuilder
    public let baud: Int
    public let realisticTiming: Bool

    public init(profile: InstallationProfile, device: Device, builder: FirmwareBuilder, baud: Int, realisticTiming: Bool) throws(DemoError) {
        guard let key = device.key.givenKey else { throw .keyNotGiven(serial: device.serial.text) }
        self.profile = profile
        self.device = device
        self.key = key
        self.builder = builder
        self.baud = baud
        self.realisticTiming = realisticTiming
    }

    /// What the demo tells as it goes.
    public enum Event: Sendable {
        case twinStarted(TwinConfiguration)
        case provisioning(ProvisioningEvent)
        case flashVerified(FlashCheck)
        case brokerStarted(host: String, port: Int, boardUser: String)
        case wifiProgress(String)
        case wifiDone(WifiSetupReport)
    }

    /// What the twin's flash and firmware showed after the pipeline.
    public struct FlashCheck: Sendable {
        public let parts: Int
        public let serial: String
        public let meter: MeterKind
        public let ssid: String
        public let flashSeconds: Double
        public let chipState: String
    }

    /// Runs the whole story; the report is the commissioning's.
    public func run(events: @escaping @Sendable (Event) -> Void) async throws(DemoError) -> CommissioningReport {
        let twin = try await flashAndBoot(events: events)
        defer { twin.stop() }
        return try await commissionOverPrivateBroker(twin: twin, events: events)
    }

    private func flashAndBoot(events: @escaping @Sendable (Event) -> Void) async throws(DemoError) -> ESP8266Twin {
        var configuration = TwinConfiguration()
        configuration.initialBootMode = .flash
        configuration.timing = realisticTiming ? .realistic : .off
        let pattern = (0..<configuration.flashSize.bytes).map { UInt8(truncatingIfNeeded: $0 >> 12) }
        let twin: ESP8266Twin
        do { twin = try ESP8266Twin(configuration: configuration, flashContents: pattern) } catch { throw .twin(error) }
        events(.twinStarted(configuration))
        let link = twin.connectInProcess(name: "twin")
        do { try link.setBaudRate(baud) } catch { throw .provisioning(.connection(.link(error))) }

        let provisioner = BoardProvisioner(
            profile: profile, builder: builder, loader: LoaderSettings(baud: baud, reset: .classic, stub: .mlprov),
            steps: ProvisioningSteps(bootCheck: true), record: UnrecordedDevice(device: device, key: key))
        let result: ProvisioningResult
        do {
            result = try await provisioner.run(on: .link(link)) { events(.provisioning($0)) }
        } catch {
            twin.stop()
            throw .provisioning(error)
        }

        let flash = twin.flash.contents
        let protected = FlashLayout.meterLoggerConfiguration
        guard let plan = result.plan, plan.operations.allSatisfy({ Array(flash[$0.part.range]) == $0.part.bytes }),
              flash[protected] == pattern[protected]
        else {
            twin.stop()
            throw .flashMismatch
        }
        guard let identity = twin.firmwareIdentity, identity.serial == device.serial.text, identity.meter == profile.variant(for: device).meter else {
            twin.stop()
            throw .wrongIdentity(reported: twin.firmwareIdentity.map(String.init(describing:)) ?? "no identity", expected: device.serial.text)
        }
        events(.flashVerified(FlashCheck(
            parts: plan.operations.count, serial: identity.serial, meter: identity.meter, ssid: identity.ssid,
            flashSeconds: result.flashSeconds ?? 0, chipState: "\(twin.chipState)")))
        return twin
    }

    /// Starts a private mosquitto, sets up the twin's wifi through its setup page (as
    /// `mlprov wifi --device-url` does), waits for it to come online and commissions it.
    private func commissionOverPrivateBroker(twin: ESP8266Twin, events: @escaping @Sendable (Event) -> Void) async throws(DemoError) -> CommissioningReport {
        let identity = TwinMQTTIdentity(serial: device.serial.text, key: key, meter: twin.firmwareIdentity?.meter ?? .kmp)
        let boardLogin = identity.defaultLogin()
        let (device, key) = (self.device, self.key)
        do {
            let technicianPassword = try DeviceKey.random().hex
            return try await PrivateBroker.run(users: [boardLogin.username: boardLogin.password, "mlprov": technicianPassword]) { broker in
                events(.brokerStarted(host: broker.host, port: broker.port, boardUser: boardLogin.username))
                let webUI = try await twin.startSetupWebUI(
                    scanResults: [.init(essid: Self.siteSSID, rssi: -51), .init(essid: "Neighbour", rssi: -80)],
                    afterSetup: .goOnline(port: broker.port, settings: TwinMQTTSettings(sampleInterval: .seconds(2))))
                guard let sitePassword = WifiPassword(Self.sitePassword) else { throw DemoError.notOnline }
                let input = try WifiSetupInput(ssid: Self.siteSSID, password: sitePassword, mqttHost: broker.host, impulse: device.impulse)
                // Both sides run in this process: generous bounds for a loaded machine.
                let setup = try await WifiSetupClient(baseURL: webUI.baseURL, requestTimeout: 60).run(input) { events(.wifiProgress($0)) }
                events(.wifiDone(setup))
                guard await webUI.waitForAfterSetup(timeout: .seconds(30)), let online = webUI.onlineClient else {
                    await webUI.stop()
                    throw DemoError.notOnline
                }
                let report = await commission(
                    serial: device.serial, key: key,
                    broker: MQTTBrokerLogin(host: broker.host, port: broker.port, username: "mlprov", password: technicianPassword),
                    options: CommissioningOptions(sampleTimeout: .seconds(20)))
                await online.stop()
                await webUI.stop()
                return report
            }
        } catch let error as DemoError {
            throw error
        } catch let error as any ReportableError {
            throw .wifiOrBroker(error)
        } catch {
            throw .wifiOrBroker(PrivateBrokerError(description: "\(error)"))
        }
    }
}

/// What the demo can fail with.
public enum DemoError: ReportableError {
    case keyNotGiven(serial: String)
    case twin(FlashMemoryError)
    case provisioning(BoardProvisioningError)
    /// The twin's flash does not hold what was written, or the saved configuration changed.
    case flashMismatch
    case wrongIdentity(reported: String, expected: String)
    /// The twin did not come online after its wifi setup.
    case notOnline
    case wifiOrBroker(any ReportableError)

    public var description: String {
        switch self {
        case .keyNotGiven(let serial): "the demo device \(serial) has no key in the profile"
        case .twin(let error): "cannot start the device twin: \(error.description)"
        case .provisioning(let error): error.description
        case .flashMismatch: "the twin's flash does not hold what was written"
        case .wrongIdentity(let reported, let expected): "the twin booted, but its firmware reports \(reported), not device \(expected)"
        case .notOnline: "the twin did not come online after wifi setup"
        case .wifiOrBroker(let error): "wifi setup and commissioning failed: \(error.description)"
        }
    }

    public var help: String? {
        switch self {
        case .keyNotGiven: "give the demo device a key in the profile"
        case .twin(let error): error.help
        case .provisioning(let error): error.help
        case .flashMismatch, .notOnline: "this is a bug in mlprov; please report it"
        case .wrongIdentity: "this is a bug in mlprov or the demo firmware; please report it"
        case .wifiOrBroker(let error): error.help ?? "is mosquitto installed? scripts/setup installs it"
        }
    }

    public var cause: (any ReportableError)? {
        switch self {
        case .twin(let error): error
        case .provisioning(let error): error
        case .wifiOrBroker(let error): error
        default: nil
        }
    }
}
