import MQTT
import MeterLogger

/// How long commissioning waits for each thing.
public struct CommissioningOptions: Sendable {
    /// For the broker's CONNACK.
    public var connectTimeout: Duration
    /// For each command's reply.
    public var replyTimeout: Duration
    /// For the first sample. A board publishes a reading about once a minute.
    public var sampleTimeout: Duration
    /// The clock commands are stamped with (unix time).
    public var clock: @Sendable () -> Int
    /// How often the first command (ping) is sent again while the board has not answered.
    public var resendInterval: Duration = .seconds(5)

    public init(
        connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(10), sampleTimeout: Duration = .seconds(120),
        clock: @escaping @Sendable () -> Int = MeterSession.systemClock
    ) {
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
        self.sampleTimeout = sampleTimeout
        self.clock = clock
    }
}

/// One step of commissioning and what was seen.
public struct CommissioningStep: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case passed, failed
        /// Not tried, because an earlier step failed.
        case skipped
    }

    /// "broker", "ping", "version", "status", "sample".
    public var name: String
    public var outcome: Outcome
    /// The topic the answer came on.
    public var topic: String?
    /// The decrypted message.
    public var message: String?
    /// A sample's fields, name → value as written.
    public var fields: [String: String]?
    /// Why it failed or was skipped; what was checked when it passed.
    public var detail: String

    public init(name: String, outcome: Outcome, topic: String? = nil, message: String? = nil, fields: [String: String]? = nil, detail: String) {
        self.name = name
        self.outcome = outcome
        self.topic = topic
        self.message = message
        self.fields = fields
        self.detail = detail
    }

    public var passed: Bool { outcome == .passed }
}

/// What commissioning saw, step by step. It passes when every step passed. Holds no key
/// and no password.
public struct CommissioningReport: Sendable, Equatable, Codable {
    public var serial: String
    /// host:port
    public var broker: String
    public var steps: [CommissioningStep]

    public var passed: Bool { !steps.isEmpty && steps.allSatisfy(\.passed) }

    /// The first failed step.
    public var firstFailure: CommissioningStep? { steps.first { $0.outcome == .failed } }

    enum CodingKeys: String, CodingKey {
        case serial, broker, steps, passed
    }

    public init(serial: String, broker: String, steps: [CommissioningStep]) {
        self.serial = serial
        self.broker = broker
        self.steps = steps
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        serial = try container.decode(String.self, forKey: .serial)
        broker = try container.decode(String.self, forKey: .broker)
        steps = try container.decode([CommissioningStep].self, forKey: .steps)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(serial, forKey: .serial)
        try container.encode(broker, forKey: .broker)
        try container.encode(steps, forKey: .steps)
        try container.encode(passed, forKey: .passed)
    }
}

/// The commissioning steps after the broker login, in order.
public enum CommissioningPlan {
    /// Commands whose replies must come back and have the table's shape.
    public static let commands: [MeterCommandName] = [.ping, .version, .status]
    public static let sampleStep = "sample"
    public static let brokerStep = "broker"
}

/// Confirms that a board is online and holds `key`: logs in to `broker`, sends ping,
/// version and status (each reply must verify with the key and have the shape the command
/// table gives), then waits for a sample that verifies and parses. Never throws: every
/// failure is a failed step in the report, with the steps after it skipped.
public func commission(
    serial: MeterSerial, key: DeviceKey, broker: MQTTBrokerLogin, options: CommissioningOptions = CommissioningOptions()
) async -> CommissioningReport {
    var report = CommissioningReport(serial: MeterTopics.topicSerial(serial), broker: "\(broker.host):\(broker.port)", steps: [])
    let later = CommissioningPlan.commands.map(\.rawValue) + [CommissioningPlan.sampleStep]

    func skipRest(_ names: ArraySlice<String>, because reason: String) {
        report.steps += names.map { CommissioningStep(name: $0, outcome: .skipped, detail: reason) }
    }

    let session: MeterSession
    do {
        session = try await MeterSession.open(broker: broker, serial: serial, key: key, connectTimeout: options.connectTimeout, clock: options.clock)
    } catch {
        report.steps.append(CommissioningStep(name: CommissioningPlan.brokerStep, outcome: .failed, detail: error.description))
        skipRest(later[...], because: "no connection to the broker")
        return report
    }
    report.steps.append(CommissioningStep(name: CommissioningPlan.brokerStep, outcome: .passed, detail: "logged in to \(broker)"))

    for (index, name) in CommissioningPlan.commands.enumerated() {
        let step: CommissioningStep
        do {
            // The first command is repeated until the board answers: a board that has just
            // joined the site network subscribes to its commands a little later, and a
            // command published before that is lost (ping has no effect but its reply).
            let reply = index == 0
                ? try await session.request(
                    { try MeterCommand(name, now: options.clock()) }, timeout: options.replyTimeout, resendEvery: options.resendInterval)
                : try await session.request(try MeterCommand(name, now: options.clock()), timeout: options.replyTimeout)
            if let problem = name.reply.problem(with: reply.message) {
                step = CommissioningStep(name: name.rawValue, outcome: .failed, topic: reply.topic.text, message: reply.message, detail: "the reply does not look right: \(problem)")
            } else {
                step = CommissioningStep(name: name.rawValue, outcome: .passed, topic: reply.topic.text, message: reply.message, detail: "reply verified with the key")
            }
        } catch let error as MeterSessionError {
            step = CommissioningStep(name: name.rawValue, outcome: .failed, detail: error.description)
        } catch {
            step = CommissioningStep(name: name.rawValue, outcome: .failed, detail: "\(error)")
        }
        report.steps.append(step)
        if !step.passed {
            skipRest(later[(index + 1)...], because: "\(name.rawValue) failed")
            await session.close()
            return report
        }
    }

    do {
        let reply = try await session.reply(named: MeterTopics.sampleName, timeout: options.sampleTimeout)
        do {
            let sample = try MeterSample(parsing: reply.message)
            let fields = Dictionary(sample.fields.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
            if sample.fields.contains(where: { $0.number != nil }) {
                report.steps.append(CommissioningStep(name: CommissioningPlan.sampleStep, outcome: .passed, topic: reply.topic.text, message: reply.message, fields: fields, detail: "\(sample.fields.count) fields"))
            } else {
                report.steps.append(CommissioningStep(name: CommissioningPlan.sampleStep, outcome: .failed, topic: reply.topic.text, message: reply.message, fields: fields, detail: "the sample has no numeric reading"))
            }
        } catch {
            report.steps.append(CommissioningStep(name: CommissioningPlan.sampleStep, outcome: .failed, topic: reply.topic.text, message: reply.message, detail: "the sample does not parse: \(error)"))
        }
    } catch {
        report.steps.append(CommissioningStep(name: CommissioningPlan.sampleStep, outcome: .failed, detail: error.description))
    }
    await session.close()
    return report
}
