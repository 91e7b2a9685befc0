import Basics
import Foundation
import MeterLogger
import Provisioning

/// Wifi setup after the boot check, with Provisioning's code: join the board's setup
/// access point (KAM_/EL_<serial>, password derived from its key) with NetworkManager,
/// post the site's wifi and MQTT host through its setup page, restore the laptop's
/// connection. The laptop has one wifi adapter, so a station runs one setup at a time.
public struct WifiStep: Sendable {
    public let ssid: String
    public let password: WifiPassword
    public let mqttHost: String
    /// The board's setup page (its own AP's address, or a twin's URL).
    public let deviceURL: URL
    /// Joins the board's AP first; nil when the setup page is reachable as it is.
    public let joiner: WifiAccessPointJoiner?
    public let scanTimeout: Duration
    /// How long each answer of the setup page may take, in seconds.
    public let requestTimeout: TimeInterval

    public init(
        ssid: String, password: WifiPassword, mqttHost: String, deviceURL: URL, joiner: WifiAccessPointJoiner?,
        scanTimeout: Duration = .seconds(30), requestTimeout: TimeInterval = 10
    ) {
        self.ssid = ssid
        self.password = password
        self.mqttHost = mqttHost
        self.deviceURL = deviceURL
        self.joiner = joiner
        self.scanTimeout = scanTimeout
        self.requestTimeout = requestTimeout
    }

    /// Sets up `device`'s board, whose key is `key`, with the same plan as `mlprov wifi`.
    func run(device: Device, key: DeviceKey, meter: MeterKind) async throws(BoardProvisioningError) {
        do {
            let given = WifiSetupPlan.Given(
                meter: meter, key: key, ssid: ssid, password: password, mqttHost: mqttHost, impulse: device.impulse,
                deviceURL: joiner == nil ? deviceURL : nil)
            let plan = try WifiSetupPlan(serial: device.serial, profile: nil, given: given)
            _ = try await plan.run(scanTimeout: scanTimeout, requestTimeout: requestTimeout, joiner: joiner ?? WifiAccessPointJoiner()) { _ in }
        } catch let error as any ReportableError {
            throw .wifi(error)
        } catch {
            throw .stopped(reason: "wifi setup was cancelled")
        }
    }
}
