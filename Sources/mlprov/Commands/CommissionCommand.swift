import ArgumentParser
import Foundation
import MQTT
import MeterLogger
import Provisioning

struct CommissionCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "commission",
        abstract: "Confirm over MQTT that a board is online and holds its key.",
        discussion: """
            Logs in to the broker, sends ping, version and status (each reply must verify \
            with the key and look right), then waits for a sample. Prints each step with \
            what the board said; exits 0 only when every step passed.

            Example:
              mlprov commission --serial 9999999 --key-file 9999999.key --host broker.lan --user tech --password-file mqtt.pw
            """)

    @OptionGroup var meter: MQTTMeterOptions
    @OptionGroup var broker: MQTTBrokerOptions
    @OptionGroup var output: OutputOptions

    @OptionGroup var timeouts: CommissioningTimeoutOptions

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let serial = try meter.meterSerial()
        let key = try meter.deviceKey(console: console)
        let login = try broker.login()
        let options = timeouts.options
        if !output.json { console.info("Commissioning \(serial.text) on \(login.host):\(login.port)…") }
        let report = await commission(serial: serial, key: key, broker: login, options: options)
        if output.json {
            console.json(report)
        } else {
            for step in report.steps { console.result(Self.line(step)) }
        }
        guard report.passed else {
            let failed = report.firstFailure
            console.info("error: commissioning \(report.serial) failed at \(failed?.name ?? "?"): \(failed?.detail ?? "no steps ran")")
            console.info("help: " + (failed?.name == CommissioningPlan.brokerStep
                ? "check --host, --port, --user and --password-file"
                : "check that the board is powered, on the site wifi and configured for this broker, and that the key is its key"))
            throw ExitCode(1)
        }
        if !output.json { console.result("Commissioned \(report.serial): all \(report.steps.count) steps passed") }
    }

    static func line(_ step: CommissioningStep) -> String {
        let mark = switch step.outcome {
        case .passed: "PASS"
        case .failed: "FAIL"
        case .skipped: "SKIP"
        }
        var text = "\(mark) \(step.name)"
        if let topic = step.topic { text += " \(topic)" }
        if let message = step.message, !message.isEmpty { text += " \"\(message)\"" }
        if step.outcome != .passed || step.topic == nil { text += ": \(step.detail)" }
        return text
    }
}
