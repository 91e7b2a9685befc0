import Basics
import Foundation
import MQTT
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A mosquitto broker of our own on a free port of 127.0.0.1, with a password file and no
/// anonymous access: for the demo, and for tests. It lives as long as the closure given to
/// `PrivateBroker.run` and its folder is removed afterwards.
public struct PrivateBroker: Sendable {
    public static let executable = "/usr/sbin/mosquitto"
    public static let passwdExecutable = "/usr/bin/mosquitto_passwd"

    public let host = "127.0.0.1"
    public let port: Int
    /// The broker's folder (configuration, password file).
    public let directory: URL
    /// User name → password, as the password file has them.
    public let users: [String: String]

    /// Starts mosquitto (through swift-subprocess, so it gets a clean signal mask) with
    /// `users`, waits until it accepts connections, runs `body`, then stops it.
    /// Passwords are hashed with `mosquitto_passwd -U` from a 0600 file: never on argv.
    public static func run<T: Sendable>(
        users: [String: String], _ body: @Sendable (PrivateBroker) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-broker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        // A user only this broker knows: proves that what answers on the port is ours and
        // not another private broker that took the port first (ours then failed to bind).
        let probe = (user: "mlprov-probe-" + UUID().uuidString.prefix(8).lowercased(), password: UUID().uuidString)
        let passwordFile = try writePrivateFile(
            (users.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" } + ["\(probe.user):\(probe.password)"])
                .joined(separator: "\n") + "\n",
            named: "passwd", in: directory)
        let hashed = try await Subprocess.run(
            .path(FilePath(passwdExecutable)), arguments: ["-U", passwordFile], input: .none,
            output: .discarded, error: .string(limit: 1 << 16))
        guard case .exited(0) = hashed.terminationStatus else {
            throw PrivateBrokerError(description: "mosquitto_passwd -U failed: \(hashed.standardError)")
        }

        var lastError: Error = PrivateBrokerError(description: "mosquitto did not start")
        // A port found free can be taken before mosquitto binds it: try a few.
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            let broker = PrivateBroker(port: port, directory: directory, users: users)
            let configuration = directory.appendingPathComponent("mosquitto-\(port).conf")
            var lines = [
                "listener \(port) 127.0.0.1", "allow_anonymous false", "password_file \(passwordFile)",
                "persistence false", "log_dest stderr", "log_type error", "log_type warning",
            ]
            // As root, mosquitto would switch to the user "mosquitto", who cannot read the
            // password file in our private folder: stay root.
            if geteuid() == 0 { lines.append("user root") }
            try (lines.joined(separator: "\n") + "\n").write(to: configuration, atomically: true, encoding: .utf8)
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(["-c", configuration.path]),
                    input: .none, output: .discarded, error: .string(limit: 1 << 20)
                ) { execution -> T in
                    guard await waitUntilAccepting(port: port, within: .seconds(10)) else {
                        try? execution.send(signal: .kill)
                        throw PrivateBrokerError(description: "mosquitto did not accept connections on 127.0.0.1:\(port)")
                    }
                    guard await answersAsOurs(port: port, probe: probe) else {
                        try? execution.send(signal: .kill)
                        throw PrivateBrokerError(description: "another broker answers on 127.0.0.1:\(port)")
                    }
                    do {
                        let value = try await body(broker)
                        try? execution.send(signal: .terminate)
                        return value
                    } catch {
                        try? execution.send(signal: .terminate)
                        throw BodyFailure(error: error)
                    }
                }
                return result.closureResult
            } catch let failure as BodyFailure {
                throw failure.error
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Writes `users[user]` to a new 0600 file in the broker's folder (for `--password-file`).
    public func passwordFile(for user: String) throws -> String {
        try writePrivateFile(users[user] ?? "", named: "\(user).password", in: directory)
    }
}

/// Whether the broker on `port` knows the probe user (only the one we started does).
private func answersAsOurs(port: Int, probe: (user: String, password: String)) async -> Bool {
    guard let client = try? MQTTClient() else { return false }
    let accepted: Bool
    do {
        try await client.connect(host: "127.0.0.1", port: port, username: probe.user, password: probe.password)
        accepted = true
    } catch {
        accepted = false
    }
    await client.disconnect()
    return accepted
}

/// Why the private broker did not start.
public struct PrivateBrokerError: ReportableError, CustomStringConvertible {
    public var description: String
    public var help: String? { "is mosquitto installed? scripts/setup installs it" }
    public init(description: String) { self.description = description }
}

/// A failure inside the caller's body: rethrown as it is, never retried.
private struct BodyFailure: Error {
    var error: Error
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw PrivateBrokerError(description: "socket() failed: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw PrivateBrokerError(description: "cannot bind a loopback port: errno \(errno)") }
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
    do {
        try AtomicFile.write(text, to: path)
    } catch {
        throw PrivateBrokerError(description: error.description)
    }
    return path
}
