import Basics
/// Every command a MeterLogger board takes over MQTT (MeterLogger's README, "MQTT format for messages sent to meter"; newer ones from docs/meterlogger-firmware.md, "Every command"), with its argument and the topic its reply comes back on.
///
/// MeterLogger's README lists reply topics for some commands only; where it gives none, this table
/// decides, and says so ("assumed"). The rule for the assumed ones: a command that changes
/// a state the board has a query for replies with that query's topic (open/close →
/// status, start_ap/stop_ap → ap_status, set_cron/clear_cron → cron); every other command
/// replies on a topic named after itself.
///
/// | command | argument | reply topic | reply message | source |
/// |---|---|---|---|---|
/// | ping | – | ping | empty | seed |
/// | open | unix time (default now) | status | `open` | assumed |
/// | open_until | kWh ≥ 0 | open_until | kWh when the valve closes | seed |
/// | open_until_delta | kWh ≥ 0 | open_until_delta | kWh when the valve closes (absolute) | seed |
/// | close | unix time (default now) | status | `close` | assumed |
/// | status | – | status | `open` or `close` | seed |
/// | set_cron | `minute=..&hour=..&day_of_month=..&month=..&day_of_week=..&command=open\|close` | cron | number of cron jobs | assumed |
/// | cron | – | cron | number of cron jobs | seed |
/// | clear_cron | unix time (default now) | cron | number of cron jobs (0) | assumed |
/// | version | – | version | `<sdk version>-<git version>` | seed |
/// | uptime | – | uptime | seconds | seed |
/// | vdd | – | vdd | supply voltage in volts | seed |
/// | rssi | – | rssi | dBm, 31 when not connected | seed |
/// | ssid | – | ssid | the wifi's SSID | seed |
/// | scan | – | scan_result | `ssid=..&rssi=..&channel=..`, one message per network | seed |
/// | set_ssid | SSID, 1–32 bytes | set_ssid | the new SSID | assumed |
/// | set_pwd | WPA2 passphrase, 8–63 | set_pwd | `saved` (never the password) | assumed |
/// | set_ssid_pwd | `ssid=..&pwd=..` | set_ssid_pwd | `saved` | assumed |
/// | wifi_status | – | wifi_status | `connected` or `disconnected` | seed |
/// | start_ap | – | ap_status | `started` | assumed |
/// | stop_ap | – | ap_status | `stopped` | assumed |
/// | ap_status | – | ap_status | `started` or `stopped` | seed |
/// | reconnect | – | reconnect | `reconnecting` | assumed |
/// | save (impulse meters only) | – | save | `saved` | seed |
/// | mem | – | mem | `heap=<bytes>&` | seed |
/// | reset_reason | – | reset_reason | the SDK's reset cause, 0–6 | seed (message assumed) |
/// | network_quality | – | network_quality | 0–100 | assumed |
/// | chip_id | – | chip_id | hex | assumed |
/// | flash_id | – | flash_id | hex (JEDEC id) | assumed |
/// | flash_size | – | flash_size | bytes | assumed |
/// | restart | – | restart | `restarting` | assumed |
///
/// Other assumptions: the argument is the whole (sealed) message, as the seed writes it;
/// `save` exists on impulse meters only (seed), every other command on all meters; the
/// valve commands' unix time argument defaults to the sender's clock.
public enum MeterCommandName: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case ping
    case open
    case openUntil = "open_until"
    case openUntilDelta = "open_until_delta"
    case close
    case status
    case setCron = "set_cron"
    case cron
    case clearCron = "clear_cron"
    case version
    case uptime
    case vdd
    case rssi
    case ssid
    case scan
    case setSSID = "set_ssid"
    case setPassword = "set_pwd"
    case setSSIDPassword = "set_ssid_pwd"
    case wifiStatus = "wifi_status"
    case startAP = "start_ap"
    case stopAP = "stop_ap"
    case apStatus = "ap_status"
    case reconnect
    case save
    case mem
    case resetReason = "reset_reason"
    case networkQuality = "network_quality"
    case chipID = "chip_id"
    case flashID = "flash_id"
    case flashSize = "flash_size"
    case restart

    public var description: String { rawValue }

    /// What the command's message carries.
    public var argument: MeterArgumentKind {
        switch self {
        case .open, .close, .clearCron: .unixTime
        case .openUntil, .openUntilDelta: .kilowattHours
        case .setCron: .cronJob
        case .setSSID: .ssid
        case .setPassword: .password
        case .setSSIDPassword: .ssidAndPassword
        default: .none
        }
    }

    /// The first level of the reply's topic (`/<replyName>/v2/<serial>/<time>`).
    public var replyName: String {
        switch self {
        case .open, .close, .status: "status"
        case .setCron, .cron, .clearCron: "cron"
        case .scan: "scan_result"
        case .startAP, .stopAP, .apStatus: "ap_status"
        default: rawValue
        }
    }

    /// What the reply's (decrypted) message looks like.
    public var reply: MeterReplyShape {
        switch self {
        case .ping: .empty
        case .open: .oneOf(["open"])
        case .close: .oneOf(["close"])
        case .status: .oneOf(["open", "close"])
        case .openUntil, .openUntilDelta: .decimal
        case .setCron, .cron, .clearCron: .count
        case .version: .version
        case .uptime, .flashSize: .count
        case .vdd: .decimal
        case .rssi: .integer
        case .ssid, .setSSID: .text
        case .scan: .form(["ssid", "rssi", "channel"])
        case .setPassword, .setSSIDPassword, .save: .oneOf(["saved"])
        case .wifiStatus: .oneOf(["connected", "disconnected"])
        case .startAP: .oneOf(["started"])
        case .stopAP: .oneOf(["stopped"])
        case .apStatus: .oneOf(["started", "stopped"])
        case .reconnect: .oneOf(["reconnecting"])
        case .mem: .form(["heap"])
        case .resetReason: .count
        case .networkQuality: .count
        case .chipID, .flashID: .hex
        case .restart: .oneOf(["restarting"])
        }
    }

    /// Whether a board reading `meter` has the command (seed: save is for pulse meters only).
    public func exists(on meter: MeterKind) -> Bool {
        self == .save ? meter == .impulse : true
    }

    /// One line for `--help`.
    public var summary: String {
        switch self {
        case .ping: "is the board there"
        case .open: "open the valve (argument: unix time, default now)"
        case .openUntil: "open the valve until the meter reaches KWH"
        case .openUntilDelta: "open the valve for KWH more"
        case .close: "close the valve (argument: unix time, default now)"
        case .status: "valve state"
        case .setCron: "add a cron job: minute=..&hour=..&day_of_month=..&month=..&day_of_week=..&command=open|close"
        case .cron: "number of cron jobs"
        case .clearCron: "remove all cron jobs (argument: unix time, default now)"
        case .version: "firmware version"
        case .uptime: "seconds since boot"
        case .vdd: "supply voltage"
        case .rssi: "wifi signal strength"
        case .ssid: "wifi network name"
        case .scan: "list wifi networks"
        case .setSSID: "set the wifi network name"
        case .setPassword: "set the wifi password"
        case .setSSIDPassword: "set both: ssid=..&pwd=.."
        case .wifiStatus: "connected or not"
        case .startAP: "start the board's access point"
        case .stopAP: "stop the board's access point"
        case .apStatus: "access point state"
        case .reconnect: "reconnect the wifi"
        case .save: "save the impulse counter to flash (impulse meters)"
        case .mem: "free heap"
        case .resetReason: "why the board last reset"
        case .networkQuality: "wifi quality 0-100"
        case .chipID: "ESP8266 chip id"
        case .flashID: "flash chip JEDEC id"
        case .flashSize: "flash size in bytes"
        case .restart: "restart the board"
        }
    }
}

/// What a command's message carries.
public enum MeterArgumentKind: Sendable, Equatable, CustomStringConvertible {
    /// Nothing: the message is empty.
    case none
    /// A unix time; the sender's clock when not given.
    case unixTime
    /// A non-negative decimal number of kWh.
    case kilowattHours
    /// `minute=..&hour=..&day_of_month=..&month=..&day_of_week=..&command=open|close`.
    case cronJob
    /// A wifi SSID, 1 to 32 bytes.
    case ssid
    /// A WPA2 passphrase, 8 to 63 printable ASCII characters.
    case password
    /// `ssid=..&pwd=..`.
    case ssidAndPassword

    public var description: String {
        switch self {
        case .none: "no argument"
        case .unixTime: "a unix time"
        case .kilowattHours: "kWh, a number ≥ 0"
        case .cronJob: "minute=..&hour=..&day_of_month=..&month=..&day_of_week=..&command=open|close"
        case .ssid: "an SSID of 1 to 32 bytes"
        case .password: "a wifi password of 8 to 63 characters"
        case .ssidAndPassword: "ssid=..&pwd=.."
        }
    }
}

/// The shape of a reply's decrypted message: enough to tell a plausible reply from noise.
public enum MeterReplyShape: Sendable, Equatable {
    case empty
    /// Exactly one of these words.
    case oneOf([String])
    /// A non-negative integer.
    case count
    /// An integer, possibly negative.
    case integer
    /// A decimal number.
    case decimal
    /// Hex digits, optionally with a 0x prefix.
    case hex
    /// Any non-empty text.
    case text
    /// `<sdk version>-<git version>`: non-empty text with a "-".
    case version
    /// A form (`a=..&b=..&`) with at least these fields.
    case form([String])

    /// Why `message` does not have this shape; nil when it does.
    public func problem(with message: String) -> String? {
        switch self {
        case .empty:
            return message.isEmpty ? nil : "expected an empty message"
        case .oneOf(let words):
            return words.contains(message) ? nil : "expected \(words.joined(separator: " or "))"
        case .count:
            return !message.isEmpty && message.allSatisfy(\.isASCIIDigit) ? nil : "expected a whole number ≥ 0"
        case .integer:
            let digits = message.hasPrefix("-") ? message.dropFirst() : Substring(message)
            return !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit) ? nil : "expected a whole number"
        case .decimal:
            return MeterSample.number(Substring(message)) != nil ? nil : "expected a decimal number"
        case .hex:
            let digits = message.hasPrefix("0x") ? message.dropFirst(2) : Substring(message)
            return !digits.isEmpty && digits.allSatisfy(\.isHexDigit) ? nil : "expected hex digits"
        case .text:
            return message.isEmpty ? "expected text" : nil
        case .version:
            return !message.isEmpty && message.contains("-") ? nil : "expected <sdk version>-<git version>"
        case .form(let names):
            guard let form = try? MeterForm(parsing: message) else { return "expected name=value&… fields" }
            let missing = names.filter { form[$0] == nil }
            return missing.isEmpty ? nil : "expected the field(s) \(missing.joined(separator: ", "))"
        }
    }
}

/// A command ready to seal and publish: its name and the message it carries.
public struct MeterCommand: Sendable, Equatable, CustomStringConvertible {
    public let name: MeterCommandName
    /// The cleartext message (empty for commands without an argument). For set_pwd and
    /// set_ssid_pwd it holds a wifi password: `description` hides it.
    public let argument: String

    /// Checks `argument` for `name`. `now` (the sender's unix time) stands in for a
    /// missing unix time argument. Throws naming the command and the field at fault.
    public init(_ name: MeterCommandName, argument: String? = nil, now: Int) throws(MeterCommandError) {
        self.name = name
        self.argument = try MeterCommand.check(name, argument, now: now)
    }

    /// Like `init(_:argument:now:)`, with the command's name as a user typed it.
    public init(named text: String, argument: String? = nil, now: Int) throws(MeterCommandError) {
        guard let name = MeterCommandName(rawValue: text) else { throw .unknownCommand(text) }
        try self.init(name, argument: argument, now: now)
    }

    /// The bytes to seal (without the NUL the sealing appends).
    public var cleartext: [UInt8] { Array(argument.utf8) }

    /// The topic to publish on at `time` (the sender's clock) for the board `serial`.
    public func topic(serial: String, time: Int) -> String {
        MeterTopics.commandTopic(serial: serial, time: time, command: name.rawValue)
    }

    public var description: String {
        switch name {
        case .setPassword: "set_pwd <redacted>"
        case .setSSIDPassword: "set_ssid_pwd ssid=\(MeterForm.lenient(argument)["ssid"] ?? "")&pwd=<redacted>"
        default: argument.isEmpty ? name.rawValue : "\(name.rawValue) \(argument)"
        }
    }

    static func check(_ name: MeterCommandName, _ argument: String?, now: Int) throws(MeterCommandError) -> String {
        switch name.argument {
        case .none:
            if let argument, !argument.isEmpty { throw .unexpectedArgument(command: name.rawValue) }
            return ""
        case .unixTime:
            guard let argument, !argument.isEmpty else { return String(now) }
            guard let time = MeterTopics.parseTime(Substring(argument)) else {
                throw .invalidArgument(command: name.rawValue, field: "unix time", problem: "\"\(argument)\" is not a unix time (seconds since 1970, digits only)")
            }
            return String(time)
        case .kilowattHours:
            guard let argument, !argument.isEmpty else { throw .missingArgument(command: name.rawValue, expected: name.argument.description) }
            guard !argument.hasPrefix("-"), let value = MeterSample.number(Substring(argument)), value.isFinite else {
                throw .invalidArgument(command: name.rawValue, field: "kWh", problem: "\"\(argument)\" is not a number ≥ 0 (digits, optionally a . and decimals)")
            }
            return argument
        case .cronJob:
            guard let argument, !argument.isEmpty else { throw .missingArgument(command: name.rawValue, expected: name.argument.description) }
            do {
                return try CronJob(parsing: argument).text
            } catch {
                throw .invalidArgument(command: name.rawValue, field: error.field, problem: error.problem)
            }
        case .ssid:
            guard let argument, !argument.isEmpty else { throw .missingArgument(command: name.rawValue, expected: name.argument.description) }
            if let problem = WifiNetwork.problem(withSSID: argument) {
                throw .invalidArgument(command: name.rawValue, field: "ssid", problem: problem)
            }
            return argument
        case .password:
            guard let argument, !argument.isEmpty else { throw .missingArgument(command: name.rawValue, expected: name.argument.description) }
            if let problem = WifiPassword.problem(with: argument) {
                throw .invalidArgument(command: name.rawValue, field: "pwd", problem: problem)
            }
            return argument
        case .ssidAndPassword:
            guard let argument, !argument.isEmpty else { throw .missingArgument(command: name.rawValue, expected: name.argument.description) }
            let form = MeterForm.lenient(argument)
            let names = form.fields.map(\.name)
            if let unknown = names.first(where: { $0 != "ssid" && $0 != "pwd" }) {
                throw .invalidArgument(command: name.rawValue, field: unknown, problem: "unknown field; the fields are ssid and pwd")
            }
            for field in ["ssid", "pwd"] where names.filter({ $0 == field }).count != 1 {
                throw .invalidArgument(command: name.rawValue, field: field, problem: "give it exactly once, as ssid=..&pwd=..")
            }
            if let problem = WifiNetwork.problem(withSSID: form["ssid"] ?? "") {
                throw .invalidArgument(command: name.rawValue, field: "ssid", problem: problem)
            }
            if let problem = WifiPassword.problem(with: form["pwd"] ?? "") {
                throw .invalidArgument(command: name.rawValue, field: "pwd", problem: problem + " (and no &)")
            }
            return "ssid=\(form["ssid"] ?? "")&pwd=\(form["pwd"] ?? "")"
        }
    }
}

/// Wifi facts the commands check against.
public enum WifiNetwork {
    /// IEEE 802.11: an SSID is 0 to 32 bytes; the firmware needs at least one.
    public static let maxSSIDBytes = 32

    /// Why `ssid` cannot be a board's network name; nil when it can.
    public static func problem(withSSID ssid: String) -> String? {
        let count = ssid.utf8.count
        if count == 0 { return "the SSID is empty" }
        if count > maxSSIDBytes { return "the SSID has \(count) bytes, at most \(maxSSIDBytes) are allowed" }
        if ssid.utf8.contains(0) { return "the SSID contains a NUL character" }
        return nil
    }
}

/// Why a command cannot be sent as given. Names the command and the field; never repeats
/// a password.
public enum MeterCommandError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case unknownCommand(String)
    case unexpectedArgument(command: String)
    case missingArgument(command: String, expected: String)
    case invalidArgument(command: String, field: String, problem: String)

    public var description: String {
        switch self {
        case .unknownCommand(let name):
            "\"\(name)\" is not a MeterLogger command"
        case .unexpectedArgument(let command):
            "\(command) takes no argument"
        case .missingArgument(let command, let expected):
            "\(command) needs an argument: \(expected)"
        case .invalidArgument(let command, let field, let problem):
            "\(command): field \(field): \(problem)"
        }
    }

    /// What to try next.
    public var help: String? {
        switch self {
        case .unknownCommand:
            "the commands are: " + MeterCommandName.allCases.map(\.rawValue).joined(separator: ", ")
        case .unexpectedArgument(let command):
            "send \(command) alone"
        case .missingArgument(let command, let expected), .invalidArgument(let command, _, let expected):
            "\(command) takes " + (MeterCommandName(rawValue: command)?.argument.description ?? expected)
        }
    }
}

extension MeterForm {
    /// The fields of `text` split at "&" and the first "=", without failing: a piece with no
    /// "=" becomes a field with an empty value.
    static func lenient(_ text: String) -> MeterForm {
        MeterForm(text.split(separator: "&").map { piece in
            guard let equals = piece.firstIndex(of: "=") else { return Field(name: String(piece), value: "") }
            return Field(name: String(piece[..<equals]), value: String(piece[piece.index(after: equals)...]))
        })
    }
}
