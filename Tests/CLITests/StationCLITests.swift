import DeviceSim
import Foundation
import MeterLogger
import Provisioning
import Subprocess
import Synchronization
import Testing
import TestSupport
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// `mlprov station` and `mlprov ledger export` as a technician runs them.
@Suite("Station command line")
struct StationCLITests {
    /// Runs `mlprov station` with `arguments` and collects its JSON lines. With `signal`,
    /// the station gets that signal the moment one of `boards` accepts its first compressed
    /// data block, sent from the twin's own thread to the process whose command line holds
    /// `arguments`' ledger path: a test process slow to read the station's output (a loaded
    /// machine starves its async threads) still interrupts it mid-flash. Returns the lines,
    /// the exit code (nil when killed by a signal) and whether the signal was sent.
    func runStation(_ arguments: [String], boards: [BenchBoard] = [], signal: Int32? = nil) async throws -> (lines: [String], exitCode: Int32?, signalled: Bool) {
        let sent = Mutex(false)
        if let signal, let ledger = arguments.firstIndex(of: "--ledger").map({ arguments[$0 + 1] }) {
            for board in boards {
                board.twin.onEvent = { event in
                    guard case .stubRequest(.flashDeflData, error: nil) = event else { return }
                    // Exactly once, whichever board gets there first (a second SIGINT would
                    // be the technician's "stop now").
                    let pids = processes(withArgument: ledger)
                    let first = sent.withLock { sent in
                        defer { if !pids.isEmpty { sent = true } }
                        return !sent && !pids.isEmpty
                    }
                    if first { for pid in pids { kill(pid, signal) } }
                }
            }
        }
        defer { boards.forEach { $0.twin.onEvent = nil } }
        let result = try await run(
            .path(FilePath(mlprovBinary)), arguments: Arguments(["station"] + arguments),
            input: .none, output: .sequence, error: .string(limit: 1 << 20)
        ) { execution in
            var lines: [String] = []
            for try await line in execution.standardOutput.strings() { lines.append(line) }
            return lines
        }
        let code: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
        return (result.closureResult, code, sent.withLock { $0 })
    }

    @Test func aKilledStationRestartsAndCompletesTheBatchWithoutLosingOrReusingAKey() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try writeStationProfile(in: folder, count: 3)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        // A slow flash chip: a flash takes seconds, long enough to be killed in the middle of
        // it even when this test reads the station's output late (a loaded machine).
        let boards = try (1...3).map { try BenchBoard(index: 20 + $0, timing: .slowFlash) }
        defer { boards.forEach { $0.stop() } }
        let common = ["--profile", profile, "--ledger", ledger, "--cache", folder.appendingPathComponent("cache").path,
                      "--before", "no-reset", "--connect-attempts", "3", "--jobs", "3", "--once", "--json"]

        let first = try await runStation(common + ["--ports", boards.map(\.port).joined(separator: ",")], boards: boards, signal: SIGKILL)
        #expect(first.signalled && first.exitCode == nil, "the station was killed while a board was flashing: \(first.lines.suffix(3))")
        let keysBefore = try ledgerKeys(ledger)
        #expect(!keysBefore.isEmpty, "keys are recorded before flashing")
        let done = first.lines.filter { $0.contains("\"phase\":\"done\"") }.count
        #expect(done < 3, "the batch was not complete when the station was killed")

        // The technician power-cycles the hub: every board comes back in download mode.
        for board in boards { try board.replug() }
        let second = try await runStation(common + ["--ports", boards.map(\.port).joined(separator: ",")])
        #expect(second.exitCode == 0, "\(second.lines.suffix(5))")

        let keysAfter = try ledgerKeys(ledger)
        for (serial, key) in keysBefore { #expect(keysAfter[serial] == key, "the key of \(serial) never changes") }
        #expect(keysAfter.count == 3)
        #expect(Set(keysAfter.values).count == 3, "no key on two devices")
        let store = try KeyStore(path: ledger)
        let assignments = try store.assignments()
        #expect(assignments.count == 3 && assignments.allSatisfy { $0.state == .provisioned })
        for row in assignments {
            #expect(try store.events(serial: row.serial).filter { $0.what == .generated }.count == 1, "one key ever made for \(row.serial)")
        }
        for board in boards {
            let row = try #require(assignments.first { $0.board.mac == board.mac }, "board \(board.mac) in the ledger")
            let flashed = try #require(board.flashedIdentity(), "board \(board.mac) holds the demo firmware")
            #expect(flashed.serial == row.serial.text)
            #expect(flashed.key.hex == keysAfter[row.serial.ledgerText], "board \(board.mac) carries its device's key")
        }
    }

    @Test func ledgerExportListsEachDeviceWithItsBoardAndNoKeyUnlessAsked() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try InstallationProfile.load(path: try writeStationProfile(in: folder, count: 3))
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let store = try KeyStore(path: ledger, user: "tech-anna")
        let boardA = BoardIdentity(mac: "18:FE:34:AA:00:01", chipID: "0x00aa0001")
        let boardB = BoardIdentity(mac: "18:fe:34:aa:00:02", chipID: "0x00aa0002")
        _ = try store.claimNextDevice(for: boardA, slot: "s1", candidates: profile.devices, installation: profile.name, source: profile.file)
        _ = try store.claimNextDevice(for: boardB, slot: "s2", candidates: profile.devices, installation: profile.name, source: profile.file)
        try store.markAssignmentFlashed(serial: profile.devices[0].serial, board: boardA)
        try store.markProvisioned(serial: profile.devices[0].serial, board: boardA, commissioned: false)
        try store.markAssignmentFailed(serial: profile.devices[1].serial, board: boardB, reason: "writing 0x10000.bin failed, cable pulled")
        _ = try store.issueKey(for: profile.devices[2].serial, installation: profile.name)
        let keys = try ledgerKeys(ledger)

        let plain = try await runProcess(mlprovBinary, ["ledger", "export", "--csv", "--ledger", ledger])
        #expect(plain.succeeded, "\(plain)")
        let lines = plain.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "serial,key_state,mac,chip_id,assigned_at,flashed_at,provisioned_at,technician,result")
        #expect(lines.count == 4)
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(first[0] == "3000001" && first[1] == "flashed" && first[2] == "18:fe:34:aa:00:01" && first[3] == "0x00aa0001")
        #expect(!first[4].isEmpty && !first[5].isEmpty && !first[6].isEmpty)
        #expect(first[7] == "tech-anna" && first[8] == "provisioned")
        #expect(lines[2].hasPrefix("3000002,generated,18:fe:34:aa:00:02,"))
        #expect(lines[2].hasSuffix(",\"failed: writing 0x10000.bin failed, cable pulled\""))
        #expect(lines[3].hasPrefix("3000003,generated,,,,,,"))
        for key in keys.values { #expect(!plain.stdout.contains(key), "no key without --include-keys") }

        let refused = try await runProcess(mlprovBinary, ["ledger", "export", "--csv", "--include-keys", "--ledger", ledger])
        #expect(!refused.succeeded, "keys never go to standard output")

        let file = folder.appendingPathComponent("with-keys.csv").path
        let withKeys = try await runProcess(mlprovBinary, ["ledger", "export", "--csv", "--include-keys", "-o", file, "--ledger", ledger])
        #expect(withKeys.succeeded, "\(withKeys)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.hasPrefix("serial,key_state,key,mac,"))
        for (serial, key) in keys { #expect(text.contains("\(serial),"), "row for \(serial)"); #expect(text.contains(",\(key),")) }
        #expect(try store.events().contains { $0.what == .exported }, "exported keys are noted in the history")
    }

    @Test func ctrlCStopsTheStationWithExitCode130AndTheLedgerSaysWhereItStopped() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try writeStationProfile(in: folder, count: 2)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let boards = try (1...2).map { try BenchBoard(index: 40 + $0, timing: .slowFlash) }
        defer { boards.forEach { $0.stop() } }
        let result = try await runStation(
            ["--profile", profile, "--ledger", ledger, "--cache", folder.appendingPathComponent("cache").path,
             "--before", "no-reset", "--connect-attempts", "3", "--once", "--json", "--ports", boards.map(\.port).joined(separator: ",")],
            boards: boards, signal: SIGINT)
        let lines = result.lines
        #expect(result.signalled)
        let code = try #require(result.exitCode, "the station ended by itself on SIGINT, not killed by it")
        #expect(code == 130, "\(lines.suffix(4))")
        #expect(lines.last?.contains("\"interrupted\":true") == true)
        let store = try KeyStore(path: ledger)
        let assignments = try store.assignments()
        #expect(!assignments.isEmpty)
        #expect(assignments.contains { $0.state != .provisioned }, "the signal came while a board was flashing")
        for row in assignments where row.state != .provisioned {
            #expect(row.state == .failed && row.result == "interrupted", "\(row.serial): \(row.state) \(row.result)")
        }
        #expect(Set(try ledgerKeys(ledger).values).count == (try ledgerKeys(ledger)).count)
    }

    @Test func onATerminalTheStationDrawsALiveTableAndEndsWithASummary() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try writeStationProfile(in: folder, count: 2)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let boards = try (1...2).map { try BenchBoard(index: 80 + $0) }
        defer { boards.forEach { $0.stop() } }
        let command = [mlprovBinary, "station", "--profile", profile, "--ledger", ledger,
                       "--cache", folder.appendingPathComponent("cache").path, "--before", "no-reset", "--connect-attempts", "3",
                       "--once", "--ports", boards.map(\.port).joined(separator: ",")]
        #expect(!command.joined().contains { $0 == " " || $0 == "'" }, "paths that need no quoting")
        // util-linux's script(1) gives the station a terminal for its standard output.
        let result = try await runProcess("/usr/bin/script", ["-qec", command.joined(separator: " "), "/dev/null"])
        #expect(result.succeeded, "\(result)")
        let screen = result.stdout
        #expect(screen.contains("SLOT") && screen.contains("SERIAL") && screen.contains("PHASE") && screen.contains("RESULT"))
        #expect(screen.contains("\u{1B}[2K"), "rows are redrawn in place")
        #expect(screen.contains(/\x{1B}\[\d+A/), "the cursor moves back up to redraw")
        #expect(!screen.contains("\"phase\""), "no JSON lines on a terminal")
        for serial in ["3000001", "3000002"] { #expect(screen.contains(serial)) }
        #expect(screen.contains("2 done, 0 failed"))
    }

    @Test func askSerialTakesTheSerialPipedOnStandardInput() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try writeStationProfile(in: folder, count: 3)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let board = try BenchBoard(index: 71)
        defer { board.stop() }
        let result = try await run(
            .path(FilePath(mlprovBinary)),
            arguments: ["station", "--profile", profile, "--ledger", ledger, "--cache", folder.appendingPathComponent("cache").path,
                        "--before", "no-reset", "--connect-attempts", "3", "--once", "--json", "--ask-serial", "--ports", board.port],
            input: .string("3000002\n"), output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let code: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
        #expect(code == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardError.contains("serial for the board on \(board.port)"), "the question was asked")
        let rows = try KeyStore(path: ledger).assignments()
        #expect(rows.count == 1)
        #expect(rows.first?.serial.text == "3000002" && rows.first?.board.mac == board.mac && rows.first?.state == .provisioned)
        #expect(board.twin.firmwareIdentity?.serial == "3000002", "the board carries the serial that was typed, not the profile's first")
    }

    @Test func ctrlCWhileTheStationWaitsForATypedSerialEndsItWithExitCode130() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try writeStationProfile(in: folder, count: 1)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let board = try BenchBoard(index: 72)
        defer { board.stop() }
        let deadline = Deadline(.seconds(240))
        // Standard input stays open and silent: the technician never answers.
        let result = try await run(
            .path(FilePath(mlprovBinary)),
            arguments: ["station", "--profile", profile, "--ledger", ledger, "--cache", folder.appendingPathComponent("cache").path,
                        "--before", "no-reset", "--connect-attempts", "3", "--once", "--json", "--ask-serial", "--ports", board.port],
            input: .inputWriter, output: .sequence, error: .sequence
        ) { execution in
            let pid = execution.processIdentifier.value
            deadline.arm { kill(pid, SIGKILL) }
            return try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    var lines: [String] = []
                    for try await line in execution.standardOutput.strings() { lines.append(line) }
                    return lines
                }
                group.addTask {
                    var asked = false
                    for try await line in execution.standardError.strings() where !asked && line.contains("serial for the board") {
                        asked = true
                        kill(pid, SIGINT)
                    }
                    return asked ? ["asked"] : []
                }
                var all: [String] = []
                for try await lines in group { all += lines }
                return all
            }
        }
        deadline.disarm()
        let lines = result.closureResult
        #expect(lines.contains("asked"), "the question was asked")
        let code: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
        #expect(code == 130, "the open question did not keep the station from stopping: \(lines.suffix(3))")
        #expect(lines.last(where: { $0.hasPrefix("{") })?.contains("\"interrupted\":true") == true)
    }

    @Test func aFailedBoardsJSONLineSaysWhatToTry() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try writeStationProfile(in: folder, count: 1)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let missing = folder.appendingPathComponent("ttyUSB-gone").path
        let result = try await runStation(
            ["--profile", profile, "--ledger", ledger, "--cache", folder.appendingPathComponent("cache").path,
             "--before", "no-reset", "--connect-attempts", "1", "--once", "--json", "--ports", missing])
        #expect(result.exitCode == 1)
        let failed = try #require(result.lines.compactMap(jsonObject).first { $0["phase"] as? String == "failed" }, "\(result.lines)")
        #expect(failed["result"] as? String != nil)
        let help = try #require(failed["help"] as? String, "the failure's help line: \(failed)")
        #expect(!help.isEmpty)
    }

    @Test func wifiAndCommissioningRunAgainstTheTwinsSetupPageAndAPrivateBroker() async throws {
        let folder = try temporaryDirectory("station-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let serial = "3000001"
        let key = try DeviceKey.random()
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let board = try BenchBoard(index: 73)
        defer { board.stop() }
        let boardLogin = TwinMQTTIdentity(serial: serial, key: key, meter: .kmp).defaultLogin()
        let technicianPassword = try DeviceKey.random().hex
        let passwordFile = folder.appendingPathComponent("tech.pw").path
        try SecretFileForTests.write(technicianPassword, to: passwordFile)
        let wifiFile = folder.appendingPathComponent("site-wifi.txt").path
        try SecretFileForTests.write("correct horse battery", to: wifiFile)

        let (result, online) = try await withMosquitto(users: [boardLogin.username: boardLogin.password, "mlprov": technicianPassword]) { broker in
            let webUI = try await board.twin.startSetupWebUI(
                meter: .kmp, scanResults: [.init(essid: "Site", rssi: -50)], scanDelay: .milliseconds(10),
                afterSetup: .goOnline(port: broker.port, settings: TwinMQTTSettings(sampleInterval: .seconds(1))))
            let profile = folder.appendingPathComponent("station.yaml").path
            try """
                installation:
                  name: station wifi test
                firmware:
                  source: \(packageRoot.appendingPathComponent("firmware/demo").path)
                flash:
                  mode: dout
                  size: 1MB
                  freq: 40m
                  baud: 921600
                defaults:
                  meter: kmp
                  ap: true
                network:
                  ssid: Site
                  password_file: \(wifiFile)
                  mqtt:
                    host: \(broker.host)
                    port: \(broker.port)
                devices:
                  - serial: \(serial)
                    key: \(key.hex)

                """.write(toFile: profile, atomically: true, encoding: .utf8)
            let result = try await runStation(
                ["--profile", profile, "--ledger", ledger, "--cache", folder.appendingPathComponent("cache").path,
                 "--before", "no-reset", "--connect-attempts", "3", "--once", "--json", "--ports", board.port,
                 "--wifi", "--wifi-device-url", webUI.baseURL.absoluteString,
                 "--commission", "--mqtt-user", "mlprov", "--mqtt-password-file", passwordFile,
                 // The twin's setup page and MQTT side run in this test process, whose async
                 // threads a loaded machine can starve for seconds: generous, and never a
                 // speed check.
                 "--wifi-request-timeout", "90", "--reply-timeout", "90"])
            let online = webUI.onlineClient != nil
            await webUI.onlineClient?.stop()
            await webUI.stop()
            return (result, online)
        }
        #expect(result.exitCode == 0, "\(result.lines.suffix(4))")
        let phases = result.lines.compactMap(jsonObject).compactMap { $0["phase"] as? String }
        #expect(phases.contains("wifi") && phases.contains("commissioning") && phases.last == "done", "\(phases)")
        #expect(online, "the board went online after its wifi setup")
        let store = try KeyStore(path: ledger)
        #expect(try store.assignments().first?.state == .provisioned)
        #expect(try store.entry(for: try #require(MeterSerial(serial)))?.status == .commissioned)
        for line in result.lines { #expect(!line.contains(key.hex), "no key in the output") }
    }
}

/// The processes (other than this one) whose command line has `argument` as one of its words.
func processes(withArgument argument: String) -> [pid_t] {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let pid = pid_t(entry), pid != me,
              let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        return cmdline.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == argument } ? pid : nil
    }
}

/// A JSON line as a dictionary; nil for other lines.
func jsonObject(_ line: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
}

/// Kills a child process that outlives a generous bound (so a hang fails the test rather
/// than the run); disarmed when the child ended in time.
final class Deadline: Sendable {
    private let timeout: Duration
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ timeout: Duration) {
        self.timeout = timeout
    }

    func arm(_ action: @escaping @Sendable () -> Void) {
        let timeout = self.timeout
        let task = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { action() }
        }
        self.task.withLock { $0 = task }
    }

    func disarm() {
        task.withLock { $0?.cancel() }
    }
}

/// Writes a file holding one secret, mode 0600 (as the profile and --mqtt-password-file want).
enum SecretFileForTests {
    static func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
    }
}
