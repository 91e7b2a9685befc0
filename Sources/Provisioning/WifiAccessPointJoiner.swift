import Basics
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Why the board's setup access point could not be joined. Never contains the password.
public enum WifiJoinError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case nmcliMissing(searchPath: String)
    /// `nmcli connection up` kept failing for as long as the bound allows.
    case accessPointNotFound(ssid: String, attempts: Int, seconds: Int, lastError: String)
    case nmcliFailed(command: String, status: String, stderr: String)
    case passwordFile(reason: String)

    public var description: String {
        switch self {
        case .nmcliMissing(let path): "nmcli (NetworkManager) is not on PATH (\(path))"
        case .accessPointNotFound(let ssid, let attempts, let seconds, let lastError):
            "the board's setup access point \(ssid) did not come up: \(attempts) attempts over \(seconds) s failed (last: \(lastError))"
        case .nmcliFailed(let command, let status, let stderr): "\(command) failed (\(status)): \(stderr)"
        case .passwordFile(let reason): "cannot write the access point's password file: \(reason)"
        }
    }

    public var help: String? {
        switch self {
        case .nmcliMissing: "install NetworkManager, or join the board's access point yourself and give --device-url http://192.168.4.1/"
        case .accessPointNotFound:
            "power-cycle the board (it opens its setup access point for a while after power-up) and check --serial, the key and --meter (impulse meters' AP is EL_<serial>)"
        case .nmcliFailed: "check that NetworkManager runs and that you may change connections (polkit)"
        case .passwordFile: "check that the temporary directory is writable"
        }
    }
}

/// Joins a board's setup access point with NetworkManager and puts the laptop's previous
/// connections back afterwards, also when the work in between fails or is cancelled.
///
/// The AP password never appears on a command line: a temporary connection profile is
/// made without it (`psk-flags 2`: not saved) and `nmcli connection up … passwd-file FILE`
/// reads it from a 0600 file in a 0700 folder that is removed afterwards.
public struct WifiAccessPointJoiner: Sendable {
    /// Where `nmcli` is looked up (the PATH variable's form).
    public var searchPath: String
    /// Attempts at `connection up` while the AP comes up.
    public var attempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    /// `nmcli --wait` per activation, in seconds.
    public var activationWait: Int

    public init(
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        attempts: Int = 6, initialDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(10), activationWait: Int = 20
    ) {
        self.searchPath = searchPath
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.activationWait = activationWait
    }

    /// The temporary connection profile's name for `ssid`.
    public static func connectionName(ssid: String) -> String { "mlprov-setup-\(ssid)" }

    /// Joins `ssid` with `password`, runs `body`, and restores the previous connections.
    public func withAccessPoint<T: Sendable>(
        ssid: String, password: String, progress: @escaping @Sendable (String) -> Void = { _ in },
        _ body: () async throws -> T
    ) async throws -> T {
        let nmcli = try locate()
        let previous = try await activeConnections(nmcli)
        let name = Self.connectionName(ssid: ssid)
        let folder = try writePasswordFile(password)
        let passwordFile = folder.appendingPathComponent("passwd").path

        var created = false
        do {
            // A stale profile from an interrupted run is replaced.
            _ = try? await call(nmcli, ["connection", "delete", "id", name])
            try await check(nmcli, [
                "connection", "add", "type", "wifi", "con-name", name, "ifname", "*", "ssid", ssid,
                "autoconnect", "no", "wifi-sec.key-mgmt", "wpa-psk", "wifi-sec.psk-flags", "2",
            ])
            created = true
            try await bringUp(nmcli, name: name, ssid: ssid, passwordFile: passwordFile, progress: progress)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            await restore(nmcli, name: name, created: created, previous: previous, progress: progress)
            throw error
        }
        try? FileManager.default.removeItem(at: folder)

        let result: T
        do {
            result = try await body()
        } catch {
            await restore(nmcli, name: name, created: true, previous: previous, progress: progress)
            throw error
        }
        await restore(nmcli, name: name, created: true, previous: previous, progress: progress)
        return result
    }

    // MARK: Steps

    func bringUp(_ nmcli: String, name: String, ssid: String, passwordFile: String, progress: @Sendable (String) -> Void) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        var delay = initialDelay
        var lastError = ""
        for attempt in 1...attempts {
            progress(attempt == 1 ? "Joining \(ssid)…" : "Joining \(ssid)… (attempt \(attempt) of \(attempts))")
            let output = try await call(nmcli, ["--wait", String(activationWait), "connection", "up", "id", name, "passwd-file", passwordFile])
            if output.succeeded {
                progress("Joined \(ssid)")
                return
            }
            lastError = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            if lastError.isEmpty { lastError = output.status }
            if attempt < attempts {
                try await Task.sleep(for: delay)
                delay = min(delay * 2, maxDelay)
            }
        }
        let seconds = Int((clock.now - start).components.seconds)
        throw WifiJoinError.accessPointNotFound(ssid: ssid, attempts: attempts, seconds: seconds, lastError: lastError)
    }

    /// Takes our profile down and away, and brings back what was active before and is not now.
    /// Runs even when the surrounding task is cancelled.
    func restore(_ nmcli: String, name: String, created: Bool, previous: [ActiveConnection], progress: @escaping @Sendable (String) -> Void) async {
        await Task {
            if created {
                _ = try? await call(nmcli, ["connection", "down", "id", name])
                _ = try? await call(nmcli, ["connection", "delete", "id", name])
            }
            let now = (try? await activeConnections(nmcli)) ?? []
            for connection in previous where connection.name != name && !now.contains(where: { $0.name == connection.name }) {
                progress("Restoring \(connection.name)")
                _ = try? await call(nmcli, ["connection", "up", "id", connection.name])
            }
        }.value
    }

    public struct ActiveConnection: Sendable, Hashable {
        public var name: String
        public var device: String
    }

    func activeConnections(_ nmcli: String) async throws -> [ActiveConnection] {
        let output = try await check(nmcli, ["-t", "-f", "NAME,DEVICE", "connection", "show", "--active"])
        return output.stdout.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = Self.splitTerse(String(line))
            guard let name = fields.first, !name.isEmpty else { return nil }
            let device = fields.count > 1 ? fields[1] : ""
            return device == "lo" ? nil : ActiveConnection(name: name, device: device)
        }
    }

    /// Splits one line of `nmcli -t` output at its unescaped colons (`\:` and `\\` escape).
    static func splitTerse(_ line: String) -> [String] {
        var fields: [String] = [""]
        var escaped = false
        for character in line {
            if escaped {
                fields[fields.count - 1].append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append("")
            } else {
                fields[fields.count - 1].append(character)
            }
        }
        return fields
    }

    func writePasswordFile(_ password: String) throws(WifiJoinError) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-ap-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let file = folder.appendingPathComponent("passwd").path
            try AtomicFile.write("802-11-wireless-security.psk:\(password)\n", to: file)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw .passwordFile(reason: "\(error)")
        }
        return folder
    }

    func locate() throws(WifiJoinError) -> String {
        for folder in searchPath.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/nmcli"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw .nmcliMissing(searchPath: searchPath)
    }

    struct Output: Sendable {
        var succeeded: Bool
        var status: String
        var stdout: String
        var stderr: String
    }

    func call(_ nmcli: String, _ arguments: [String]) async throws -> Output {
        let result = try await run(
            .path(FilePath(nmcli)), arguments: Arguments(arguments),
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 16))
        let status: String
        let succeeded: Bool
        switch result.terminationStatus {
        case .exited(let code): status = "exit \(code)"; succeeded = code == 0
        default: status = "killed by a signal"; succeeded = false
        }
        return Output(succeeded: succeeded, status: status, stdout: result.standardOutput, stderr: result.standardError)
    }

    @discardableResult
    func check(_ nmcli: String, _ arguments: [String]) async throws -> Output {
        let output = try await call(nmcli, arguments)
        guard output.succeeded else {
            throw WifiJoinError.nmcliFailed(
                command: "nmcli " + arguments.joined(separator: " "), status: output.status,
                stderr: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }
}
