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
}
