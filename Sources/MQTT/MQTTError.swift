import Basics
/// Why talking to the MQTT broker failed. Never contains a password or a payload.
public enum MQTTError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// No TCP connection to the broker (refused, no route, host name unknown).
    case unreachable(host: String, port: Int, reason: String)
    /// The broker answered CONNACK "bad user name or password" or "not authorised".
    case loginRefused(host: String, port: Int)
    /// The broker refused the connection for another reason (CONNACK code).
    case connectionRefused(host: String, port: Int, code: Int32, reason: String)
    /// The broker did not complete the operation in time.
    case timedOut(operation: String, after: Duration)
    /// The client is not connected (never was, was disconnected, or lost the connection).
    case notConnected
    /// `connect` was called on a client that has already connected once.
    case alreadyConnected
    /// The broker refused a subscription (SUBACK 0x80, usually an ACL).
    case subscriptionRefused(filter: String)
    /// A topic or filter that MQTT does not allow.
    case invalidTopic(String)
    /// libmosquitto reported an error.
    case library(operation: String, code: Int32, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let host, let port, let reason):
            "cannot reach the MQTT broker at \(host):\(port): \(reason)"
        case .loginRefused(let host, let port):
            "the broker refused the login (\(host):\(port))"
        case .connectionRefused(let host, let port, let code, let reason):
            "the MQTT broker at \(host):\(port) refused the connection: \(reason) (CONNACK \(code))"
        case .timedOut(let operation, let after):
            "\(operation) timed out after \(after.secondsText)"
        case .notConnected:
            "not connected to the MQTT broker"
        case .alreadyConnected:
            "this MQTT client has already connected once; make a new client"
        case .subscriptionRefused(let filter):
            "the broker refused the subscription to \(filter)"
        case .invalidTopic(let problem):
            problem
        case .library(let operation, let code, let reason):
            "\(operation) failed: \(reason) (libmosquitto error \(code))"
        }
    }

    /// What to try next.
    public var help: String? {
        switch self {
        case .unreachable:
            "check the broker's host name and port (MQTT's default is 1883) and that the broker runs and lets this machine in"
        case .loginRefused:
            "check the user name and the password file; the broker's log says which of them it refused"
        case .connectionRefused:
            "check the broker's configuration and log"
        case .timedOut:
            "check the network path to the broker; a firewall that drops packets looks like this"
        case .notConnected:
            "connect first; when the connection dropped, check the broker's log"
        case .alreadyConnected, .library:
            nil
        case .subscriptionRefused:
            "the broker's ACL does not allow this user to read the topic"
        case .invalidTopic:
            "topics to publish to have no + or #; in filters, + and # are whole levels and # comes last"
        }
    }
}
