import Basics
import ArgumentParser
import Dispatch
import Foundation
import MeterLogger
import Provisioning

/// `mlprov wifi`: gives a board the site's wifi and MQTT host through its setup access point.
struct WifiCommand: ReportingCommand {
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

    /// The board's setup page on its own AP (docs/meterlogger-firmware.md, "E. Setup web UI").
    static var defaultDevice: URL { WifiSetupPlan.boardSetupPage }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let plan = try WifiSetupPlan(serial: try Credentials.parseSerial(serial), profile: try profile.map(InstallationProfile.load), given: try given())
        // Joining the board's AP: Ctrl-C must restore the laptop's connection, so it is caught
        // before the join starts (no Ctrl-C falls between the two). On a setup page reachable
        // as it is, Ctrl-C ends the command as usual.
        let interrupt = plan.deviceURL == nil
            ? SignalCatcher([SIGINT]) { _ in console.info("Interrupted: restoring the previous connection…") } : nil
        defer { interrupt?.stop() }
        let (scanTimeout, requestTimeout, joiner) = (Duration.seconds(max(1, scanTimeout)), max(1, requestTimeout), WifiAccessPointJoiner(attempts: joinAttempts))
        let work = Task {
            try await plan.run(scanTimeout: scanTimeout, requestTimeout: requestTimeout, joiner: joiner) { console.info($0) }
        }
        let canceller = Task {
            if let interrupt, await interrupt.wait() != nil { work.cancel() }
        }
        defer { canceller.cancel() }
        let report: WifiSetupReport
        do {
            report = try await work.value
        } catch is CancellationError {
            throw CommandFailure(message: "interrupted; the previous connection was restored", help: nil)
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

    /// The options as typed values; what is not given comes from the profile.
    func given() throws -> WifiSetupPlan.Given {
        var given = WifiSetupPlan.Given()
        if let meter {
            guard let kind = MeterKind(rawValue: meter) else {
                throw CommandFailure(message: "--meter '\(meter)' is not one of: \(MeterKind.allCases.map(\.rawValue).joined(separator: ", "))", help: nil)
            }
            given.meter = kind
        }
        if keyFile != nil, keyText != nil {
            throw CommandFailure(message: "give the key either with --key-file or with --key, not both", help: nil)
        }
        if let keyFile { given.key = try Credentials.readKey(file: keyFile) }
        if let keyText { given.key = try Credentials.parseKey(keyText, source: "--key") }
        given.ssid = ssid
        if let passwordFile {
            let text: String
            do {
                text = try MQTTBrokerOptions.readPassword(passwordFile, what: "wifi password")
            } catch {
                throw CommandFailure(message: "--password-file: \(error.message)", help: error.help)
            }
            given.password = try WifiSetupValidation.password(text)
        }
        given.mqttHost = mqttHost
        if impulseSerial != nil || impulseReading != nil || impulsesPerUnit != nil {
            guard let impulseSerial else { throw WifiSetupInputError.invalid(field: "--impulse-serial", problem: "missing (the impulse fields go together)") }
            guard let impulseReading else { throw WifiSetupInputError.invalid(field: "--impulse-reading", problem: "missing (the impulse fields go together)") }
            guard let impulsesPerUnit else { throw WifiSetupInputError.invalid(field: "--impulses-per-unit", problem: "missing (the impulse fields go together)") }
            given.impulse = ImpulseMeterSetup(
                meterSerial: try WifiSetupValidation.impulseMeterSerial(impulseSerial, field: "--impulse-serial"),
                meterReading: try WifiSetupValidation.meterReading(impulseReading, field: "--impulse-reading"),
                impulsesPerUnit: try WifiSetupValidation.impulsesPerUnit(impulsesPerUnit, field: "--impulses-per-unit"))
        }
        if let deviceURL {
            guard let parsed = URL(string: deviceURL), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
                throw CommandFailure(message: "--device-url '\(deviceURL)' is not an http URL", help: "e.g. http://192.168.4.1/ or http://127.0.0.1:8080")
            }
            given.deviceURL = parsed
        }
        return given
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
