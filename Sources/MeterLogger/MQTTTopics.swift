/// MeterLogger's MQTT topics, protocol version 2 (MeterLogger's README, "MQTT format for messages sent to/from meter"; docs/meterlogger-firmware.md, "MQTT topics"):
///
/// | direction | topic | message |
/// |---|---|---|
/// | to the board | `/config/v2/<serial>/<unix time>/<command>` | the command's argument |
/// | from the board | `/<name>/v2/<serial>/<unix time>` | a reply (`/ping/…`) or a sample (`/sample/…`) |
///
/// Every message is sealed with the board's key (`MessageCrypto`); the HMAC covers the
/// topic, so its unix time cannot be changed without the key. Topics start with "/", so
/// their first level is empty: `/+/v2/<serial>/+` matches every reply and sample of a board
/// and no command (commands have one level more).
public enum MeterTopics {
    /// The protocol version level.
    public static let protocolVersion = "v2"
    /// The first named level of command topics.
    public static let configName = "config"
    /// The first named level of sample topics.
    public static let sampleName = "sample"

    /// A board's serial as the firmware writes it in topics: the meter's serial read as an
    /// unsigned 32-bit number and printed `%07u` (user/mqtt_rpc.c), e.g. 123 → "0000123".
    public static func topicSerial(_ serial: MeterSerial) -> String {
        String(serial.value).leftPadded(to: 7)
    }

    /// `/config/v2/<serial>/<time>/<command>`.
    public static func commandTopic(serial: String, time: Int, command: String) -> String {
        "/\(configName)/\(protocolVersion)/\(serial)/\(time)/\(command)"
    }

    /// `/<name>/v2/<serial>/<time>`: a reply or sample topic.
    public static func deviceTopic(name: String, serial: String, time: Int) -> String {
        "/\(name)/\(protocolVersion)/\(serial)/\(time)"
    }

    /// `/config/v2/<serial>/#`: every command to a board (what the board subscribes to).
    public static func commandFilter(serial: String) -> String {
        "/\(configName)/\(protocolVersion)/\(serial)/#"
    }

    /// `/<name>/v2/<serial>/+`, or `/+/v2/<serial>/+` for every reply and sample of a board.
    public static func deviceFilter(serial: String, name: String? = nil) -> String {
        "/\(name ?? "+")/\(protocolVersion)/\(serial)/+"
    }

    /// Why `serial` cannot be a topic level (empty, a wildcard or "/" in it); nil when it can.
    public static func problem(withTopicSerial serial: String) -> String? {
        if serial.isEmpty { return "the serial is empty" }
        if serial.contains(where: { $0 == "/" || $0 == "+" || $0 == "#" || $0 == "\0" }) {
            return "the serial \(serial) contains /, +, # or NUL, which MQTT topic levels cannot"
        }
        return nil
    }

    /// A unix time level: decimal digits only, no sign.
    static func parseTime(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int(text)
    }
}

/// A parsed command topic: `/config/v2/<serial>/<unix time>/<command>`.
public struct CommandTopic: Sendable, Equatable, CustomStringConvertible {
    public var serial: String
    /// The sender's unix time: the board ignores commands outside its replay window.
    public var time: Int
    /// The command's name as written (it may be one this toolkit does not know).
    public var command: String

    public init(serial: String, time: Int, command: String) {
        self.serial = serial
        self.time = time
        self.command = command
    }

    /// Nil unless `topic` has exactly the command topic's shape.
    public init?(_ topic: String) {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 6, levels[0].isEmpty, levels[1] == MeterTopics.configName, levels[2] == MeterTopics.protocolVersion,
              !levels[3].isEmpty, let time = MeterTopics.parseTime(levels[4]), !levels[5].isEmpty
        else { return nil }
        self.init(serial: String(levels[3]), time: time, command: String(levels[5]))
    }

    public var text: String { MeterTopics.commandTopic(serial: serial, time: time, command: command) }
    public var description: String { text }
}

/// A parsed reply or sample topic: `/<name>/v2/<serial>/<unix time>`.
public struct DeviceTopic: Sendable, Equatable, CustomStringConvertible {
    /// "ping", "status", "sample", "scan_result", …
    public var name: String
    public var serial: String
    /// The board's unix time when it published.
    public var time: Int

    public init(name: String, serial: String, time: Int) {
        self.name = name
        self.serial = serial
        self.time = time
    }

    /// Nil unless `topic` has exactly the reply topic's shape (and is not a command).
    public init?(_ topic: String) {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 5, levels[0].isEmpty, !levels[1].isEmpty, levels[1] != MeterTopics.configName,
              levels[2] == MeterTopics.protocolVersion, !levels[3].isEmpty, let time = MeterTopics.parseTime(levels[4])
        else { return nil }
        self.init(name: String(levels[1]), serial: String(levels[3]), time: time)
    }

    public var text: String { MeterTopics.deviceTopic(name: name, serial: serial, time: time) }
    public var description: String { text }
    /// Whether this is a sample rather than a reply.
    public var isSample: Bool { name == MeterTopics.sampleName }
}
