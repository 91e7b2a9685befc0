import DeviceSim
import Foundation
import MQTT
import MeterLogger
import Provisioning
import Testing
import TestSupport

/// `mlprov mqtt send`, `mlprov mqtt listen` and `mlprov commission` as child processes,
/// against the twin running in this test process, through a real mosquitto.
@Suite("mlprov mqtt send/listen and commission on the command line")
struct CommissioningCLITests {
    typealias Fixture = CommissioningFixture

    /// The CLI's arguments for the fixture's board and the technician's login; the key and
    /// the password sit in 0600 files.
    static func arguments(_ broker: MosquittoBroker) throws -> [String] {
        let keyFile = try writePrivateFile(Fixture.keyHex + "\n", named: "board.key", in: broker.directory)
        return ["--serial", Fixture.serialText, "--key-file", keyFile, "--host", broker.host, "--port", String(broker.port),
                "--user", Fixture.technician, "--password-file", try broker.passwordFile(for: Fixture.technician)]
    }

    @Test("mqtt send … ping prints the decrypted reply on /ping/v2/<serial>/<time> and exits 0")
    func sendPing() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker)
            let run = try await runProcess(mlprovBinary, ["mqtt", "send"] + (try Self.arguments(broker)) + ["ping"], timeout: .seconds(60))
            #expect(run.succeeded, "\(run)")
            let line = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(line.hasPrefix("/ping/v2/9999999/"), "\(run)")
            #expect(DeviceTopic(line)?.name == "ping")
            #expect(twin.counters.commandsHandled == 1)
            #expect(!run.stdout.contains(Fixture.keyHex) && !run.stderr.contains(Fixture.keyHex))
            #expect(!run.stderr.contains(Fixture.technicianPassword))
            await twin.stop()
        }
    }

    @Test("mqtt send --json prints one JSON line with the reply; arguments go through (open_until 1500)")
    func sendJSON() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker)
            let run = try await runProcess(mlprovBinary, ["mqtt", "send", "--json"] + (try Self.arguments(broker)) + ["open_until", "1500"], timeout: .seconds(60))
            #expect(run.succeeded, "\(run)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(object["ok"] as? Bool == true)
            #expect(object["name"] as? String == "open_until")
            #expect(object["message"] as? String == "1500")
            #expect(object["serial"] as? String == "9999999")
            #expect(twin.firmware.valveOpen)
            await twin.stop()
        }
    }

    @Test("mqtt send set_pwd --argument-file keeps the wifi password off the command line and the reply")
    func sendPasswordFromFile() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker)
            let file = try writePrivateFile("site-wifi-secret\n", named: "wifi.pw", in: broker.directory)
            let run = try await runProcess(
                mlprovBinary, ["mqtt", "send"] + (try Self.arguments(broker)) + ["--argument-file", file, "set_pwd"], timeout: .seconds(60))
            #expect(run.succeeded, "\(run)")
            #expect(run.stdout.hasPrefix("/set_pwd/v2/9999999/") && run.stdout.contains(" saved"), "\(run)")
            #expect(!run.stdout.contains("site-wifi-secret") && !run.stderr.contains("site-wifi-secret"))
            #expect(twin.firmware.wifiPassword == "site-wifi-secret")
            await twin.stop()
        }
    }

    @Test("mqtt send to an offline board times out, naming the reply topic it waited for")
    func sendTimesOut() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let run = try await runProcess(mlprovBinary, ["mqtt", "send", "--timeout", "1"] + (try Self.arguments(broker)) + ["status"], timeout: .seconds(60))
            #expect(run.exitCode == 1, "\(run)")
            #expect(run.stderr.contains("no reply on /status/v2/9999999/+ within 1 s"), "\(run)")
        }
    }

    @Test("mqtt send exits 1 naming the field of a bad argument, the unreachable broker, or an open password file")
    func sendErrors() async throws {
        let port = try freeLoopbackPort()
        let folder = try temporaryDirectory("mlprov-mqtt-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyFile = try writePrivateFile(Fixture.keyHex, named: "board.key", in: folder)
        let base = ["mqtt", "send", "--serial", "9999999", "--key-file", keyFile, "--host", "127.0.0.1", "--port", String(port)]

        let badCron = try await runProcess(mlprovBinary, base + ["set_cron", "minute=61&hour=*&day_of_month=*&month=*&day_of_week=*&command=open"])
        #expect(badCron.exitCode == 1)
        #expect(badCron.stderr.contains("set_cron: field minute: 61 is outside 0–59"), "\(badCron)")

        let badPassword = try await runProcess(mlprovBinary, base + ["set_pwd", "short"])
        #expect(badPassword.exitCode == 1)
        #expect(badPassword.stderr.contains("set_pwd: field pwd"), "\(badPassword)")

        let unreachable = try await runProcess(mlprovBinary, base + ["ping"])
        #expect(unreachable.exitCode == 1)
        #expect(unreachable.stderr.contains("cannot reach the MQTT broker at 127.0.0.1:\(port)"), "\(unreachable)")

        let openFile = folder.appendingPathComponent("open.password").path
        try "pw-123456".write(toFile: openFile, atomically: true, encoding: .utf8)
        _ = chmod(openFile, 0o644)
        let exposed = try await runProcess(mlprovBinary, base + ["--user", "tech", "--password-file", openFile, "ping"])
        #expect(exposed.exitCode == 1)
        #expect(exposed.stderr.contains("is open to others"), "\(exposed)")

        let openKey = folder.appendingPathComponent("open.key").path
        try Fixture.keyHex.write(toFile: openKey, atomically: true, encoding: .utf8)
        _ = chmod(openKey, 0o644)
        let exposedKey = try await runProcess(mlprovBinary, ["mqtt", "send", "--serial", "9999999", "--key-file", openKey, "--port", String(port), "ping"])
        #expect(exposedKey.exitCode == 1)
        #expect(exposedKey.stderr.contains("open to others"), "\(exposedKey)")
    }

    @Test("mqtt listen --count 2 --json prints the board's samples with parsed fields")
    func listenPrintsSamples() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker, sampleInterval: .milliseconds(200))
            let run = try await runProcess(
                mlprovBinary, ["mqtt", "listen", "--json", "--count", "2", "--timeout", "20"] + (try Self.arguments(broker)), timeout: .seconds(60))
            #expect(run.succeeded, "\(run)")
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count == 2, "\(run)")
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(object["name"] as? String == "sample")
                let fields = try #require(object["fields"] as? [[String: Any]])
                let t1 = try #require(fields.first { $0["name"] as? String == "t1" })
                #expect(t1["unit"] as? String == "C")
                #expect(t1["number"] as? Double == 25)
            }
            await twin.stop()
        }
    }

    @Test("commission exits 0 against the online twin and prints each step")
    func commissionPasses() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker, sampleInterval: .milliseconds(200))
            let run = try await runProcess(mlprovBinary, ["commission", "--sample-timeout", "10"] + (try Self.arguments(broker)), timeout: .seconds(60))
            #expect(run.succeeded, "\(run)")
            for step in ["broker", "ping", "version", "status", "sample"] {
                #expect(run.stdout.contains("PASS \(step)"), "\(run)")
            }
            #expect(run.stdout.contains("Commissioned 9999999"))
            await twin.stop()
        }
    }

    @Test("commission --json exits 1 against an offline board, with a report that says where it failed")
    func commissionFailsOffline() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let run = try await runProcess(mlprovBinary, ["commission", "--json", "--reply-timeout", "1"] + (try Self.arguments(broker)), timeout: .seconds(60))
            #expect(run.exitCode == 1, "\(run)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(object["passed"] as? Bool == false)
            let steps = try #require(object["steps"] as? [[String: Any]])
            #expect(steps.map { $0["outcome"] as? String } == ["passed", "failed", "skipped", "skipped", "skipped"])
            #expect(run.stderr.contains("failed at ping: no reply on /ping/v2/9999999/+ within 1 s"), "\(run)")
        }
    }
}
