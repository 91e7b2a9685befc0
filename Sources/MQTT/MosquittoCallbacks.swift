import CMosquitto
import Foundation
import Synchronization

/// What libmosquitto's callbacks (on its network thread) report to the async side. The
/// handle passes this object, unretained, as the C `userdata`; each callback recovers it,
/// copies what the C pointers point to, and hands the copy on: messages to the stream,
/// results to the one-shot waiters. Callbacks never block.
final class CallbackEvents: Sendable {
    /// How a connect attempt ended.
    enum ConnectOutcome: Sendable {
        /// CONNACK with this return code (0 accepted).
        case acknowledged(Int32)
        /// The connection closed before a CONNACK (libmosquitto code, errno then).
        case dropped(Int32, errno: Int32)
    }

    private struct State {
        var connectWaiter: OneShot<ConnectOutcome>?
        var connected = false
        /// Filters subscribed to, with their QoS: sent again after a reconnect.
        var subscriptions: [String: Int32] = [:]
        var subackWaiters: [Int32: OneShot<[Int32]>] = [:]
        var earlySubacks: [Int32: [Int32]] = [:]
        var publishWaiters: [Int32: OneShot<Void>] = [:]
        var earlyPublishes: Set<Int32> = []
    }

    /// Completions that arrive for message ids nobody waits for (any more) are kept for a
    /// waiter that registers late; beyond this many the oldest are forgotten.
    private static let earlyLimit = 256

    private let state = Mutex(State())
    private let continuation: AsyncStream<MQTTMessage>.Continuation
    let messages: AsyncStream<MQTTMessage>

    /// Messages that arrive while nobody reads the stream are buffered up to this many;
    /// beyond that the oldest are dropped.
    static let messageBufferLimit = 4096

    init() {
        (messages, continuation) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: .bufferingNewest(Self.messageBufferLimit))
    }

    var isConnected: Bool { state.withLock { $0.connected } }

    func finish() { continuation.finish() }

    // MARK: Registering waiters (async side)

    func expectConnect(_ waiter: OneShot<ConnectOutcome>) {
        state.withLock { $0.connectWaiter = waiter }
    }

    func connectionStopped() {
        state.withLock { state in
            state.connected = false
            state.connectWaiter = nil
        }
    }

    func remember(subscription filter: String, qos: Int32) {
        state.withLock { $0.subscriptions[filter] = qos }
    }

    func forget(subscription filter: String) {
        state.withLock { _ = $0.subscriptions.removeValue(forKey: filter) }
    }

    func expectSuback(mid: Int32, _ waiter: OneShot<[Int32]>) {
        let early: [Int32]? = state.withLock { state in
            if let granted = state.earlySubacks.removeValue(forKey: mid) { return granted }
            state.subackWaiters[mid] = waiter
            return nil
        }
        if let early { waiter.fulfil(early) }
    }

    func cancelSuback(mid: Int32) {
        state.withLock { _ = $0.subackWaiters.removeValue(forKey: mid) }
    }

    func expectPublished(mid: Int32, _ waiter: OneShot<Void>) {
        let early: Bool = state.withLock { state in
            if state.earlyPublishes.remove(mid) != nil { return true }
            state.publishWaiters[mid] = waiter
            return false
        }
        if early { waiter.fulfil(()) }
    }

    func cancelPublished(mid: Int32) {
        state.withLock { _ = $0.publishWaiters.removeValue(forKey: mid) }
    }

    // MARK: Callbacks (libmosquitto's thread)

    fileprivate func onConnect(_ pointer: OpaquePointer?, code: Int32) {
        let (waiter, resubscribe): (OneShot<ConnectOutcome>?, [String: Int32]) = state.withLock { state in
            let waiter = state.connectWaiter
            state.connectWaiter = nil
            if code == 0 { state.connected = true }
            // A reconnect after a loss (the first connect has no subscriptions yet).
            return (waiter, code == 0 && waiter == nil ? state.subscriptions : [:])
        }
        waiter?.fulfil(.acknowledged(code))
        if let pointer {
            for (filter, qos) in resubscribe { _ = mosquitto_subscribe(pointer, nil, filter, qos) }
        }
    }

    fileprivate func onDisconnect(code: Int32, errno savedErrno: Int32) {
        let waiter: OneShot<ConnectOutcome>? = state.withLock { state in
            state.connected = false
            let waiter = state.connectWaiter
            state.connectWaiter = nil
            return waiter
        }
        waiter?.fulfil(.dropped(code, errno: savedErrno))
    }

    fileprivate func onSubscribe(mid: Int32, granted: [Int32]) {
        let waiter: OneShot<[Int32]>? = state.withLock { state in
            if let waiter = state.subackWaiters.removeValue(forKey: mid) { return waiter }
            if state.earlySubacks.count >= Self.earlyLimit { state.earlySubacks.removeAll() }
            state.earlySubacks[mid] = granted
            return nil
        }
        waiter?.fulfil(granted)
    }

    fileprivate func onPublish(mid: Int32) {
        let waiter: OneShot<Void>? = state.withLock { state in
            if let waiter = state.publishWaiters.removeValue(forKey: mid) { return waiter }
            if state.earlyPublishes.count >= Self.earlyLimit { state.earlyPublishes.removeAll() }
            state.earlyPublishes.insert(mid)
            return nil
        }
        waiter?.fulfil(())
    }

    fileprivate func onMessage(_ message: MQTTMessage) {
        continuation.yield(message)
    }
}

/// The `@convention(c)` callbacks. None captures anything: each recovers the
/// `CallbackEvents` from `userdata`.
enum MosquittoCallbacks {
    static func install(on pointer: OpaquePointer) {
        mosquitto_connect_callback_set(pointer) { pointer, userdata, code in
            guard let userdata else { return }
            Unmanaged<CallbackEvents>.fromOpaque(userdata).takeUnretainedValue().onConnect(pointer, code: code)
        }
        mosquitto_disconnect_callback_set(pointer) { _, userdata, code in
            let savedErrno = errno
            guard let userdata else { return }
            Unmanaged<CallbackEvents>.fromOpaque(userdata).takeUnretainedValue().onDisconnect(code: code, errno: savedErrno)
        }
        mosquitto_subscribe_callback_set(pointer) { _, userdata, mid, count, granted in
            guard let userdata else { return }
            let copy = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(count, 0)))) } ?? []
            Unmanaged<CallbackEvents>.fromOpaque(userdata).takeUnretainedValue().onSubscribe(mid: mid, granted: copy)
        }
        mosquitto_publish_callback_set(pointer) { _, userdata, mid in
            guard let userdata else { return }
            Unmanaged<CallbackEvents>.fromOpaque(userdata).takeUnretainedValue().onPublish(mid: mid)
        }
        mosquitto_message_callback_set(pointer) { _, userdata, message in
            guard let userdata, let message, let topic = message.pointee.topic else { return }
            let count = Int(max(message.pointee.payloadlen, 0))
            let payload: [UInt8] = if let bytes = message.pointee.payload, count > 0 {
                Array(UnsafeRawBufferPointer(start: bytes, count: count))
            } else {
                []
            }
            let copy = MQTTMessage(
                topic: String(cString: topic), payload: payload,
                qos: MQTTQoS(rawValue: message.pointee.qos) ?? .atMostOnce, retained: message.pointee.retain
            )
            Unmanaged<CallbackEvents>.fromOpaque(userdata).takeUnretainedValue().onMessage(copy)
        }
    }
}
