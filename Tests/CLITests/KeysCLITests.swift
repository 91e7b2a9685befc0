import Foundation
import MeterLogger
import Provisioning
import Subprocess
import Testing
import TestSupport
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// `mlprov keys` as a technician runs it: the binary `swift build` made, started with
/// swift-subprocess (clean signal mask).
@Suite("mlprov keys on the command line")
struct KeysCLITests {
    @Test("a key survives kill -9 between being recorded and being flashed, and generate then returns the same key")
    func keySurvivesKillBetweenRecordingAndFlashing() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: mlprovBinary), "build mlprov first: swift build")
        let ledger = try temporaryDirectory("crash").appendingPathComponent("ledger.sqlite").path
        let meter = "4242424"

        // Record a key, then hold the process where a flash would start, and kill it there.
        let result = try await run(
            .path(FilePath(mlprovBinary)),
            arguments: ["keys", "generate", "--serial", meter, "--ledger", ledger, "--hold-after-recording"],
            input: .none, output: .sequence, error: .string(limit: 1 << 20)
        ) { execution in
            let deadline = Task {
                try? await Task.sleep(for: .seconds(120))
                if !Task.isCancelled { try? execution.send(signal: .kill) }
            }
            defer { deadline.cancel() }
            var lines: [String] = []
            for try await line in execution.standardOutput.strings() {
                lines.append(line)
                if line.contains("key recorded") {
                    try execution.send(signal: .kill)
                }
            }
            return lines
        }
        #expect(result.terminationStatus == .signaled(SIGKILL), "\(result.terminationStatus)")
        let printed = result.closureResult.joined(separator: "\n")
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "\(meter): key recorded (generated now)")

        // The key is in the ledger, status generated, and was never printed.
        let store = try KeyStore(path: ledger, user: "tester")
        let entry = try #require(try store.entry(for: LedgerFixture.serial(meter)))
        #expect(entry.status == .generated)
        let recorded = try store.key(for: LedgerFixture.serial(meter), generateIfMissing: false)
        #expect(!printed.contains(recorded.hex) && LedgerFixture.hexRuns(in: printed).isEmpty)
        #expect(try LedgerFixture.mode(of: ledger) == 0o600)

        let before = try await runProcess(mlprovBinary, ["keys", "export", "--csv", "--ledger", ledger])
        #expect(before.succeeded, "\(before)")
        #expect(before.stdout == "serial,key\n\(meter),\(recorded.hex)\n")

        let again = try await runProcess(mlprovBinary, ["keys", "generate", "--serial", meter, "--ledger", ledger])
        #expect(again.succeeded, "\(again)")
        #expect(again.stdout == "\(meter): key recorded (already in the ledger)\n")

        let after = try await runProcess(mlprovBinary, ["keys", "export", "--csv", "--ledger", ledger])
        #expect(after.stdout == before.stdout)
    }

    @Test("export -o writes a 0600 file; list and generate print serials and status, never keys")
    func exportFileAndListOutput() async throws {
        let folder = try temporaryDirectory("keys-cli")
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let generate = try await runProcess(mlprovBinary, ["keys", "generate", "--serial", "9999999", "--installation", "Block 4", "--ledger", ledger, "--json"])
        #expect(generate.succeeded, "\(generate)")
        #expect(generate.stdout == #"{"keys":[{"outcome":"generated","serial":"9999999"}],"ok":true}"# + "\n")

        let csvFile = folder.appendingPathComponent("keys.csv").path
        let export = try await runProcess(mlprovBinary, ["keys", "export", "--csv", "-o", csvFile, "--ledger", ledger])
        #expect(export.succeeded, "\(export)")
        #expect(export.stdout.isEmpty)
        #expect(try LedgerFixture.mode(of: csvFile) == 0o600)
        let exported = try String(contentsOfFile: csvFile, encoding: .utf8)
        let rows = try KeyImportFile.parse(exported, file: csvFile)
        #expect(rows.map(\.serial.text) == ["9999999"])

        let sqlFile = folder.appendingPathComponent("meters.sql").path
        #expect(try await runProcess(mlprovBinary, ["keys", "export", "--sql", "-o", sqlFile, "--ledger", ledger]).succeeded)
        #expect(try LedgerFixture.mode(of: sqlFile) == 0o600)
        #expect(try String(contentsOfFile: sqlFile, encoding: .utf8) == "INSERT INTO meters (serial, `key`) VALUES ('9999999','\(rows[0].key.hex)');\n")

        for arguments in [["keys", "list"], ["keys", "list", "--json"], ["keys", "history"], ["keys", "history", "--json"]] {
            let listed = try await runProcess(mlprovBinary, arguments + ["--ledger", ledger])
            #expect(listed.succeeded, "\(listed)")
            #expect(listed.stdout.contains("9999999"))
            #expect(LedgerFixture.hexRuns(in: listed.stdout + listed.stderr).isEmpty, "\(arguments): \(listed)")
        }
        let json = try await runProcess(mlprovBinary, ["keys", "list", "--json", "--ledger", ledger])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let devices = try #require(object["devices"] as? [[String: Any]])
        #expect(devices.first?["status"] as? String == "generated")
        #expect(devices.first?["installation"] as? String == "Block 4")
        #expect(devices.first?["key"] == nil)
    }

    @Test("importing a file with a conflicting key exits 1 naming the serial, not the keys, and records nothing")
    func importConflictOnTheCommandLine() async throws {
        let folder = try temporaryDirectory("keys-cli")
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let file = folder.appendingPathComponent("in.csv").path
        try "serial,key\n5000001,\(LedgerFixture.keyA)\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await runProcess(mlprovBinary, ["keys", "import", file, "--ledger", ledger]).succeeded)
        try "5000002,\(LedgerFixture.keyC)\n5000001,\(LedgerFixture.keyB)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try await runProcess(mlprovBinary, ["keys", "import", file, "--ledger", ledger])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("5000001") && refused.stderr.contains("nothing was imported"), "\(refused)")
        #expect(LedgerFixture.hexRuns(in: refused.stdout + refused.stderr).isEmpty, "\(refused)")
        let listed = try await runProcess(mlprovBinary, ["keys", "export", "--csv", "--ledger", ledger])
        #expect(listed.stdout == "serial,key\n5000001,\(LedgerFixture.keyA)\n")
    }

    @Test("generate --profile --all records given keys and generates the rest")
    func generateForAProfile() async throws {
        let folder = try temporaryDirectory("keys-cli")
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let profileFile = folder.appendingPathComponent("site.yaml").path
        try """
            installation:
              name: Test site
            firmware:
              source: fw
            devices:
              - serial: 7310001
                key: \(LedgerFixture.keyA)
              - serial: 7310002
                key: generate

            """.write(toFile: profileFile, atomically: true, encoding: .utf8)
        let result = try await runProcess(mlprovBinary, ["keys", "generate", "--profile", profileFile, "--all", "--ledger", ledger])
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout == "7310001: key recorded (from the profile)\n7310002: key recorded (generated now)\n")
        let store = try KeyStore(path: ledger, user: "tester")
        #expect(try store.key(for: LedgerFixture.serial("7310001"), generateIfMissing: false) == LedgerFixture.key(LedgerFixture.keyA))
        #expect(try store.entries().map { $0.installation ?? "" } == ["Test site", "Test site"])
    }
}
