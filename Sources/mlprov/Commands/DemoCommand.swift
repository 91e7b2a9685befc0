import ArgumentParser
import DeviceSim
import ESPFlasher
import ESPImage
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole flow against the device twin, no hardware needed.",
        discussion: """
            Starts a device twin (an ESP8266 on an in-process cable with the usual DTR/RTS \
            auto-reset wiring), flashes a MeterLogger-sized image set onto it through the real \
            loader session, resets it and shows its boot log, then checks the twin's flash.

            Example: mlprov demo --baud 115200 --timing realistic
            """)

    @Option(help: "Line rate; the ROM autobauds, so 921600 works directly.")
    var baud: Int = 921_600

    @Option(help: "realistic: the twin takes the time a real board takes; off: as fast as possible.")
    var timing: SimCommand.TimingChoice = .realistic

    func run() throws {
        let console = Console()
        try console.reporting(json: false) {
            var configuration = TwinConfiguration()
            configuration.initialBootMode = .flash
            configuration.timing = timing == .realistic ? .realistic : .off
            let pattern = (0..<configuration.flashSize.bytes).map { UInt8(truncatingIfNeeded: $0 >> 12) }
            let twin = try ESP8266Twin(configuration: configuration, flashContents: pattern)
            defer { twin.stop() }
            let files = SampleImageSet.meterLogger()
            console.info("""
                Device twin: ESP8266EX, MAC \(configuration.mac), \(configuration.flashSize.name) flash, \
                timing \(timing.rawValue); its flash holds an old pattern, including a saved configuration \
                at 0x76000-0x78FFF that must survive.
                Image set: \(files.count) files, \(files.reduce(0) { $0 + $1.bytes.count }) bytes (the sizes of a MeterLogger KMP build).
                """)

            let plan = try FlashPlan(
                parts: files.map { FlashPart(name: $0.name, offset: $0.offset, bytes: $0.bytes) },
                flashSize: configuration.flashSize, parameters: .meterLogger)
            let link = twin.connectInProcess(name: "twin")
            try link.setBaudRate(baud)
            let session = LoaderSession(link: link)
            let started = ContinuousClock.now
            try session.connect(reset: .classic) { console.render($0) }
            let chip = try session.readChipInfo()
            console.render(.connected(chip))
            try session.write(plan) { console.render($0) }
            let flashSeconds = (ContinuousClock.now - started).seconds
            let (action, log) = try session.finishCapturingBootLog(.hardReset)
            console.render(.finished(action))
            console.result("Boot log at 74880 baud:")
            for line in log.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) where !line.isEmpty {
                console.result("  \(line)")
            }

            let flash = twin.flash.contents
            let intact = plan.operations.allSatisfy { Array(flash[$0.part.range]) == $0.part.bytes }
            let configurationSurvived = flash[0x76000..<0x79000] == pattern[0x76000..<0x79000]
            guard intact, configurationSurvived else {
                throw CommandFailure(message: "the twin's flash does not hold what was written", help: "this is a bug in mlprov; please report it")
            }
            console.result("""
                Verified on the twin: all \(plan.operations.count) parts byte for byte, the saved configuration \
                at 0x76000-0x78FFF untouched. Flashed in \(String(format: "%.2f", flashSeconds)) s at \(baud) baud; \
                the board now: \(twin.chipState).
                """)
        }
    }
}
