import Foundation
import Provisioning
import Testing
import TestSupport

/// `mqtt send` without --key-file takes the board's key from the key ledger.
@Suite("mqtt send with the key from the ledger")
struct LedgerKeyCLITests {
    typealias Fixture = CommissioningFixture

    @Test("with only --serial and --ledger, mqtt send uses the key the ledger holds for that board")
    func keyFromLedger() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let ledger = broker.directory.appendingPathComponent("ledger.sqlite").path
            let keyFile = try writePrivateFile("9999999,\(Fixture.keyHex)\n", named: "keys.csv", in: broker.directory)
            let imported = try await runProcess(mlprovBinary, ["keys", "import", keyFile, "--ledger", ledger])
            #expect(imported.succeeded, "\(imported)")
            let twin = try await Fixture.onlineTwin(on: broker)
            let login = ["--host", broker.host, "--port", String(broker.port), "--user", Fixture.technician,
                         "--password-file", try broker.passwordFile(for: Fixture.technician)]
            let run = try await runProcess(mlprovBinary, ["mqtt", "send", "--serial", Fixture.serialText, "--ledger", ledger] + login + ["ping"],
                                           timeout: .seconds(60))
            #expect(run.succeeded, "\(run)")
            #expect(run.stdout.hasPrefix("/ping/v2/9999999/"), "\(run)")
            // A serial the ledger does not know is refused, naming it, and nothing is generated.
            let unknown = try await runProcess(mlprovBinary, ["mqtt", "send", "--serial", "1234567", "--ledger", ledger] + login + ["ping"])
            #expect(unknown.exitCode == 1, "\(unknown)")
            #expect(unknown.stderr.contains("1234567"), "\(unknown)")
            await twin.stop()
        }
    }

    @Test("with --profile, mqtt send finds the broker in the profile's network.mqtt")
    func brokerFromProfile() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let profile = broker.directory.appendingPathComponent("site.yaml")
            try """
                installation:
                  name: broker from profile
                firmware:
                  source: ../firmware
                network:
                  ssid: Site
                  password_env: SITE_WIFI
                  mqtt:
                    host: \(broker.host)
                    port: \(broker.port)
                devices:
                  - serial: \(Fixture.serialText)
                    key: generate
                """.write(to: profile, atomically: true, encoding: .utf8)
            let twin = try await Fixture.onlineTwin(on: broker)
            let keyFile = try writePrivateFile(Fixture.keyHex + "\n", named: "board.key", in: broker.directory)
            let run = try await runProcess(mlprovBinary, [
                "mqtt", "send", "--profile", profile.path, "--serial", Fixture.serialText, "--key-file", keyFile,
                "--user", Fixture.technician, "--password-file", try broker.passwordFile(for: Fixture.technician), "version",
            ], timeout: .seconds(60))
            #expect(run.succeeded, "\(run)")
            #expect(run.stdout.hasPrefix("/version/v2/9999999/"), "\(run)")
            await twin.stop()
        }
    }
}
