import ArgumentParser
import Basics
import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MQTT

struct SimCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the device twin: an ESP8266 ROM loader on a pseudo-terminal.",
        discussion: """
            Prints `pty: /dev/pts/N` as its first line, then serves until SIGINT or SIGTERM. \
            With --flash FILE the flash is loaded from FILE at start (all 0xFF when FILE does \
            not exist) and the whole flash is written back to FILE at the end. On exit it \
            prints one JSON line of counters (bytes each way, modelled line and flash time).

            Example:
              mlprov sim --pty --flash flash.bin --timing realistic --mac 18:fe:34:12:34:56 &
              esptool --chip esp8266 --port /dev/pts/N --before no-reset --no-stub read-mac
            """)

    @Flag(help: "Serve on a new pseudo-terminal (the only front for now).")
    var pty = false

    @Option(help: "Flash contents file: loaded at start when present, written at exit.")
    var flash: String?

    @Option(help: "Flash chip size: 512KB, 1MB, 2MB, 4MB…")
    var flashSize: String = "1MB"

    @Option(help: "realistic: bytes move at the client's baud, erase and program take datasheet times; off: as fast as possible.")
    var timing: TimingChoice = .off

    @Option(help: "Adapter latency per reply in milliseconds (realistic timing; 1 = FTDI with latency_timer 1).")
    var latencyMs: Double?

    @Option(help: "Factory MAC address.")
    var mac: String = TwinConfiguration.defaultMAC.description

    @Option(help: "Fastest baud rate the twin's UART follows (autobaud on SYNC up to it).")
    var maxBaud: Int = 921_600

    @Option(help: "Chip-detect register value (0xFFF0C101 is an ESP8266; another value plays a different chip).")
    var chipDetect: String = hex(ESP8266.chipDetectValue)

    @Option(help: "Boot mode at power-on: download (GPIO0 held low) or flash.")
    var bootMode: TwinBootMode = .download

    @Option(name: .customLong("fault"), help: "A fault to inject: flip@N, drop@N or pull@N (received byte N). Repeatable.")
    var faults: [String] = []

    @Option(help: """
        Go online at this MQTT broker (HOST or HOST:PORT) once the firmware in flash has booted \
        (FLASH_END run, or --boot-mode flash), as the board does after wifi setup: it logs in \
        with its serial and setup-AP password, answers /config/v2 commands and publishes samples.
        """)
    var online: String?

    @Option(help: "Seconds between the samples the online twin publishes.")
    var sampleInterval: Double = 60

    enum TimingChoice: String, ExpressibleByArgument, CaseIterable {
        case off, realistic
    }

    func validate() throws {
        guard pty else { throw ValidationError("choose a front: --pty") }
        guard MACAddress(mac) != nil else { throw ValidationError("--mac '\(mac)' is not a MAC address like 18:fe:34:12:34:56") }
        guard FlashSize(name: flashSize) != nil else { throw ValidationError("--flash-size '\(flashSize)' is not a flash size") }
    }

    func run(console: Console) async throws {
        var configuration = TwinConfiguration()
        configuration.mac = MACAddress(mac) ?? TwinConfiguration.defaultMAC
        configuration.flashSize = FlashSize(name: flashSize) ?? .size1MB
        configuration.maxBaud = maxBaud
        configuration.initialBootMode = bootMode
        configuration.chipDetectValue = UInt32(try parseNumber(chipDetect, what: "--chip-detect"))
        configuration.timing = timing == .realistic ? .realistic : .off
        if let latencyMs { configuration.timing.adapterLatency = .microseconds(Int(latencyMs * 1000)) }
        configuration.faults.lineFaults = try faults.map { text in
            do throws(FaultSyntaxError) { return try FaultPlan.LineFault(parsing: text) } catch { throw ValidationError(error.description) }
        }

        // SIGINT and SIGTERM are caught before the twin starts, so the flash is always written back.
        let stop = SignalCatcher([SIGINT, SIGTERM])
        let twin = ESP8266Twin(configuration: configuration)
        if let flash, FileManager.default.fileExists(atPath: flash) {
            try twin.loadFlash(fromFile: flash)
        }
        let front = try twin.servePseudoTerminal()
        console.result("pty: \(front.slavePath)")
        console.info("twin: ESP8266EX, MAC \(configuration.mac), \(configuration.flashSize.name) flash, timing \(timing.rawValue), \(bootMode) mode; SIGINT or SIGTERM to stop")

        let onlineTask = online.map { broker in
            let parts = broker.split(separator: ":")
            let host = String(parts.first ?? "localhost")
            let port = parts.count > 1 ? Int(parts[1]) ?? MQTTBrokerLogin.defaultPort : MQTTBrokerLogin.defaultPort
            let settings = TwinMQTTSettings(sampleInterval: .milliseconds(Int(sampleInterval * 1000)))
            return Task {
                await twin.stayOnline(broker: host, port: port, settings: settings) { event in
                    switch event {
                    case .online(let host, let port, let identity):
                        console.info("twin: online at \(host):\(port) as \(identity.serial) (\(identity.meter))")
                    case .cannotConnect(let host, let port, let error, let retryIn):
                        console.info("twin: cannot go online at \(host):\(port): \(error); retrying in \(retryIn.components.seconds) s")
                    }
                }
            }
        }
        _ = await stop.wait()
        onlineTask?.cancel()
        front.stop()
        twin.stop()
        if let flash {
            try twin.dumpFlash(toFile: flash)
        }
        console.json(SimReport(twin.counters))
    }
}

extension TwinBootMode: ExpressibleByArgument {}

/// The twin's counters at exit, for benchmarks: `busy_s` is the least time its work could
/// have taken: every byte at the line rate both ways, plus modelled erase/program time.
struct SimReport: Encodable {
    var bytesReceived: Int
    var bytesSent: Int
    var receiveLineS: Double
    var sendLineS: Double
    var flashBusyS: Double
    var busyS: Double
    var sectorsErased: Int
    var bytesProgrammed: Int
    var failedCommands: Int

    init(_ counters: TwinCounters) {
        bytesReceived = counters.bytesReceived
        bytesSent = counters.bytesSent
        receiveLineS = counters.receiveLineTime.seconds
        sendLineS = counters.sendLineTime.seconds
        flashBusyS = counters.busyTime.seconds
        busyS = (counters.receiveLineTime + counters.sendLineTime + counters.busyTime).seconds
        sectorsErased = counters.sectorsErased
        bytesProgrammed = counters.bytesProgrammed
        failedCommands = counters.failedCommands
    }

    enum CodingKeys: String, CodingKey {
        case bytesReceived = "bytes_received", bytesSent = "bytes_sent", receiveLineS = "receive_line_s"
        case sendLineS = "send_line_s", flashBusyS = "flash_busy_s", busyS = "busy_s"
        case sectorsErased = "sectors_erased", bytesProgrammed = "bytes_programmed", failedCommands = "failed_commands"
    }
}
