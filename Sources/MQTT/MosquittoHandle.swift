import CMosquitto
import Foundation
import Synchronization

/// `mosquitto_lib_init` runs once per process, the first time a handle is made (a global
/// `let` is initialised lazily and exactly once). libmosquitto is never cleaned up: its
/// global state lives as long as the process.
private let libraryReady: Bool = mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue

/// Owns one `struct mosquitto *` and its network thread. libmosquitto is thread-safe once
/// its own loop thread runs (`mosquitto_loop_start`), which is why this owner may be
/// `@unchecked Sendable`: every call below is one of libmosquitto's locked entry points,
/// and starting and stopping the loop are serialised by `lifecycle`.
final class MosquittoHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// What the C callbacks reach through `userdata`; lives as long as the handle.
    let events: CallbackEvents
    /// Serialises `startConnecting` and `stop` (both may run on helper threads).
    private let lifecycle = NSLock()
    private var loopRunning = false
    /// Set by `stop`: a connect that has not started yet (its thread was slow to get the
    /// lock) must not start any more.
    private var stopped = false

    init(clientID: String?, events: CallbackEvents) throws(MQTTError) {
        guard libraryReady else {
            throw .library(operation: "mosquitto_lib_init", code: MOSQ_ERR_UNKNOWN.rawValue, reason: "libmosquitto did not initialise")
        }
        self.events = events
        let userdata = Unmanaged.passUnretained(events).toOpaque()
        // A clean session: the broker keeps nothing for us between connections.
        guard let pointer = mosquitto_new(clientID, true, userdata) else {
            throw .library(operation: "mosquitto_new", code: MOSQ_ERR_NOMEM.rawValue, reason: "cannot create a client (client id too long or out of memory)")
        }
        self.pointer = pointer
        MosquittoCallbacks.install(on: pointer)
        // After a lost connection libmosquitto's loop reconnects, 1 s after the loss and then
        // backing off to 30 s; the callbacks resubscribe.
        mosquitto_reconnect_delay_set(pointer, 1, 30, true)
    }

    /// Sets the login for the next connect. libmosquitto copies both strings.
    func setLogin(username: String?, password: String?) throws(MQTTError) {
        let rc = mosquitto_username_pw_set(pointer, username, username == nil ? nil : password)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw Self.error("mosquitto_username_pw_set", rc) }
    }

    /// Starts a non-blocking connect and the network thread. Blocking: resolves the host
    /// name. Returns libmosquitto's code and the errno that went with it.
    func startConnecting(host: String, port: Int, keepalive: Int) -> (code: Int32, errno: Int32) {
        lifecycle.withLock {
            guard !stopped else { return (MOSQ_ERR_NO_CONN.rawValue, 0) }
            let rc = mosquitto_connect_bind_async(pointer, host, Int32(port), Int32(keepalive), nil)
            let savedErrno = errno
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { return (rc, savedErrno) }
            let loop = mosquitto_loop_start(pointer)
            if loop == MOSQ_ERR_SUCCESS.rawValue { loopRunning = true }
            return (loop, errno)
        }
    }

    /// Sends DISCONNECT (when connected) and ends the network thread. Blocking: joins the
    /// thread, which wakes at once because libmosquitto signals it.
    func stop() {
        lifecycle.withLock {
            stopped = true
            guard loopRunning else { return }
            _ = mosquitto_disconnect(pointer)
            _ = mosquitto_loop_stop(pointer, false)
            loopRunning = false
        }
    }

    deinit {
        stop()
        mosquitto_destroy(pointer)
        events.finish()
    }

    static func error(_ operation: String, _ rc: Int32, errno savedErrno: Int32? = nil) -> MQTTError {
        .library(operation: operation, code: rc, reason: reason(rc, errno: savedErrno))
    }

    /// libmosquitto's text for `rc`; for MOSQ_ERR_ERRNO the system's text for `errno`.
    static func reason(_ rc: Int32, errno savedErrno: Int32?) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue, let savedErrno, savedErrno != 0 {
            return String(cString: strerror(savedErrno))
        }
        return String(cString: mosquitto_strerror(rc))
    }
}
