import ArgumentParser
import Basics
import Foundation
import MQTT
import MeterLogger
import Provisioning

struct MQTTListenCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Print a board's replies and samples, decrypted, as they arrive.",
        discussion: """
            Subscribes to /+/v2/<serial>/+ and prints every message that verifies with the \
            board's key: replies as "TOPIC MESSAGE", samples with their fields parsed; with \
            --json one JSON object per line. Messages that do not verify are reported on \
            standard error. Runs until Ctrl-C, --count messages, or --timeout.

            Example:
              mlprov mqtt listen --serial 9999999 --key-file 9999999.key --host broker.lan --user tech --password-file mqtt.pw --count 1
            """)

    @OptionGroup var meter: MQTTMeterOptions
    @OptionGroup var broker: MQTTBrokerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Stop after this many verified messages.")
    var count: Int?

    @Option(help: "Stop after this many seconds; with --count, fewer messages by then is an error.")
    var timeout: Double?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be more than 0 seconds") }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let serial = try meter.meterSerial()
        let key = try meter.deviceKey(console: console)
        let login = try broker.login()
        let session = try await MeterSession.open(broker: login, serial: serial, key: key)
        console.info("Listening on \(MeterTopics.deviceFilter(serial: session.serial)) at \(login.host):\(login.port); Ctrl-C to stop")

        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        let json = output.json
        let wanted = count
        let listening = Task { () -> Int in
            let console = Console()
            var received = 0
            while !Task.isCancelled {
                let wait = deadline.map { ContinuousClock.now.duration(to: $0) } ?? .seconds(3600)
                guard wait > .zero else { break }
                guard let incoming = await session.next(timeout: wait) else { continue }
                switch incoming {
                case .reply(let reply):
                    received += 1
                    if json {
                        console.json(ReplyLine(reply))
                    } else {
                        console.result(Self.line(reply))
                    }
                    if let wanted, received >= wanted { return received }
                case .rejected(let topic, let error):
                    console.info("ignored a message on \(topic): \(error)")
                }
            }
            return received
        }
        let stopper = Task {
            _ = await SignalCatcher([SIGINT, SIGTERM]).wait()
            listening.cancel()
        }
        let received = await listening.value
        stopper.cancel()
        await session.close()
        if let wanted, received < wanted, let timeout {
            throw CommandFailure(
                message: "only \(received) of \(wanted) message(s) on \(MeterTopics.deviceFilter(serial: session.serial)) within \(timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)) s",
                help: "check that the board is online and its key; a board publishes a sample about once a minute")
        }
    }

    /// "TOPIC MESSAGE" for replies; for samples the fields one by one.
    static func line(_ reply: MeterReply) -> String {
        guard let sample = reply.sample else { return reply.description }
        return "\(reply.topic.text) sample: " + sample.fields.map { "\($0.name)=\($0.text)" }.joined(separator: ", ")
    }
}
