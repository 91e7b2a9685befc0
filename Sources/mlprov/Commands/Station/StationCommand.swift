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
struct StationCommand: ReportingCommand {
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

    @OptionGroup var steps: ProvisioningStepOptions

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
    }

    var reportsJSON: Bool { json }

    func run(console: Console) async throws {
        let profile = try profileOptions.load()
        let configuration = StationConfiguration(
            profile: profile, jobs: jobs, baud: baud, reset: before, connectAttempts: connectAttempts, stub: noStub ? nil : .mlprov,
            askSerial: askSerial, wifi: try steps.wifiStep(profile), commissioning: try steps.commissioningCheck(profile))
        let station = Station(
            configuration: configuration, ledger: try ledgerOptions.open(), builder: firmwareBuilder(cache: cache),
            technician: TerminalTechnician(console: console))

        let boards: AsyncStream<AdapterEvent>
        if let ports {
            let list = ports.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            boards = FixedPorts.events(list, watch: !once)
        } else {
            boards = try AdapterWatcher().events()
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
}
