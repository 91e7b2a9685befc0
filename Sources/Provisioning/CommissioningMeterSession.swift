import Basics
import MQTT
import MeterLogger

/// One message a board published, opened with its key.
public struct MeterReply: Sendable, Equatable, CustomStringConvertible {
    public var topic: DeviceTopic
    /// The decrypted message (the firmware's trailing NUL removed).
    public var message: String

    public init(topic: DeviceTopic, message: String) {
        self.topic = topic
        self.message = message
    }

    /// The reading, when this is a sample whose fields parse.
    public var sample: MeterSample? {
        topic.isSample ? try? MeterSample(parsing: message) : nil
    }

    public var description: String { message.isEmpty ? topic.text : "\(topic.text) \(message)" }
}

/// What arrived on a board's topics: a message that verified, or one that did not.
public enum MeterIncoming: Sendable, Equatable {
    case reply(MeterReply)
    /// The HMAC (or the padding) did not check out with the session's key: another key, or
    /// an altered message. The topic, and why.
    case rejected(topic: String, MessageCryptoError)
}

/// A conversation with one board over MQTT, as a technician's laptop has it: publishes
/// sealed commands on `/config/v2/<serial>/<now>/<command>` and reads the board's sealed
/// replies and samples from `/+/v2/<serial>/+`. The key never leaves the session.
public final class MeterSession: Sendable {
    /// The serial as it appears in topics (`%07u`).
    public let serial: String
    public let broker: MQTTBrokerLogin
    private let client: MQTTClient
    private let inbox: MQTTInbox
    private let keys: MessageKeys
    private let clock: @Sendable () -> Int

    private init(serial: String, broker: MQTTBrokerLogin, client: MQTTClient, keys: MessageKeys, clock: @escaping @Sendable () -> Int) {
        self.serial = serial
        self.broker = broker
        self.client = client
        inbox = MQTTInbox(client.messages)
        self.keys = keys
        self.clock = clock
    }

    /// Connects to `broker` and subscribes to the board's replies and samples.
    public static func open(
        broker: MQTTBrokerLogin, serial: MeterSerial, key: DeviceKey, connectTimeout: Duration = MQTTClient.defaultConnectTimeout,
        clock: @escaping @Sendable () -> Int = MeterSession.systemClock
    ) async throws(MeterSessionError) -> MeterSession {
        let topicSerial = MeterTopics.topicSerial(serial)
        let client: MQTTClient
        do {
            client = try MQTTClient()
            try await client.connect(to: broker, timeout: connectTimeout)
        } catch {
            throw .broker(error)
        }
        do {
            try await client.subscribe(MeterTopics.deviceFilter(serial: topicSerial))
        } catch {
            await client.disconnect()
            throw .broker(error)
        }
        return MeterSession(serial: topicSerial, broker: broker, client: client, keys: MessageKeys(deviceKey: key), clock: clock)
    }

    /// The machine's clock in whole seconds since 1970.
    public static let systemClock: @Sendable () -> Int = { Int(clockSeconds()) }

    /// Seals and publishes `command` stamped with the session's clock; returns the topic.
    @discardableResult
    public func send(_ command: MeterCommand) async throws(MeterSessionError) -> String {
        let topic = command.topic(serial: serial, time: clock())
        let sealed: [UInt8]
        do { sealed = try MessageCrypto.seal(command.cleartext, topic: topic, keys: keys) } catch { throw .sealing(error) }
        do { try await client.publish(topic, payload: sealed) } catch { throw .broker(error) }
        return topic
    }

    /// Sends `command` and waits, at most `timeout`, for its reply on the topic the command
    /// table names (`MeterCommandName.replyName`). Older unclaimed replies on that topic are
    /// dropped first, so the answer is one sent after the command.
    public func request(_ command: MeterCommand, timeout: Duration) async throws(MeterSessionError) -> MeterReply {
        let name = command.name.replyName
        let filter = MeterTopics.deviceFilter(serial: serial, name: name)
        _ = await inbox.drain { MQTTTopic.matches($0.topic, filter: filter) }
        try await send(command)
        return try await reply(named: name, timeout: timeout)
    }

    /// Sends a fresh `make()` command every `resendEvery` until a reply comes, waiting at
    /// most `timeout` in all; for a command that is harmless to repeat (ping). Earlier
    /// replies are drained once, before the first send, so a late answer to an earlier copy
    /// counts. Throws what `make` throws, or `MeterSessionError`.
    public func request(_ make: () throws -> MeterCommand, timeout: Duration, resendEvery: Duration) async throws -> MeterReply {
        let first = try make()
        let name = first.name.replyName
        let filter = MeterTopics.deviceFilter(serial: serial, name: name)
        _ = await inbox.drain { MQTTTopic.matches($0.topic, filter: filter) }
        let deadline = ContinuousClock.now + timeout
        var command = first
        var rejected = 0
        while true {
            try await send(command)
            let wait = min(resendEvery, ContinuousClock.now.duration(to: deadline))
            let attempt: Result<MeterReply, MeterSessionError>
            do { attempt = .success(try await reply(named: name, timeout: wait)) } catch { attempt = .failure(error) }
            switch attempt {
            case .success(let reply): return reply
            case .failure(.noReply(_, _, let more)):
                rejected += more
                if ContinuousClock.now.duration(to: deadline) <= .zero {
                    throw MeterSessionError.noReply(awaited: filter, after: timeout, rejected: rejected)
                }
            case .failure(let other): throw other
            }
            command = try make()
        }
    }

    /// The next message on `/<name>/v2/<serial>/+` that verifies with the key, waiting at
    /// most `timeout`. Messages that do not verify are skipped (and counted in the error).
    public func reply(named name: String, timeout: Duration) async throws(MeterSessionError) -> MeterReply {
        let filter = MeterTopics.deviceFilter(serial: serial, name: name)
        let deadline = ContinuousClock.now + timeout
        var rejected = 0
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, let incoming = await next(timeout: remaining, filter: filter) else {
                throw .noReply(awaited: filter, after: timeout, rejected: rejected)
            }
            switch incoming {
            case .reply(let reply): return reply
            case .rejected: rejected += 1
            }
        }
    }

    /// The next message on any of the board's reply and sample topics, waiting at most
    /// `timeout`; nil when none came (or the connection ended).
    public func next(timeout: Duration) async -> MeterIncoming? {
        await next(timeout: timeout, filter: MeterTopics.deviceFilter(serial: serial))
    }

    private func next(timeout: Duration, filter: String) async -> MeterIncoming? {
        guard let message = await inbox.next(timeout: timeout, where: { MQTTTopic.matches($0.topic, filter: filter) }),
              let topic = DeviceTopic(message.topic)
        else { return nil }
        do {
            let cleartext = try MessageCrypto.open(message.payload, topic: message.topic, keys: keys)
            return .reply(MeterReply(topic: topic, message: String(decoding: cleartext, as: UTF8.self)))
        } catch {
            return .rejected(topic: message.topic, error)
        }
    }

    /// Disconnects from the broker.
    public func close() async {
        await client.disconnect()
    }
}

/// Why a conversation with a board failed. Never contains a key, a password or a payload.
public enum MeterSessionError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case broker(MQTTError)
    /// No verified message on `awaited` (a topic filter) in time; `rejected` messages there
    /// did not verify with the key.
    case noReply(awaited: String, after: Duration, rejected: Int)
    case sealing(MessageCryptoError)

    public var description: String {
        switch self {
        case .broker(let error):
            return error.description
        case .noReply(let awaited, let after, let rejected):
            var text = "no reply on \(awaited) within \(after.secondsText)"
            if rejected > 0 { text += "; \(rejected) message(s) there did not verify with this key" }
            return text
        case .sealing(let error):
            return "cannot seal the command: \(error)"
        }
    }

    public var help: String? {
        switch self {
        case .broker(let error):
            return error.help
        case .noReply(_, _, let rejected) where rejected > 0:
            return "the board answers but with another key: check --key/--key-file against the ledger (mlprov keys)"
        case .noReply:
            return "check that the board is online and on this broker, and its serial; its clock must be within 1800 s of this machine's (`mlprov mqtt listen` shows what it publishes)"
        case .sealing(let error):
            return error.help
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Seconds since 1970 from the system clock.
func clockSeconds() -> Int {
    Int(time(nil))
}
