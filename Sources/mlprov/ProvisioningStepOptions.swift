import ArgumentParser
import Foundation
import MeterLogger
import MQTT
import Provisioning
import Station

/// The optional steps after the boot check, for `mlprov provision` and the station.
struct ProvisioningStepOptions: ParsableArguments {
    @Flag(help: "After the boot check, give the board the profile's site wifi and MQTT host through its setup access point.")
    var wifi = false

    @Option(help: "With --wifi: the board's setup page when it is reachable without joining its AP (a twin's URL).")
    var wifiDeviceURL: String?

    @Option(help: "With --wifi: seconds to wait for each answer of the board's setup page (its web server can be slow while it scans).")
    var wifiRequestTimeout: Double = 10

    @Flag(help: "After wifi setup, check over MQTT (the profile's broker) that the board is online with its key.")
    var commission = false

    @Option(help: "With --commission: the MQTT user name.")
    var mqttUser: String?

    @Option(help: "With --commission: a file (0600) holding the MQTT password.")
    var mqttPasswordFile: String?

    @OptionGroup(title: "With --commission") var commissioningTimeouts: CommissioningTimeoutOptions

    func validate() throws {
        if wifiDeviceURL != nil, !wifi { throw ValidationError("--wifi-device-url needs --wifi") }
        if mqttPasswordFile != nil, mqttUser == nil { throw ValidationError("--mqtt-password-file needs --mqtt-user") }
    }

    /// The wifi step from the profile's network section; nil without --wifi.
    func wifiStep(_ profile: InstallationProfile) throws -> WifiStep? {
        guard wifi else { return nil }
        guard let network = profile.network else {
            throw CommandFailure(message: "\(profile.file) has no network section, which --wifi needs", help: "add network: ssid, password and mqtt host (profiles/README.md)")
        }
        let password: WifiPassword
        do { password = try network.password.read() } catch {
            throw CommandFailure(message: error.description, help: "see the profile's network section")
        }
        var url = WifiCommand.defaultDevice
        if let wifiDeviceURL {
            guard let parsed = URL(string: wifiDeviceURL), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
                throw CommandFailure(message: "--wifi-device-url '\(wifiDeviceURL)' is not an http URL", help: "e.g. http://127.0.0.1:8080")
            }
            url = parsed
        }
        return WifiStep(
            ssid: network.ssid, password: password, mqttHost: network.mqtt.host, deviceURL: url,
            joiner: wifiDeviceURL == nil ? WifiAccessPointJoiner() : nil, requestTimeout: max(1, wifiRequestTimeout))
    }

    /// Commissioning with the profile's broker; nil without --commission.
    func commissioningCheck(_ profile: InstallationProfile) throws -> CommissioningCheck? {
        guard commission else { return nil }
        guard let broker = profile.network?.mqtt else {
            throw CommandFailure(message: "\(profile.file) has no network.mqtt broker, which --commission needs", help: "add network: mqtt: host (profiles/README.md)")
        }
        let password = try mqttPasswordFile.map { try MQTTBrokerOptions.readPassword($0) }
        let login = MQTTBrokerLogin(host: broker.host, port: broker.port, username: mqttUser, password: password)
        let options = commissioningTimeouts.options
        return CommissioningCheck { serial, key in await Provisioning.commission(serial: serial, key: key, broker: login, options: options) }
    }
}
