import ArgumentParser
import Basics
import Foundation
import MQTT
import MeterLogger
import Provisioning

/// The broker to talk to and the login. The password comes from a file, never from the
/// command line (other users see argv in `ps`).
struct MQTTBrokerOptions: ParsableArguments {
    @Option(help: "MQTT broker host (default: the profile's network.mqtt.host, else localhost).")
    var host: String?

    @Option(help: "MQTT broker port (default: the profile's, else 1883).")
    var port: Int?

    @Option(help: "Installation profile whose network.mqtt names the broker.")
    var profile: String?

    @Option(help: "MQTT user name (none: log in anonymously).")
    var user: String?

    @Option(help: "File holding the MQTT password (one line; mode 0600, like an ssh key). Needs --user.")
    var passwordFile: String?

    func validate() throws {
        if let port, !(1...65_535).contains(port) { throw ValidationError("--port \(port) is not between 1 and 65535") }
        if passwordFile != nil, user == nil { throw ValidationError("--password-file needs --user") }
    }

    /// The login, with the password read from its file; host and port from the flags, then
    /// the profile, then localhost:1883.
    func login() throws(CommandFailure) -> MQTTBrokerLogin {
        var password: String?
        if let passwordFile { password = try Self.readPassword(passwordFile) }
        var broker: MQTTBroker?
        if let profile {
            do { broker = try InstallationProfile.load(path: profile).network?.mqtt } catch {
                throw CommandFailure(message: error.description, help: error.help)
            }
        }
        return MQTTBrokerLogin(
            host: host ?? broker?.host ?? "localhost", port: port ?? broker?.port ?? MQTTBrokerLogin.defaultPort,
            username: user, password: password)
    }

    /// Reads a one-line secret from a file that only its owner may read or write.
    static func readPassword(_ path: String, what: String = "password") throws(CommandFailure) -> String {
        do {
            // One trailing line break is not part of the password.
            return try OwnerOnlyFile.read(path).droppingTrailingLineBreak
        } catch {
            switch error {
            case .notPrivate(_, let mode):
                throw CommandFailure(
                    message: "the \(what) file \(path) is open to others (mode \(String(mode, radix: 8)))",
                    help: "run chmod 600 \(path)")
            case .unreadable(let failure) where failure.problem == .missing:
                throw CommandFailure(message: "cannot read the \(what) file \(path): no such file", help: "check the path")
            case .unreadable:
                throw CommandFailure(message: "cannot read the \(what) file \(path)", help: "check its permissions; it holds the \(what) as UTF-8 text on one line")
            }
        }
    }
}

/// Which board: its serial and its key.
struct MQTTMeterOptions: ParsableArguments {
    @Option(help: "The board's serial (its meter's serial), e.g. 9999999.")
    var serial: String

    @Option(help: "File holding the board's KEY (32 hex characters; mode 0600). Default: the key ledger's key for --serial.")
    var keyFile: String?

    @Option(help: "The board's KEY as 32 hex characters. For test vectors only: other users can read the command line.")
    var key: String?

    @Option(help: "Key ledger to take the board's key from when neither --key-file nor --key is given.")
    var ledger: String?

    func validate() throws {
        if keyFile != nil, key != nil { throw ValidationError("give either --key-file or --key, not both") }
    }

    func meterSerial() throws(CommandFailure) -> MeterSerial {
        do { return try Credentials.parseSerial(serial) } catch {
            throw CommandFailure(message: "--serial: \(error)", help: error.help)
        }
    }

    /// Where the key comes from: --key-file, --key, else the ledger.
    var keySource: DeviceKeySource {
        if let keyFile { return .file(path: keyFile) }
        if let key { return .text(key, source: "--key") }
        return .ledger(path: ledger ?? LedgerLocation.defaultPath())
    }

    func deviceKey(console: Console) throws(DeviceKeyError) -> DeviceKey {
        let source = keySource
        if source.isOnCommandLine {
            console.info("warning: --key puts the key on the command line, where other users can see it; use --key-file for real boards")
        }
        return try source.key(for: try meterSerialForKey())
    }

    /// The serial for the ledger's key; a bad serial is reported by `meterSerial()` first.
    private func meterSerialForKey() throws(DeviceKeyError) -> MeterSerial {
        do { return try Credentials.parseSerial(serial) } catch { throw .credentials(error) }
    }
}

struct MQTTSendCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send one command to a board and print its decrypted reply.",
        discussion: """
            Seals COMMAND (and ARG) with the board's key, publishes it on \
            /config/v2/<serial>/<now>/<command> and waits for the reply on the topic the \
            command answers on (ping → /ping/v2/<serial>/+, open/close/status → /status/…, \
            scan → /scan_result/…). Exits 1 when no reply verifies in time.

            Commands: \(MeterCommandName.allCases.map(\.rawValue).joined(separator: ", ")).

            Examples:
              mlprov mqtt send --serial 9999999 --key-file 9999999.key --host broker.lan --user tech --password-file mqtt.pw ping
              mlprov mqtt send --serial 9999999 --key-file 9999999.key open_until 1500
              mlprov mqtt send --serial 9999999 --key-file 9999999.key set_cron 'minute=30&hour=6&day_of_month=*&month=*&day_of_week=1-5&command=open'
            """)

    @OptionGroup var meter: MQTTMeterOptions
    @OptionGroup var broker: MQTTBrokerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Seconds to wait for the reply.")
    var timeout: Double = 10

    @Argument(help: "The command, e.g. ping, version, status, open, open_until, set_cron.")
    var command: String

    @Argument(help: "The command's argument, when it takes one (kWh, unix time, cron job, SSID, password).")
    var argument: String?

    @Option(help: "Read the argument from this file (one line): keeps a wifi password (set_pwd, set_ssid_pwd) off the command line.")
    var argumentFile: String?

    /// After a scan's first result, how long more results are collected.
    static let scanGrace: Duration = .milliseconds(500)

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
        if argument != nil, argumentFile != nil { throw ValidationError("give the argument or --argument-file, not both") }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let serial = try meter.meterSerial()
        let given = try argumentFile.map { path throws(CommandFailure) in try MQTTBrokerOptions.readPassword(path, what: "argument") } ?? argument
        let meterCommand = try MeterCommand(named: command, argument: given, now: MeterSession.systemClock())
        let key = try meter.deviceKey(console: console)
        let login = try broker.login()

        let session = try await MeterSession.open(broker: login, serial: serial, key: key)
        var replies: [MeterReply] = []
        do {
            replies.append(try await session.request(meterCommand, timeout: .milliseconds(Int(timeout * 1000))))
            if meterCommand.name == .scan {
                while let more = try? await session.reply(named: meterCommand.name.replyName, timeout: Self.scanGrace) { replies.append(more) }
            }
        } catch {
            await session.close()
            throw error
        }
        await session.close()
        for reply in replies {
            if output.json {
                console.json(ReplyLine(reply, command: meterCommand.name.rawValue))
            } else {
                console.result(reply.description)
            }
        }
    }
}

/// One reply or sample as a JSON line.
struct ReplyLine: Encodable {
    var ok = true
    var command: String?
    var topic: String
    var name: String
    var serial: String
    var time: Int
    var message: String
    var fields: [SampleFieldLine]?

    init(_ reply: MeterReply, command: String? = nil) {
        self.command = command
        topic = reply.topic.text
        name = reply.topic.name
        serial = reply.topic.serial
        time = reply.topic.time
        message = reply.message
        if reply.topic.isSample {
            fields = reply.sample?.fields.map(SampleFieldLine.init)
        } else if reply.message.contains("="), let form = try? MeterForm(parsing: reply.message) {
            fields = form.fields.map { SampleFieldLine(MeterSample.Field(name: $0.name, text: $0.value)) }
        }
    }
}

struct SampleFieldLine: Encodable {
    var name: String
    var value: String
    var number: Double?
    var unit: String?

    init(_ field: MeterSample.Field) {
        name = field.name
        value = field.text
        number = field.number
        unit = field.unit
    }
}
