import Foundation
import MeterLogger
import Provisioning
import TestSupport
import Testing

@Suite("Wifi setup through the board's setup page")
struct WifiSetupClientTests {
    static let password = "s3cret pass&word=1"

    static func input(impulse: ImpulseMeterSetup? = nil, ssid: String = "Loppen Public") throws -> WifiSetupInput {
        try WifiSetupInput(ssid: ssid, password: WifiPassword(password)!, mqttHost: "mqtt.example.org", impulse: impulse)
    }

    static func failure(_ client: WifiSetupClient, _ input: WifiSetupInput) async -> WifiSetupError? {
        do {
            _ = try await client.run(input)
            return nil
        } catch {
            return error
        }
    }

    @Test("a Kamstrup board: page detected from the redirect, scan polled until done, form posted percent-encoded")
    func kamstrup() async throws {
        let (report, requests) = try await FakeSetupServer.with(kind: "kamstrup", busyScans: 2) { url, log in
            let client = WifiSetupClient(baseURL: url, pollInterval: .milliseconds(20))
            return (try await client.run(try Self.input()), FakeSetupServer.requests(log))
        }
        #expect(report.page == .kamstrup)
        #expect(report.setupPagePath == "/wifi/wifi_setup.tpl")
        #expect(report.ssidVisible)
        #expect(report.rssi == -51)
        #expect(report.warnings.isEmpty)
        #expect(report.replyStatus == 302)
        #expect(report.replyPath == "/wifi/setting_up.html")
        #expect(requests == [
            "GET /", "GET /wifi/wifiscan.cgi", "GET /wifi/wifiscan.cgi", "GET /wifi/wifiscan.cgi",
            "POST /wifi/setup.cgi application/x-www-form-urlencoded essid=Loppen+Public&passwd=s3cret+pass%26word%3D1&mqtthost=mqtt.example.org",
        ])
    }

    @Test("an impulse board gets the impulse fields, the reading ×1000")
    func impulse() async throws {
        let setup = ImpulseMeterSetup(meterSerial: "EM-42", meterReading: MeterReading(kWh: "12345.6")!, impulsesPerUnit: 1000)
        let (report, requests) = try await FakeSetupServer.with(kind: "impulse", busyScans: 0) { url, log in
            let client = WifiSetupClient(baseURL: url, pollInterval: .milliseconds(20))
            return (try await client.run(try Self.input(impulse: setup)), FakeSetupServer.requests(log))
        }
        #expect(report.page == .impulse)
        #expect(report.replyPath == "/wifi/impulse_meter_setting_up.html")
        #expect(requests.last == "POST /wifi/setup.cgi application/x-www-form-urlencoded "
            + "essid=Loppen+Public&passwd=s3cret+pass%26word%3D1&mqtthost=mqtt.example.org"
            + "&impulse_meter_serial=EM-42&impulse_meter_units=12345600&impulses_per_unit=1000")
    }

    @Test("an impulse board without impulse settings is refused before posting")
    func impulseWithoutSettings() async throws {
        let (error, requests) = try await FakeSetupServer.with(kind: "impulse", busyScans: 0) { url, log in
            let client = WifiSetupClient(baseURL: url, pollInterval: .milliseconds(20))
            return (await Self.failure(client, try Self.input()), FakeSetupServer.requests(log))
        }
        guard case .impulseSettingsMissing = try #require(error) else { Issue.record("got \(String(describing: error))"); return }
        #expect(!requests.contains { $0.hasPrefix("POST") })
    }

    @Test("a site SSID the board does not see is a warning, not a failure")
    func ssidNotVisible() async throws {
        let report = try await FakeSetupServer.with(busyScans: 0) { url, _ in
            try await WifiSetupClient(baseURL: url, pollInterval: .milliseconds(20)).run(try Self.input(ssid: "Elsewhere"))
        }
        #expect(!report.ssidVisible)
        #expect(report.rssi == nil)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("Elsewhere") == true)
    }

    @Test("a scan that never finishes fails within the bound")
    func scanTimeout() async throws {
        let error = try await FakeSetupServer.with(busyScans: 1_000_000) { url, _ in
            let client = WifiSetupClient(baseURL: url, scanTimeout: .milliseconds(300), pollInterval: .milliseconds(50))
            return await Self.failure(client, try Self.input())
        }
        guard case .scanTimedOut = try #require(error) else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("a refused form names the status; the error never holds the password")
    func refused() async throws {
        let error = try await FakeSetupServer.with(busyScans: 0, postStatus: 500) { url, _ in
            await Self.failure(WifiSetupClient(baseURL: url, pollInterval: .milliseconds(20)), try Self.input())
        }
        let failure = try #require(error)
        guard case .unexpectedReply(_, let status, _) = failure else { Issue.record("got \(failure)"); return }
        #expect(status == 500)
        #expect(failure.description.contains("HTTP 500"))
        #expect(!failure.description.contains(Self.password))
    }

    @Test("an unreachable board names the URL")
    func unreachable() async throws {
        let client = WifiSetupClient(baseURL: URL(string: "http://127.0.0.1:9")!, requestTimeout: 3)
        let error = try #require(await Self.failure(client, try Self.input()))
        guard case .unreachable(let url, reason: _) = error else { Issue.record("got \(error)"); return }
        #expect(url.hasPrefix("http://127.0.0.1:9/"))
        #expect(error.description.contains("http://127.0.0.1:9/"))
    }
}
