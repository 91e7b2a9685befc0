import Foundation
import TestSupport
import Testing

@Suite("mlprov wifi")
struct WifiCLITests {
    static let key = "ef500c9268cf749016d26d6cbfaaf7bf"
    static let sitePassword = "site wifi pass 1"

    /// A 0600 password file holding `text` in a fresh folder.
    static func passwordFile(_ text: String, mode: Int = 0o600) throws -> String {
        let folder = try temporaryDirectory("wifi-cli")
        let path = folder.appendingPathComponent("site.pw").path
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    static func arguments(url: String, passwordFile: String, extra: [String] = [], replacing: [String: String] = [:]) -> [String] {
        var options: [(String, String)] = [
            ("--device-url", url), ("--serial", "9999999"), ("--key", key), ("--ssid", "Loppen Public"),
            ("--password-file", passwordFile), ("--mqtt-host", "10.0.0.2"),
        ]
        options = options.map { ($0.0, replacing[$0.0] ?? $0.1) }
        return ["wifi"] + options.flatMap { [$0.0, $0.1] } + extra
    }

    @Test("flag-only form against a board's setup page, JSON result")
    func deviceURL() async throws {
        let file = try Self.passwordFile(Self.sitePassword)
        let (result, requests) = try await FakeSetupServer.with(busyScans: 1) { url, log in
            (try await runProcess(mlprovBinary, Self.arguments(url: url.absoluteString, passwordFile: file, extra: ["--json"]), timeout: .seconds(60)),
             FakeSetupServer.requests(log))
        }
        #expect(result.succeeded, "\(result)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["ok"] as? Bool == true)
        #expect(json["page"] as? String == "/wifi/wifi_setup.tpl")
        #expect(json["ssid_visible"] as? Bool == true)
        #expect(json["rssi"] as? Int == -51)
        #expect(requests.last == "POST /wifi/setup.cgi application/x-www-form-urlencoded essid=Loppen+Public&passwd=site+wifi+pass+1&mqtthost=10.0.0.2")
        #expect(!result.stderr.contains(Self.sitePassword) && !result.stdout.contains(Self.sitePassword))
    }

    @Test("invalid input exits non-zero naming the field, before any request")
    func invalidInput() async throws {
        let good = try Self.passwordFile(Self.sitePassword)
        let short = try Self.passwordFile("short")
        let open = try Self.passwordFile(Self.sitePassword, mode: 0o644)
        let cases: [(replacing: [String: String], extra: [String], field: String)] = [
            (["--ssid": String(repeating: "s", count: 33)], [], "--ssid"),
            (["--ssid": ""], [], "--ssid"),
            (["--password-file": short], [], "--password-file"),
            (["--password-file": open], [], "--password-file"),
            (["--mqtt-host": "not a host"], [], "--mqtt-host"),
            (["--mqtt-host": "10.0.0.300"], [], "--mqtt-host"),
            ([:], ["--impulse-serial", "TOOLONGSERIAL", "--impulse-reading", "1", "--impulses-per-unit", "1000"], "--impulse-serial"),
            ([:], ["--impulse-serial", "EM1", "--impulse-reading", "1.2345", "--impulses-per-unit", "1000"], "--impulse-reading"),
            ([:], ["--impulse-serial", "EM1", "--impulse-reading", "1", "--impulses-per-unit", "0"], "--impulses-per-unit"),
            ([:], ["--meter", "impulse"], "--impulse-serial"),
            (["--serial": "12x"], [], "serial"),
        ]
        let requests = try await FakeSetupServer.with(busyScans: 0) { url, log in
            for item in cases {
                let result = try await runProcess(
                    mlprovBinary, Self.arguments(url: url.absoluteString, passwordFile: good, extra: item.extra, replacing: item.replacing),
                    timeout: .seconds(60))
                #expect(result.exitCode != nil && result.exitCode != 0, "\(item.field): \(result)")
                #expect(result.stderr.contains(item.field), "\(item.field): \(result)")
                #expect(!result.stderr.contains(Self.sitePassword) && !result.stderr.contains("short\n"))
            }
            return FakeSetupServer.requests(log)
        }
        #expect(requests.isEmpty)
    }

    @Test("--profile P --serial S takes the network and the impulse settings from the profile")
    func fromProfile() async throws {
        let folder = try temporaryDirectory("wifi-profile")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("rel"), withIntermediateDirectories: true)
        let yaml = """
            installation:
              name: Wifi test site
            firmware:
              release: rel
            defaults:
              meter: impulse
            network:
              ssid: Loppen Public
              password_file: site.pw
              mqtt:
                host: mqtt.example.org
            devices:
              - serial: 7100001
                key: \(Self.key)
                impulse:
                  meter_serial: "21034567"
                  meter_reading: 12345.678
                  impulses_per_unit: 1000

            """
        let profile = folder.appendingPathComponent("site.yaml").path
        try yaml.write(toFile: profile, atomically: true, encoding: .utf8)
        let pw = folder.appendingPathComponent("site.pw").path
        try (Self.sitePassword + "\n").write(toFile: pw, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pw)
        let (result, requests) = try await FakeSetupServer.with(kind: "impulse", busyScans: 0) { url, log in
            (try await runProcess(mlprovBinary, ["wifi", "--profile", profile, "--serial", "7100001", "--device-url", url.absoluteString],
                                  timeout: .seconds(60)),
             FakeSetupServer.requests(log))
        }
        #expect(result.succeeded, "\(result)")
        #expect(requests.last == "POST /wifi/setup.cgi application/x-www-form-urlencoded essid=Loppen+Public&passwd=site+wifi+pass+1"
            + "&mqtthost=mqtt.example.org&impulse_meter_serial=21034567&impulse_meter_units=12345678&impulses_per_unit=1000")
    }

    @Test("without --device-url, a board whose AP never shows up fails within the bound and restores the connection")
    func neverShowsUp() async throws {
        let fake = try FakeNmcli(failures: 1000)
        defer { fake.remove() }
        let file = try Self.passwordFile(Self.sitePassword)
        var arguments = Self.arguments(url: "", passwordFile: file, extra: ["--join-attempts", "2"])
        arguments.removeSubrange(1...2)  // no --device-url
        let result = try await runProcess("/usr/bin/env", ["PATH=\(fake.searchPath)", mlprovBinary] + arguments, timeout: .seconds(60))
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("KAM_9999999 did not come up"), "\(result)")
        #expect(fake.calls.filter { $0.contains("connection up id mlprov-setup-KAM_9999999 passwd-file FILE") }.count == 2)
        #expect(fake.calls.last == "connection up id Home:5G")
        #expect(!fake.rawCalls.contains("ef500c9268cf7490"))
    }
}
