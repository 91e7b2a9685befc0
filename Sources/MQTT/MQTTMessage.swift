/// One message as the broker delivered it: the topic and a copy of the payload bytes.
public struct MQTTMessage: Sendable, Equatable, CustomStringConvertible {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    /// The broker sent it from its retained store (it was published before we subscribed).
    public var retained: Bool

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retained: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retained = retained
    }

    /// The topic and the payload's size; never the payload (it may be a secret).
    public var description: String { "\(topic) (\(payload.count) bytes)" }
}

/// MQTT's delivery guarantees.
public enum MQTTQoS: Int32, Sendable, CaseIterable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2
}

/// Topic names and filters (MQTT 3.1.1, section 4.7).
public enum MQTTTopic {
    /// Whether `topic` matches `filter`, where `+` stands for one level and a final `#` for
    /// any number of levels (including none). Topics starting with `$` match only filters
    /// that start with `$` as well.
    public static func matches(_ topic: String, filter: String) -> Bool {
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        if topic.hasPrefix("$"), !filter.hasPrefix("$") { return false }
        var index = 0
        while index < filterLevels.count {
            let level = filterLevels[index]
            if level == "#" { return index == filterLevels.count - 1 }
            guard index < topicLevels.count else { return false }
            if level != "+", level != topicLevels[index] { return false }
            index += 1
        }
        return index == topicLevels.count
    }

    /// Why `topic` cannot be published to (empty, a wildcard, a NUL); nil when it can.
    public static func problem(publishing topic: String) -> String? {
        if topic.isEmpty { return "the topic is empty" }
        if topic.contains("+") || topic.contains("#") { return "the topic \(topic) contains a wildcard (+ or #)" }
        if topic.utf8.contains(0) { return "the topic contains a NUL character" }
        if topic.utf8.count > 65_535 { return "the topic is longer than 65535 bytes" }
        return nil
    }

    /// Why `filter` cannot be subscribed to; nil when it can.
    public static func problem(subscribing filter: String) -> String? {
        if filter.isEmpty { return "the topic filter is empty" }
        if filter.utf8.contains(0) { return "the topic filter contains a NUL character" }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#"), level != "#" || index != levels.count - 1 {
                return "in the topic filter \(filter), # must be a whole level and the last one"
            }
            if level.contains("+"), level != "+" {
                return "in the topic filter \(filter), + must be a whole level"
            }
        }
        return nil
    }
}
