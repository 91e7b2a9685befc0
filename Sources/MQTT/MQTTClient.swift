import Basics
import CMosquitto
import Foundation
import Synchronization

/// Where and as whom to log in to an MQTT broker. The password is kept out of every
/// printout (`description` and `dump` show `<redacted>`).
public struct MQTTBrokerLogin: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    public static let defaultPort = 1883

    public var host: String
    public var port: Int
    /// nil: connect anonymously.
    public var username: String?
    public var password: String?

    public init(host: String, port: Int = Self.defaultPort, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// "user@host:port" or "host:port".
    public var description: String {
        (username.map { "\($0)@" } ?? "") + "\(host):\(port)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["host": host, "port": port, "username": username as Any, "password": password == nil ? "nil" : "<redacted>"], displayStyle: .struct)
    }
}

/// An MQTT 3.1.1 client over libmosquitto. The network runs on libmosquitto's own thread
/// (`mosquitto_loop_start`); received messages arrive on `messages` as copies. Each client
/// connects once: `connect`, then `subscribe`/`publish`, then `disconnect` (or let it go:
/// the connection ends when the client is released). After a lost connection libmosquitto
/// reconnects by itself and the client subscribes again.
///
///     let client = try MQTTClient(clientID: "mlprov-1234")
///     try await client.connect(to: MQTTBrokerLogin(host: "127.0.0.1", username: "u", password: pw))
///     try await client.subscribe("/+/v2/9999999/+")
///     try await client.publish("/config/v2/9999999/1700000000/ping", payload: sealed)
///     for await message in client.messages { … }
///
/// The password goes to libmosquitto only; it never appears in errors or descriptions.
public final class MQTTClient: Sendable {
    /// Every message the broker delivers for the client's subscriptions, in order, until
    /// `disconnect`. One reader at a time (use `MQTTInbox` to wait for particular ones).
    public let messages: AsyncStream<MQTTMessage>
    /// The id the broker knows the client by.
    public let clientID: String

    private let handle: MosquittoHandle

    /// The keepalive interval when none is given (seconds between PINGREQs when idle).
    public static let defaultKeepalive = 60
    public static let defaultConnectTimeout: Duration = .seconds(10)
    public static let defaultOperationTimeout: Duration = .seconds(10)

    /// A client with `clientID`, or a random one ("mlprov-" and 12 hex digits).
    public init(clientID: String? = nil) throws(MQTTError) {
        let id = clientID ?? "mlprov-" + String(UInt64.random(in: 0..<(1 << 48)), radix: 16)
        let events = CallbackEvents()
        handle = try MosquittoHandle(clientID: id, events: events)
        messages = events.messages
        self.clientID = id
    }

    /// Whether the broker has accepted the connection and it has not been lost since.
    public var isConnected: Bool { handle.events.isConnected }

    /// Connects and waits for the broker's CONNACK, at most `timeout`. Throws
    /// `.unreachable` (naming host:port), `.loginRefused` ("the broker refused the login"),
    /// `.connectionRefused` or `.timedOut`.
    public func connect(
        host: String, port: Int = MQTTBrokerLogin.defaultPort, username: String? = nil, password: String? = nil,
        clientKeepalive keepalive: Int = MQTTClient.defaultKeepalive, timeout: Duration = MQTTClient.defaultConnectTimeout
    ) async throws(MQTTError) {
        try await connect(to: MQTTBrokerLogin(host: host, port: port, username: username, password: password), keepalive: keepalive, timeout: timeout)
    }

    /// Connects as `login` says; see `connect(host:port:username:password:clientKeepalive:timeout:)`.
    public func connect(
        to login: MQTTBrokerLogin, keepalive: Int = MQTTClient.defaultKeepalive, timeout: Duration = MQTTClient.defaultConnectTimeout
    ) async throws(MQTTError) {
        guard (1...65_535).contains(login.port) else {
            throw .unreachable(host: login.host, port: login.port, reason: "the port is not between 1 and 65535")
        }
        guard !handle.events.isConnected, !connectStarted.exchange() else { throw .alreadyConnected }
        try handle.setLogin(username: login.username, password: login.password)
        let waiter = OneShot<CallbackEvents.ConnectOutcome>()
        handle.events.expectConnect(waiter)
        let handle = self.handle
        Thread.detachNewThread {
            // Host name resolution blocks: it runs here, never on the cooperative pool.
            let (code, savedErrno) = handle.startConnecting(host: login.host, port: login.port, keepalive: keepalive)
            if code != MOSQ_ERR_SUCCESS.rawValue { waiter.fulfil(.dropped(code, errno: savedErrno)) }
        }
        let outcome = await waiter.wait(timeout: timeout)
        let failure: MQTTError
        switch outcome {
        case .acknowledged(0):
            return
        case .acknowledged(let code) where code == 4 || code == 5:
            // 4: bad user name or password; 5: not authorised (mosquitto's answer to both).
            failure = .loginRefused(host: login.host, port: login.port)
        case .acknowledged(let code):
            failure = .connectionRefused(host: login.host, port: login.port, code: code, reason: String(cString: mosquitto_connack_string(code)))
        case .dropped(let code, let savedErrno):
            failure = .unreachable(host: login.host, port: login.port, reason: Self.unreachableReason(code, errno: savedErrno))
        case nil:
            failure = .timedOut(operation: "connecting to the MQTT broker at \(login.host):\(login.port)", after: timeout)
        }
        handle.events.connectionStopped()
        await blocking("mosquitto stop") { handle.stop() }
        throw failure
    }

    /// Subscribes to `filter` and waits for the broker's SUBACK.
    public func subscribe(_ filter: String, qos: MQTTQoS = .atMostOnce, timeout: Duration = MQTTClient.defaultOperationTimeout) async throws(MQTTError) {
        if let problem = MQTTTopic.problem(subscribing: filter) { throw .invalidTopic(problem) }
        var mid: Int32 = 0
        let rc = mosquitto_subscribe(handle.pointer, &mid, filter, qos.rawValue)
        try check(rc, "subscribing to \(filter)")
        handle.events.remember(subscription: filter, qos: qos.rawValue)
        let waiter = OneShot<[Int32]>()
        handle.events.expectSuback(mid: mid, waiter)
        guard let granted = await waiter.wait(timeout: timeout) else {
            handle.events.cancelSuback(mid: mid)
            throw .timedOut(operation: "subscribing to \(filter)", after: timeout)
        }
        if granted.contains(where: { $0 == 0x80 || $0 > 2 }) {
            handle.events.forget(subscription: filter)
            throw .subscriptionRefused(filter: filter)
        }
    }

    /// Ends the subscription to `filter` (does not wait for UNSUBACK).
    public func unsubscribe(_ filter: String) throws(MQTTError) {
        handle.events.forget(subscription: filter)
        try check(mosquitto_unsubscribe(handle.pointer, nil, filter), "unsubscribing from \(filter)")
    }

    /// Publishes `payload` on `topic` and waits until libmosquitto has written it to the
    /// network (QoS 0) or the broker has acknowledged it (QoS 1 and 2).
    public func publish(
        _ topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false,
        timeout: Duration = MQTTClient.defaultOperationTimeout
    ) async throws(MQTTError) {
        if let problem = MQTTTopic.problem(publishing: topic) { throw .invalidTopic(problem) }
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle.pointer, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain)
        }
        try check(rc, "publishing to \(topic)")
        let waiter = OneShot<Void>()
        handle.events.expectPublished(mid: mid, waiter)
        guard await waiter.wait(timeout: timeout) != nil else {
            handle.events.cancelPublished(mid: mid)
            throw .timedOut(operation: "publishing to \(topic)", after: timeout)
        }
    }

    /// Sends DISCONNECT, stops the network thread and ends `messages`. Harmless when not
    /// connected.
    public func disconnect() async {
        let handle = self.handle
        handle.events.connectionStopped()
        await blocking("mosquitto stop") { handle.stop() }
        handle.events.finish()
    }

    private let connectStarted = Flag()

    private func check(_ rc: Int32, _ operation: String) throws(MQTTError) {
        switch rc {
        case MOSQ_ERR_SUCCESS.rawValue: return
        case MOSQ_ERR_NO_CONN.rawValue, MOSQ_ERR_CONN_LOST.rawValue: throw .notConnected
        default: throw MosquittoHandle.error(operation, rc)
        }
    }

    private static func unreachableReason(_ code: Int32, errno savedErrno: Int32) -> String {
        switch code {
        case MOSQ_ERR_EAI.rawValue: "the host name could not be resolved"
        case _ where savedErrno != 0 && savedErrno != EINPROGRESS && savedErrno != EAGAIN: String(cString: strerror(savedErrno))
        default: "the connection failed before the broker answered (\(String(cString: mosquitto_strerror(code))))"
        }
    }
}

/// A flag that is set once.
private final class Flag: Sendable {
    private let value = Mutex(false)
    /// Sets the flag; returns whether it was set before.
    func exchange() -> Bool { value.withLock { old in defer { old = true }; return old } }
}
