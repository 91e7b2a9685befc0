import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A real mosquitto broker a test started on a free loopback port, with a password file
/// and no anonymous access.
public struct MosquittoBroker: Sendable {
    public static let executable = "/usr/sbin/mosquitto"
    public static let passwdExecutable = "/usr/bin/mosquitto_passwd"

    public let host = "127.0.0.1"
    public let port: Int
    /// The broker's folder (configuration, password file); removed when the broker stops.
    public let directory: URL
    /// User name → password, as the password file has them.
    public let users: [String: String]

    /// Writes `users[user]` to a new 0600 file in the broker's folder (for `--password-file`).
    public func passwordFile(for user: String) throws -> String {
        try writePrivateFile(users[user] ?? "", named: "\(user).password", in: directory)
    }
}

/// Why mosquitto did not start.
public struct MosquittoStartError: Error, CustomStringConvertible {
    public var description: String
}

/// Starts mosquitto (swift-subprocess, so it gets a clean signal mask) on a free port of
/// 127.0.0.1 with `users` in a password file made by `mosquitto_passwd -b`, waits until it
/// accepts connections, runs `body`, then stops it (SIGTERM; SIGKILL by the watchdog when
/// it outlives `timeout`) and removes its folder.
@discardableResult
public func withMosquitto<T: Sendable>(
    users: [String: String], timeout: Duration = .seconds(300),
    _ body: @Sendable (MosquittoBroker) async throws -> T
) async throws -> T {
    let directory = try temporaryDirectory("mlprov-mosquitto")
    defer { try? FileManager.default.removeItem(at: directory) }
    let passwordFile = directory.appendingPathComponent("passwd").path
    guard FileManager.default.createFile(atPath: passwordFile, contents: nil, attributes: [.posixPermissions: 0o600]) else {
        throw MosquittoStartError(description: "cannot create \(passwordFile)")
    }
    for (user, password) in users.sorted(by: { $0.key < $1.key }) {
        let made = try await runProcess(MosquittoBroker.passwdExecutable, ["-b", passwordFile, user, password], timeout: .seconds(30))
        guard made.succeeded else { throw MosquittoStartError(description: "mosquitto_passwd failed: \(made)") }
    }

    var lastError: Error = MosquittoStartError(description: "mosquitto did not start")
    // A port found free can be taken before mosquitto binds it: try a few.
    for _ in 0..<3 {
        let port = try freeLoopbackPort()
        let broker = MosquittoBroker(port: port, directory: directory, users: users)
        let configuration = directory.appendingPathComponent("mosquitto-\(port).conf")
        var lines = [
            "listener \(port) 127.0.0.1",
            "allow_anonymous false",
            "password_file \(passwordFile)",
            "persistence false",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        // As root, mosquitto would switch to the user "mosquitto", who cannot read the
        // password file in our folder: stay root.
        if geteuid() == 0 { lines.append("user root") }
        try (lines.joined(separator: "\n") + "\n").write(to: configuration, atomically: true, encoding: .utf8)

        let watchdog = Watchdog()
        do {
            let result = try await run(
                .path(FilePath(MosquittoBroker.executable)), arguments: Arguments(["-c", configuration.path]),
                input: .none, output: .discarded, error: .string(limit: 1 << 20)
            ) { execution -> T in
                watchdog.arm(after: timeout) { try? execution.send(signal: .kill) }
                guard await waitUntilAccepting(port: port, within: .seconds(10)) else {
                    try? execution.send(signal: .kill)
                    throw MosquittoStartError(description: "mosquitto did not accept connections on 127.0.0.1:\(port)")
                }
                let value: T
                do {
                    value = try await body(broker)
                } catch {
                    try? execution.send(signal: .terminate)
                    throw BodyError(error: error)
                }
                try? execution.send(signal: .terminate)
                return value
            }
            watchdog.disarm()
            return result.closureResult
        } catch let error as BodyError {
            watchdog.disarm()
            throw error.error
        } catch {
            watchdog.disarm()
            lastError = error
        }
    }
    throw lastError
}

/// A failure inside the test's body (not retried, rethrown as it is).
private struct BodyError: Error {
    var error: Error
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw MosquittoStartError(description: "socket() failed: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw MosquittoStartError(description: "cannot bind a loopback port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether a TCP connection to 127.0.0.1:`port` succeeds; a loopback connect answers at once.
public func loopbackPortAccepts(_ port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// Polls until something accepts connections on 127.0.0.1:`port`.
func waitUntilAccepting(port: Int, within limit: Duration) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if loopbackPortAccepts(port) { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}

/// Writes `text` to a new file readable by its owner only (0600); returns its path.
public func writePrivateFile(_ text: String, named name: String, in directory: URL) throws -> String {
    let path = directory.appendingPathComponent(name).path
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
        throw MosquittoStartError(description: "cannot write \(path)")
    }
    _ = chmod(path, 0o600)
    return path
}
