import Basics
import ArgumentParser
import DeviceDiscovery
import ESPFlasher
import Foundation
import MeterLogger
import MQTT
import Provisioning
import Station

/// `mlprov station`: a USB hub, a box of boards, a profile.
struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Provision boards as they are plugged in, several at once.",
        discussion: """
            Each board is connected and identified (MAC, chip id), then becomes the device the \
            ledger already tied it to (a re-plugged board, or a restarted station, continues \
            where it stopped), else the profile's next device not yet provisioned, claimed in \
            the ledger with its key before anything is written (or the serial the technician \
            types or scans, with --ask-serial or when the profile is used up). Its firmware is \
            built (or taken from the cache), flashed, and the boot is checked: the firmware must \
            report the device's serial. --wifi and --commission add the setup-AP wifi step and \
            MQTT commissioning. A board pulled mid-way fails with the reason; plugging it in \
            again resumes it. Ctrl-C stops cleanly (exit code 130): running flashes are \
            aborted and the ledger says where each board stopped.

            On a terminal a live table shows slot, serial, phase, progress and result; \
            otherwise (or with --json) one JSON object per event.

            Examples:
              mlprov station --profile profiles/site.yaml --jobs 4
              mlprov station --profile profiles/demo-twin.yaml --ports /dev/pts/3,/dev/pts/4 --before no-reset --once --json
            """)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var ledgerOptions: LedgerOptions

    // Not ConnectionOptions: its --port is required (one board) and its --after has no
    // meaning here (the station always hard-resets a board into its firmware to check the
    // boot), so the station declares --baud, --before, --connect-attempts and --no-stub
    // itself with the same names and meanings.

    @Option(help: "Boards worked on at once.")
    var jobs = 4

    @Option(help: "Comma-separated ports to use instead of waiting for USB adapters (hotplug), e.g. /dev/ttyUSB0,/dev/ttyUSB1.")
    var ports: String?

    @Option(name: [.short, .long], help: "Line rate for flashing (default: the profile's).")
    var baud: Int?

    @Option(help: "How to enter the ROM loader: classic, unix-tight, or no-reset (boards already in the loader, device twins).")
    var before: ResetStrategy = .classic

    @Option(help: "Reset-and-sync attempts per board before it counts as failed.")
    var connectAttempts: Int = LoaderSession.defaultConnectAttempts

    @Flag(help: "Write through the ROM loader alone, without mlprov's flasher stub.")
    var noStub = false

    @Flag(help: "After the boot check, give each board the profile's site wifi and MQTT host through its setup access point.")
    var wifi = false

    @Option(help: "With --wifi: the board's setup page when it is reachable without joining its AP (a twin's URL).")
    var wifiDeviceURL: String?

    @Flag(help: "After wifi setup, check over MQTT (the profile's broker) that each board is online with its key.")
    var commission = false

    @Option(help: "With --commission: the MQTT user name.")
    var mqttUser: String?

    @Option(help: "With --commission: a file (0600) holding the MQTT password.")
    var mqttPasswordFile: String?

    @OptionGroup(title: "With --commission") var commissioningTimeouts: CommissioningTimeoutOptions

    @Flag(help: "Ask for every board's serial (typed or scanned) instead of taking the profile's next device.")
    var askSerial = false

    @Flag(help: "With --ports: exit once every port's board is done or failed (or the profile is used up).")
    var once = false

    @Flag(help: "One JSON object per event on standard output (also when standard output is not a terminal).")
    var json = false

    @Option(help: "Cache folder (default: ~/.cache/mlprov/firmware).")
    var cache: String?

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if once, ports == nil { throw ValidationError("--once needs --ports (hotplug runs until Ctrl-C)") }
        if wifiDeviceURL != nil, !wifi { throw ValidationError("--wifi-device-url needs --wifi") }
        if mqttPasswordFile != nil, mqttUser == nil { throw ValidationError("--mqtt-password-file needs --mqtt-user") }
    }

    func run() async throws {
        let console = Console()
        let station: Station
        do {
            let profile = try profileOptions.load()
            let configuration = StationConfiguration(
                profile: profile, jobs: jobs, baud: baud, reset: before, connectAttempts: connectAttempts, stub: noStub ? nil : .mlprov,
                askSerial: askSerial,
                wifi: wifi ? try wifiStep(profile) : nil, commissioning: commission ? try commissioningStep(profile) : nil)
            station = Station(
                configuration: configuration, ledger: try ledgerOptions.open(), builder: firmwareBuilder(cache: cache),
                technician: TerminalTechnician(console: console))
        } catch let error as ReportableError {
            throw console.fail(error.description, help: error.help, json: json)
        }

        let boards: AsyncStream<AdapterEvent>
        if let ports {
            let list = ports.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            boards = FixedPorts.events(list, watch: !once)
        } else {
            do { boards = try AdapterWatcher().events() } catch {
                throw console.fail(error.description, help: error.help, json: json)
            }
        }

        let useTable = !json && isatty(STDOUT_FILENO) == 1
        let renderer = StationRenderer(table: useTable)
        if !useTable, ports == nil { console.info("Waiting for boards (USB serial adapters); Ctrl-C to stop") }
        let work = Task { await station.run(boards: boards) { renderer.render($0) } }
        // The first Ctrl-C stops the station cleanly; a second one ends the process at once.
        let interrupt = SignalCatcher([SIGINT], repeated: .endsProcess) { _ in work.cancel() }
        let summary = await work.value
        interrupt.stop()
        renderer.finish(summary)
        if summary.interrupted { throw ExitCode(SignalCatcher.exitCode(for: SIGINT)) }
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }

    private func wifiStep(_ profile: InstallationProfile) throws -> WifiStep {
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
            joiner: wifiDeviceURL == nil ? WifiAccessPointJoiner() : nil)
    }

    private func commissioningStep(_ profile: InstallationProfile) throws -> CommissioningCheck {
        guard let broker = profile.network?.mqtt else {
            throw CommandFailure(message: "\(profile.file) has no network.mqtt broker, which --commission needs", help: "add network: mqtt: host (profiles/README.md)")
        }
        let password = try mqttPasswordFile.map { try MQTTBrokerOptions.readPassword($0) }
        let login = MQTTBrokerLogin(host: broker.host, port: broker.port, username: mqttUser, password: password)
        let options = commissioningTimeouts.options
        return CommissioningCheck { serial, key in await Provisioning.commission(serial: serial, key: key, broker: login, options: options) }
    }
}

