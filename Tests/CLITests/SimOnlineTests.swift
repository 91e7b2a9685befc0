import Foundation
import MQTT
import MeterLogger
import Testing
import TestSupport

/// `mlprov sim --online`: the twin as a separate process, flashed with a built firmware,
/// joins a real broker, and `mlprov commission` (another process) finds it there.
@Suite("mlprov sim --online")
struct SimOnlineTests {
    static let serial = "9999999"
    static let key = "ef500c9268cf749016d26d6cbfaaf7bf"

    @Test("a sim booting the demo firmware goes online and passes mlprov commission")
    func simGoesOnlineAndIsCommissioned() async throws {
        let folder = try temporaryDirectory("sim-online")
        let built = try await runProcess(mlprovBinary, [
            "build", "--profile", packageRoot.appendingPathComponent("profiles/demo-twin.yaml").path, "--serial", Self.serial,
            "--json", "--cache", folder.appendingPathComponent("cache").path, "--ledger", folder.appendingPathComponent("ledger.sqlite").path,
        ])
        try #require(built.succeeded, "\(built)")
        let summary = try JSONDecoder().decode(FirmwareVariantTests.Summary.self, from: Data(built.stdout.utf8))
        let parts = try #require(summary.builds.first?.parts)
        let flash = folder.appendingPathComponent("flash.bin").path
        let merged = try await runProcess(mlprovBinary, ["merge-bin", "-o", flash, "--flash-mode", "dout", "--flash-size", "1MB"]
            + parts.flatMap { ["0x" + String($0.offset, radix: 16), $0.path] })
        try #require(merged.succeeded, "\(merged)")

        let users = [Self.serial: String(Self.key.prefix(16)), "tech": "technician-pw"]
        try await withMosquitto(users: users) { broker in
            let keyFile = try writePrivateFile(Self.key + "\n", named: "board.key", in: broker.directory)
            let (commissioned, sim) = try await withSimProcess([
                "--pty", "--flash", flash, "--boot-mode", "flash", "--online", "\(broker.host):\(broker.port)", "--sample-interval", "1",
            ]) { _ in
                // Commission once the board is online: its first sample says so.
                try await Self.waitForFirstSample(broker: broker)
                return try await runProcess(mlprovBinary, [
                    "commission", "--serial", Self.serial, "--key-file", keyFile, "--host", broker.host, "--port", String(broker.port),
                    "--user", "tech", "--password-file", try broker.passwordFile(for: "tech"), "--json",
                ], timeout: .seconds(120))
            }
            #expect(commissioned.succeeded, "\(commissioned)\nsim:\n\(sim)")
            #expect(sim.stderr.contains("online at \(broker.host):\(broker.port) as \(Self.serial)"), "\(sim)")
        }
    }

    /// Waits (at most 60 s) for the board's first sample on the broker.
    static func waitForFirstSample(broker: MosquittoBroker) async throws {
        let watcher = try MQTTClient()
        try await watcher.connect(host: broker.host, port: broker.port, username: "tech", password: "technician-pw")
        try await watcher.subscribe(MeterTopics.deviceFilter(serial: serial, name: "sample"))
        let arrived = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in watcher.messages { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        await watcher.disconnect()
        try #require(arrived, "the sim's board never published a sample")
    }
}
