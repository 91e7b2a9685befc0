import Basics
import ArgumentParser
import Dispatch
import Foundation
import MeterLogger
import Provisioning

/// `mlprov wifi`: gives a board the site's wifi and MQTT host through its setup access point.
struct WifiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wifi",
        abstract: "Give a board the site's wifi and MQTT host through its setup access point.",
        discussion: """
            Joins the board's setup access point (KAM_<serial>, EL_<serial> for impulse meters; \
            its password is derived from KEY) with NetworkManager, loads the setup page, waits \
            for the board's wifi scan, posts the settings and puts the laptop's previous \
            connection back, also on failure and on Ctrl-C. With --device-url the laptop is \
            already on the board's AP (or the board is the twin) and nothing is joined. All \
            inputs are checked before anything is sent.

            Examples:
              mlprov wifi --profile profiles/site.yaml --serial 9999999
              mlprov wifi --device-url http://127.0.0.1:8080 --serial 9999999 --key-file k.key \\
                --ssid "Loppen Public" --password-file site.pw --mqtt-host 10.0.0.2
            """)

    @Option(help: "The board's setup page when the laptop is already on its AP, e.g. http://192.168.4.1/ or the twin's URL. Skips joining.")
    var deviceURL: String?

    @Option(help: "Installation profile: the site's SSID, password source and MQTT host, and the device's key and impulse settings.")
    var profile: String?

    @Option(help: "The board's serial (its meter's serial), e.g. 9999999.")
    var serial: String

    @Option(name: .customLong("key-file"), help: "A file (chmod 600) holding the board's KEY; the setup AP's password is derived from it.")
    var keyFile: String?

    @Option(name: .customLong("key"), help: "The board's KEY as 32 hex characters, for test vectors only: other users can read the command line.")
    var keyText: String?

    @Option(help: "The meter kind: kmp, mc66c, mc66b or impulse (default: the profile's, else kmp).")
    var meter: String?

    @Option(help: "The site network's SSID (default: the profile's).")
    var ssid: String?

    @Option(help: "A file (chmod 600) holding the site's wifi password (default: the profile's password source).")
    var passwordFile: String?

    @Option(help: "The MQTT broker's host name or IPv4 address for the board (default: the profile's).")
    var mqttHost: String?

    @Option(help: "Impulse meters: the electricity meter's serial (≤ 12 letters, digits, _ or -).")
    var impulseSerial: String?

    @Option(help: "Impulse meters: the meter's reading in kWh (≤ 3 decimals).")
    var impulseReading: String?

    @Option(help: "Impulse meters: impulses per kWh.")
    var impulsesPerUnit: String?

    @Option(help: "Attempts at joining the board's access point while it comes up (backoff 2 s doubling up to 10 s).")
    var joinAttempts: Int = 6

    @Option(help: "Seconds to wait for the board's wifi scan.")
    var scanTimeout: Int = 30

    @Option(help: "Seconds to wait for each answer of the setup page (a board's web server can be slow while it scans).")
    var requestTimeout: Double = 10

    @OptionGroup var output: OutputOptions

    static let defaultDeviceURL = "http://192.168.4.1/"

    /// The board's setup page on its own AP (facts/meterlogger.md, "Setup access point").
    static var defaultDevice: URL {
        var components = URLComponents()
        components.scheme = "http"
        components.host = "192.168.4.1"
        components.path = "/"
        return components.url ?? URL(fileURLWithPath: "/")
    }

    /// Everything checked before any request.
    struct Plan {
        var serial: MeterSerial
        var meter: MeterKind
        var key: DeviceKey?
        var input: WifiSetupInput
        var deviceURL: URL?
    }

    func run() async throws {
        let console = Console()
        let plan: Plan
        do {
            plan = try makePlan()
        } catch let error as ReportableError {
            throw console.fail(error.description, help: error.help, json: output.json)
        }

        let client = WifiSetupClient(
            baseURL: plan.deviceURL ?? Self.defaultDevice, scanTimeout: .seconds(max(1, scanTimeout)), requestTimeout: max(1, requestTimeout))
        let progress: @Sendable (String) -> Void = { console.info($0) }
        let report: WifiSetupReport
        do {
            if plan.deviceURL != nil {
                report = try await client.run(plan.input, progress: progress)
            } else {
                report = try await joinAndRun(plan, client: client, console: console)
            }
        } catch let error as ReportableError {
            throw console.fail(error.description, help: error.help, json: output.json)
        } catch is CancellationError {
            throw console.fail("interrupted; the previous connection was restored", help: nil, json: output.json)
        }
        for warning in report.warnings where !warning.hasPrefix("the board does not see") {
            console.info("warning: \(warning)")
        }
        if output.json {
            console.json(WifiCommandReport(serial: plan.serial.text, report: report))
        } else {
            console.result("The board \(plan.serial.text) took the settings for \(report.ssid)\(report.ssidVisible ? "" : " (not visible to it)"); it now joins the site network.")
        }
    }

    /// Joins the board's AP, runs the setup, restores the laptop's connection (also on Ctrl-C).
    private func joinAndRun(_ plan: Plan, client: WifiSetupClient, console: Console) async throws -> WifiSetupReport {
        guard let key = plan.key else {
            throw CommandFailure(message: "the board's KEY is needed to join its setup access point", help: "give --key-file FILE, or the device's key in the profile, or --device-url when already on the AP")
        }
        let credentials = Credentials(serial: plan.serial, key: key, meter: plan.meter)
        let joiner = WifiAccessPointJoiner(attempts: joinAttempts)
        let input = plan.input
        // Caught before the join starts, so that no Ctrl-C falls between the two.
        let interrupt = SignalCatcher([SIGINT]) { _ in console.info("Interrupted: restoring the previous connection…") }
        defer { interrupt.stop() }
        let work = Task {
            try await joiner.withAccessPoint(ssid: credentials.ssid, password: credentials.apPassword, progress: { console.info($0) }) {
                try await client.run(input, progress: { console.info($0) })
            }
        }
        let canceller = Task {
            if await interrupt.wait() != nil { work.cancel() }
        }
        defer { canceller.cancel() }
        return try await work.value
    }

    func makePlan() throws -> Plan {
        let serial = try Credentials.parseSerial(serial)
        var loaded: InstallationProfile?
        var device: Device?
        if let profile {
            let installation = try InstallationProfile.load(path: profile)
            guard let found = installation.device(serial: serial.text) else {
                throw CommandFailure(message: "the profile \(profile) has no device \(serial.text)", help: "check --serial, or add the device to the profile")
            }
            loaded = installation
            device = found
        }
        let network = loaded?.network

        var meterKind = MeterKind.kmp
        if let meter {
            guard let kind = MeterKind(rawValue: meter) else {
                throw CommandFailure(message: "--meter '\(meter)' is not one of: \(MeterKind.allCases.map(\.rawValue).joined(separator: ", "))", help: nil)
            }
            meterKind = kind
        } else if let loaded, let device {
            meterKind = loaded.variant(for: device).meter
        }

        if keyFile != nil, keyText != nil {
            throw CommandFailure(message: "give the key either with --key-file or with --key, not both", help: nil)
        }
        var key: DeviceKey?
        if let keyFile { key = try Credentials.readKey(file: keyFile) } else if let keyText {
            key = try Credentials.parseKey(keyText, source: "--key")
        } else {
            key = device?.key.givenKey
        }

        guard let ssidText = ssid ?? network?.ssid else {
            throw WifiSetupInputError.invalid(field: WifiSetupField.ssid, problem: "no SSID given (and no profile network)")
        }
        let siteSSID = try WifiSetupValidation.ssid(ssidText)

        let password: WifiPassword
        if let passwordFile {
            let text: String
            do {
                text = try MQTTBrokerOptions.readPassword(passwordFile, what: "wifi password")
            } catch {
                throw CommandFailure(message: "--password-file: \(error.message)", help: error.help)
            }
            password = try WifiSetupValidation.password(text)
        } else if let source = network?.password {
            do {
                password = try source.read()
            } catch {
                throw CommandFailure(message: error.description, help: "see the profile's network section")
            }
        } else {
            throw WifiSetupInputError.invalid(field: WifiSetupField.password, problem: "no wifi password file given (and no profile network)")
        }

        guard let hostText = mqttHost ?? network?.mqtt.host else {
            throw WifiSetupInputError.invalid(field: WifiSetupField.mqttHost, problem: "no MQTT host given (and no profile network)")
        }
        let host = try WifiSetupValidation.mqttHost(hostText)

        var impulse: ImpulseMeterSetup?
        if impulseSerial != nil || impulseReading != nil || impulsesPerUnit != nil {
            guard let impulseSerial else { throw WifiSetupInputError.invalid(field: "--impulse-serial", problem: "missing (the impulse fields go together)") }
            guard let impulseReading else { throw WifiSetupInputError.invalid(field: "--impulse-reading", problem: "missing (the impulse fields go together)") }
            guard let impulsesPerUnit else { throw WifiSetupInputError.invalid(field: "--impulses-per-unit", problem: "missing (the impulse fields go together)") }
            impulse = ImpulseMeterSetup(
                meterSerial: try WifiSetupValidation.impulseMeterSerial(impulseSerial, field: "--impulse-serial"),
                meterReading: try WifiSetupValidation.meterReading(impulseReading, field: "--impulse-reading"),
                impulsesPerUnit: try WifiSetupValidation.impulsesPerUnit(impulsesPerUnit, field: "--impulses-per-unit"))
        } else {
            impulse = device?.impulse
        }
        if meterKind == .impulse, impulse == nil {
            throw WifiSetupInputError.invalid(field: "--impulse-serial", problem: "an impulse meter needs --impulse-serial, --impulse-reading and --impulses-per-unit")
        }

        var url: URL?
        if let deviceURL {
            guard let parsed = URL(string: deviceURL), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
                throw CommandFailure(message: "--device-url '\(deviceURL)' is not an http URL", help: "e.g. http://192.168.4.1/ or http://127.0.0.1:8080")
            }
            url = parsed
        }
        let input = try WifiSetupInput(ssid: siteSSID, password: password, mqttHost: host, impulse: impulse)
        return Plan(serial: serial, meter: meterKind, key: key, input: input, deviceURL: url)
    }
}

struct WifiCommandReport: Encodable {
    var ok = true
    var serial: String
    var deviceURL: String
    var page: String
    var ssid: String
    var ssidVisible: Bool
    var rssi: Int?
    var replyPath: String
    var warnings: [String]

    init(serial: String, report: WifiSetupReport) {
        self.serial = serial
        deviceURL = report.deviceURL
        page = report.setupPagePath
        ssid = report.ssid
        ssidVisible = report.ssidVisible
        rssi = report.rssi
        replyPath = report.replyPath
        warnings = report.warnings
    }

    enum CodingKeys: String, CodingKey {
        case ok, serial, deviceURL = "device_url", page, ssid, ssidVisible = "ssid_visible", rssi, replyPath = "reply_path", warnings
    }
}
