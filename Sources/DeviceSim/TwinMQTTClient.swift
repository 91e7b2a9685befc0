import Basics
import Foundation
import MQTT
import MeterLogger
import Synchronization

/// How the twin behaves on MQTT.
public struct TwinMQTTSettings: Sendable {
    /// Time between samples; nil publishes none. The first sample goes out as soon as the
    /// twin is online.
    public var sampleInterval: Duration?
    /// The twin's clock (unix time): replay checks, uptime and topics use it.
    public var clock: @Sendable () -> Int
    /// The chip and flash facts chip_id, flash_id and flash_size report.
    public var hardware: TwinHardwareFacts
    /// The version reply.
    public var version: String
    public var connectTimeout: Duration

    public init(
        sampleInterval: Duration? = .seconds(60), clock: @escaping @Sendable () -> Int = TwinMQTTSettings.systemClock,
        hardware: TwinHardwareFacts = TwinHardwareFacts(), version: String = TwinMeterFirmware.defaultVersion,
        connectTimeout: Duration = .seconds(10)
    ) {
        self.sampleInterval = sampleInterval
        self.clock = clock
        self.hardware = hardware
        self.version = version
        self.connectTimeout = connectTimeout
    }

    /// The machine's clock in whole seconds since 1970.
    public static let systemClock: @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
}

/// What the twin did with the messages it got, and what it published.
public struct TwinMQTTCounters: Sendable, Equatable {
    /// Commands acted on (HMAC and time accepted, command known to this meter).
    public var commandsHandled = 0
    /// Messages dropped because their HMAC did not match (or they were too short).
    public var badHMAC = 0
    /// Messages dropped because their unix time was outside the replay window.
    public var outsideReplayWindow = 0
    /// Messages whose topic, command or argument the firmware does not take.
    public var notUnderstood = 0
    public var repliesPublished = 0
    public var samplesPublished = 0
    /// Publishes that failed (not connected, timeout).
    public var publishFailures = 0

    public init() {}
}

/// The twin's MQTT side: the MeterLogger firmware's network behaviour once the board is on
/// wifi. It connects to the broker, subscribes to `/config/v2/<serial>/#`, answers every
/// command on the reply topic `MeterCommandName` names (sealed with its key), drops
/// messages whose HMAC does not match or whose unix time is more than 1800 s from its clock
/// (`ReplayWindow`), and publishes a sample every `sampleInterval`.
///
///     let online = try await twin.goOnline(broker: "127.0.0.1", port: 1883)   // identity from the booted firmware
///     …
///     await online.stop()
public final class TwinMQTTClient: Sendable {
    public let identity: TwinMQTTIdentity
    public let settings: TwinMQTTSettings

    private struct State: Sendable {
        var firmware: TwinMeterFirmware
        var counters = TwinMQTTCounters()
        var client: MQTTClient?
        var tasks: [Task<Void, Never>] = []
    }

    private let state: Mutex<State>
    private let keys: MessageKeys

    public init(identity: TwinMQTTIdentity, settings: TwinMQTTSettings = TwinMQTTSettings()) {
        self.identity = identity
        self.settings = settings
        keys = MessageKeys(deviceKey: identity.key)
        state = Mutex(State(firmware: TwinMeterFirmware(meter: identity.meter, bootTime: settings.clock(), hardware: settings.hardware, version: settings.version)))
    }

    /// The login the twin uses when none is given: see `TwinMQTTIdentity.defaultLogin()`.
    public func defaultLogin(host: String, port: Int = MQTTBrokerLogin.defaultPort) -> MQTTBrokerLogin {
        let login = identity.defaultLogin()
        return MQTTBrokerLogin(host: host, port: port, username: login.username, password: login.password)
    }

    public var counters: TwinMQTTCounters { state.withLock { $0.counters } }
    /// A snapshot of the firmware's state (valve, cron table, registers).
    public var firmware: TwinMeterFirmware { state.withLock { $0.firmware } }
    public var isOnline: Bool { state.withLock { $0.client?.isConnected ?? false } }

    /// Connects, subscribes to the board's command topics and starts answering and
    /// sampling. Throws the broker's refusal (`MQTTError`) and stays offline then.
    public func start(broker login: MQTTBrokerLogin) async throws(MQTTError) {
        let client = try MQTTClient(clientID: "meterlogger-\(identity.serial)-\(UInt32.random(in: 0...UInt32.max))")
        try await client.connect(to: login, timeout: settings.connectTimeout)
        do {
            try await client.subscribe(MeterTopics.commandFilter(serial: identity.serial))
        } catch {
            await client.disconnect()
            throw error
        }
        let listener = Task { [weak self] in
            for await message in client.messages {
                guard let self else { return }
                await self.receive(message, on: client)
            }
        }
        var tasks = [listener]
        if let interval = settings.sampleInterval {
            tasks.append(Task { [weak self] in
                while !Task.isCancelled {
                    guard let self else { return }
                    await self.publishSample(on: client)
                    try? await Task.sleep(for: interval)
                }
            })
        }
        let previous = state.withLock { state in
            defer {
                state.client = client
                state.tasks = tasks
            }
            return (state.client, state.tasks)
        }
        for task in previous.1 { task.cancel() }
        await previous.0?.disconnect()
    }

    /// Stops sampling and disconnects (the board loses its network).
    public func stop() async {
        let (client, tasks) = state.withLock { state in
            defer {
                state.client = nil
                state.tasks = []
            }
            return (state.client, state.tasks)
        }
        for task in tasks { task.cancel() }
        await client?.disconnect()
    }

    /// Publishes one sample now (also what the sampling task does every interval).
    public func publishSample() async {
        guard let client = state.withLock({ $0.client }) else { return }
        await publishSample(on: client)
    }

    private func publishSample(on client: MQTTClient) async {
        let now = settings.clock()
        let sample = state.withLock { $0.firmware.nextSample() }
        let topic = MeterTopics.deviceTopic(name: MeterTopics.sampleName, serial: identity.serial, time: now)
        if await publish(sample, topic: topic, on: client) {
            state.withLock { $0.counters.samplesPublished += 1 }
        }
    }

    /// One message from the broker: check, act, reply.
    private func receive(_ message: MQTTMessage, on client: MQTTClient) async {
        guard let topic = CommandTopic(message.topic), topic.serial == identity.serial else {
            state.withLock { $0.counters.notUnderstood += 1 }
            return
        }
        // The firmware checks the HMAC first, then the time.
        guard let cleartext = try? MessageCrypto.open(message.payload, topic: message.topic, keys: keys) else {
            state.withLock { $0.counters.badHMAC += 1 }
            return
        }
        let now = settings.clock()
        guard ReplayWindow.accepts(messageTime: topic.time, now: now) else {
            state.withLock { $0.counters.outsideReplayWindow += 1 }
            return
        }
        guard let name = MeterCommandName(rawValue: topic.command) else {
            state.withLock { $0.counters.notUnderstood += 1 }
            return
        }
        let argument = String(decoding: cleartext, as: UTF8.self)
        let replies = state.withLock { state in
            let replies = state.firmware.handle(name, argument: argument, now: now)
            if replies.isEmpty { state.counters.notUnderstood += 1 } else { state.counters.commandsHandled += 1 }
            return replies
        }
        for reply in replies {
            let replyTopic = MeterTopics.deviceTopic(name: reply.name, serial: identity.serial, time: now)
            if await publish(reply.message, topic: replyTopic, on: client) {
                state.withLock { $0.counters.repliesPublished += 1 }
            }
        }
    }

    private func publish(_ cleartext: String, topic: String, on client: MQTTClient) async -> Bool {
        do {
            let sealed = try MessageCrypto.seal(Array(cleartext.utf8), topic: topic, keys: keys)
            try await client.publish(topic, payload: sealed)
            return true
        } catch {
            state.withLock { $0.counters.publishFailures += 1 }
            return false
        }
    }
}

/// Why the twin cannot go online.
public enum TwinMQTTError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// The twin runs no application with a configuration block (not booted, or another
    /// image): give the identity explicitly.
    case noFirmwareIdentity
    case broker(MQTTError)

    public var description: String {
        switch self {
        case .noFirmwareIdentity:
            "the twin runs no MeterLogger firmware it knows the identity of (boot the demo firmware, or give serial, key and meter)"
        case .broker(let error):
            error.description
        }
    }

    public var help: String? {
        switch self {
        case .noFirmwareIdentity: "flash the demo firmware and boot from flash, or use TwinMQTTClient(identity:)"
        case .broker(let error): error.help
        }
    }
}

extension ESP8266Twin {
    /// The twin joins the network: takes its identity (serial, key, meter) from the running
    /// firmware's configuration block (or `identity` when given) and connects to the broker
    /// at `host:port` as the board would, by default with the serial as user name and the
    /// setup AP password as password (`TwinMQTTIdentity.defaultLogin()`). The chip id and
    /// flash facts come from the twin's configuration.
    public func goOnline(
        broker host: String, port: Int = MQTTBrokerLogin.defaultPort, username: String? = nil, password: String? = nil,
        identity: TwinMQTTIdentity? = nil, settings: TwinMQTTSettings = TwinMQTTSettings()
    ) async throws(TwinMQTTError) -> TwinMQTTClient {
        guard let identity = identity ?? firmwareIdentity.map(TwinMQTTIdentity.init(firmware:)) else { throw .noFirmwareIdentity }
        var settings = settings
        settings.hardware = TwinHardwareFacts(
            chipID: configuration.chipID, flashID: Self.sdkFlashID(jedec: configuration.flashJEDECID),
            flashSizeBytes: configuration.flashSize.bytes
        )
        let online = TwinMQTTClient(identity: identity, settings: settings)
        var login = online.defaultLogin(host: host, port: port)
        if let username {
            login.username = username
            login.password = password
        }
        do { try await online.start(broker: login) } catch { throw .broker(error) }
        return online
    }

    /// The JEDEC id (manufacturer << 16 | type << 8 | capacity) in the byte order the SDK's
    /// `spi_flash_get_id()` returns it (manufacturer in the low byte): 0xEF4014 → 0x1440EF.
    static func sdkFlashID(jedec: UInt32) -> UInt32 {
        (jedec >> 16 & 0xFF) | (jedec & 0xFF00) | (jedec & 0xFF) << 16
    }
}
