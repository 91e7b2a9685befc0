import Foundation
import MeterLogger
import Provisioning
import Testing
import TestSupport

/// `mlprov provision`: one board end to end through the station's pipeline, as a process
/// against a twin process on a pseudo-terminal.
@Suite("mlprov provision")
struct ProvisionCommandTests {
    struct Report: Decodable {
        var ok: Bool
        var serial: String
        var mac: String
        var already_provisioned: Bool
        var loader: String?
    }

    @Test("a twin is claimed, flashed and boot-checked; the ledger ties it to the device")
    func provisionsOneBoard() async throws {
        let folder = try temporaryDirectory("provision")
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let (provisioned, _) = try await withSimProcess(["--pty"]) { pty in
            try await runProcess(mlprovBinary, [
                "provision", "--profile", packageRoot.appendingPathComponent("profiles/demo-twin.yaml").path, "--serial", "9999999",
                "--port", pty, "--before", "no-reset", "--json", "--ledger", ledger, "--cache", folder.appendingPathComponent("cache").path,
            ])
        }
        try #require(provisioned.succeeded, "\(provisioned)")
        let report = try JSONDecoder().decode(Report.self, from: Data(provisioned.stdout.utf8))
        #expect(report.ok && report.serial == "9999999" && !report.already_provisioned)
        #expect(report.loader == "stub")

        let exported = try await runProcess(mlprovBinary, ["ledger", "export", "--csv", "--ledger", ledger])
        try #require(exported.succeeded, "\(exported)")
        let row = try #require(exported.stdout.split(separator: "\n").first { $0.hasPrefix("9999999,") })
        #expect(row.contains(report.mac), "the ledger names the board: \(row)")
        #expect(row.contains("provisioned"), "\(row)")
    }

    @Test("a serial the profile lacks fails before any board is touched, naming the serial")
    func unknownSerialFailsFirst() async throws {
        let folder = try temporaryDirectory("provision")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await runProcess(mlprovBinary, [
            "provision", "--profile", packageRoot.appendingPathComponent("profiles/demo-twin.yaml").path, "--serial", "1234",
            "--port", "/dev/null-no-such-port", "--json", "--ledger", folder.appendingPathComponent("ledger.sqlite").path,
        ])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("no device with serial 1234"), "\(result.stderr)")
        #expect(result.stdout.contains("\"ok\":false"), "\(result.stdout)")
    }

    @Test("mlprov flash takes the key from the ledger once and records one flash with the board's MAC")
    func flashRecordsOnce() async throws {
        let folder = try temporaryDirectory("flash")
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let (flashed, _) = try await withSimProcess(["--pty"]) { pty in
            try await runProcess(mlprovBinary, [
                "flash", "--profile", packageRoot.appendingPathComponent("profiles/demo-twin.yaml").path, "--serial", "9999999",
                "--port", pty, "--before", "no-reset", "--after", "no-reset", "--json", "--ledger", ledger,
                "--cache", folder.appendingPathComponent("cache").path,
            ])
        }
        try #require(flashed.succeeded, "\(flashed)")
        #expect(flashed.stdout.contains("\"loader\":\"stub\""), "\(flashed.stdout)")
        let store = try KeyStore(path: ledger)
        let serial = try #require(MeterSerial("9999999"))
        let entry = try #require(try store.entry(for: serial))
        #expect(entry.status == .flashed)
        #expect(entry.mac != nil, "the board's MAC is recorded")
        let kinds = try store.events(serial: serial).map(\.what)
        #expect(kinds.filter { $0 == .flashed }.count == 1, "\(kinds)")
        #expect(kinds.filter { [.recorded, .issued, .generated].contains($0) }.count == 1, "the key was resolved once: \(kinds)")
    }
}
