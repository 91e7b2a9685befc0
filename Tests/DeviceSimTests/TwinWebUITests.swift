import DeviceSim
import Foundation
import MeterLogger
import Testing
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Keeps redirects as answers (the tests look at the 302 itself).
private final class KeepRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// A small HTTP client over real loopback sockets; every request is bounded by 5 s.
private struct WebClient {
    let base: URL
    let session: URLSession

    init(base: URL) {
        self.base = base
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60  // generous: the full suite can keep the 2-core pool busy for seconds
        configuration.timeoutIntervalForResource = 120
        session = URLSession(configuration: configuration, delegate: KeepRedirects(), delegateQueue: nil)
    }

    func get(_ path: String) async throws -> (status: Int, headers: HTTPURLResponse, body: Data) {
        let (data, response) = try await session.data(for: URLRequest(url: URL(string: path, relativeTo: base)!))
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http, data)
    }

    func postForm(_ path: String, _ body: String) async throws -> (status: Int, headers: HTTPURLResponse, body: Data) {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http, data)
    }
}

@Suite("TwinWebUI: the setup access point's web UI")
struct TwinWebUITests {
    @Test("GET / redirects to the setup page of the meter kind (KMP given, impulse booted)")
    func redirectPerMeterKind() async throws {
        let kmpTwin = ESP8266Twin()
        let kmp = try await kmpTwin.startSetupWebUI(meter: .kmp)
        let impulseTwin = try await TwinMQTTOnlineTests.bootedTwin(serial: "7777777", meter: .impulse)
        defer { impulseTwin.stop() }
        #expect(impulseTwin.firmwareIdentity?.meter == .impulse)
        let impulse = try await impulseTwin.startSetupWebUI()
        #expect(impulse.meter == .impulse)
        #expect(kmp.port != 0 && impulse.port != 0 && kmp.port != impulse.port)

        let root = try await WebClient(base: kmp.baseURL).get("/")
        #expect(root.status == 302)
        #expect(root.headers.value(forHTTPHeaderField: "Location") == "/wifi/wifi_setup.tpl")
        let page = try await WebClient(base: kmp.baseURL).get("/wifi/wifi_setup.tpl")
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("name=\"essid\"") && html.contains("name=\"mqtthost\"") && !html.contains("impulses_per_unit"))

        let impulseRoot = try await WebClient(base: impulse.baseURL).get("/")
        #expect(impulseRoot.status == 302)
        #expect(impulseRoot.headers.value(forHTTPHeaderField: "Location") == "/wifi/impulse_meter_wifi_setup.tpl")
        let impulsePage = try await WebClient(base: impulse.baseURL).get("/wifi/impulse_meter_wifi_setup.tpl")
        #expect(String(decoding: impulsePage.body, as: UTF8.self).contains("name=\"impulses_per_unit\""))
        await kmp.stop()
        await impulse.stop()
    }

    @Test("a twin without firmware identity and no meter kind given has no web UI")
    func noIdentity() async throws {
        await #expect(throws: TwinWebUIError.noFirmwareIdentity) {
            _ = try await ESP8266Twin().startSetupWebUI()
        }
    }

    @Test("wifiscan.cgi is in progress first, then lists the configured access points")
    func wifiscan() async throws {
        let twin = ESP8266Twin()
        let ui = try await twin.startSetupWebUI(
            meter: .kmp, scanResults: [.init(essid: "Loppen Public", rssi: -51, enc: 3), .init(essid: "Open Cafe", rssi: -80, enc: 0)],
            scanDelay: .milliseconds(300))
        let client = WebClient(base: ui.baseURL)

        func scan() async throws -> (inProgress: String, aps: [[String: String]]) {
            let answer = try await client.get("/wifi/wifiscan.cgi")
            #expect(answer.status == 200)
            #expect(answer.headers.value(forHTTPHeaderField: "Content-Type") == "application/json")
            let json = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
            let result = try #require(json["result"] as? [String: Any])
            return (try #require(result["inProgress"] as? String), try #require(result["APs"] as? [[String: String]]))
        }

        let first = try await scan()
        #expect(first.inProgress == "1")
        #expect(first.aps.isEmpty)
        var last = first
        let deadline = ContinuousClock.now + .seconds(60)
        while last.inProgress == "1", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            last = try await scan()
        }
        #expect(last.inProgress == "0")
        #expect(last.aps == [["essid": "Loppen Public", "rssi": "-51", "enc": "3"], ["essid": "Open Cafe", "rssi": "-80", "enc": "0"]])
        #expect(ui.scanRequestCount >= 2)
        await ui.stop()
    }

    @Test("setup.cgi saves the settings to flash at 0x76000 and redirects to setting_up.html")
    func setupStoresSettings() async throws {
        let twin = ESP8266Twin()
        // Something in the config sector before: the write must erase first.
        try twin.withFlash { flash throws(FlashMemoryError) in try flash.program([UInt8](repeating: 0x00, count: 64), at: 0x76000) }
        let ui = try await twin.startSetupWebUI(meter: .kmp)
        let answer = try await WebClient(base: ui.baseURL).postForm(
            "/wifi/setup.cgi", "essid=Loppen+Public&passwd=s%40cret%26pass&mqtthost=10.0.0.5")
        #expect(answer.status == 302)
        #expect(answer.headers.value(forHTTPHeaderField: "Location") == "setting_up.html")

        let raw = twin.flash.read(0x76000..<0x77000)
        #expect(Array(raw[0..<4]) == Array("MLWS".utf8))
        let saved = try #require(TwinWifiSettingsRecord.decode(raw))
        #expect(saved.essid == "Loppen Public")
        #expect(saved.revealPassword() == "s@cret&pass")
        #expect(saved.mqttHost == "10.0.0.5")
        #expect(saved.impulse == nil)
        #expect(twin.wifiSettings == saved)
        #expect(ui.settings == saved)
        #expect(!saved.description.contains("s@cret"))
        #expect(!"\(saved)".contains("cret&pass"))
        await ui.stop()
    }

    @Test("impulse setup stores the reading divided by 1000 with 3 decimals and runs the after-setup hook")
    func impulseSetup() async throws {
        let twin = ESP8266Twin()
        let seen = SeenSettings()
        let ui = try await twin.startSetupWebUI(meter: .impulse, afterSetup: .call { await seen.set($0) })
        let client = WebClient(base: ui.baseURL)
        let answer = try await client.postForm(
            "/wifi/setup.cgi",
            "essid=Home&passwd=password123&mqtthost=broker.local&impulse_meter_serial=123456789012&impulse_meter_units=12345&impulses_per_unit=1000")
        #expect(answer.status == 302)
        #expect(answer.headers.value(forHTTPHeaderField: "Location") == "impulse_meter_setting_up.html")
        let saved = try #require(twin.wifiSettings)
        #expect(saved.impulse == TwinWifiSettings.Impulse(serial: "123456789012", units: "12.345", impulsesPerUnit: "1000"))
        #expect(await ui.waitForAfterSetup(timeout: .seconds(60)))
        #expect(await seen.value == saved)

        _ = try await client.postForm(
            "/wifi/setup.cgi", "essid=Home&mqtthost=h&impulse_meter_serial=1&impulse_meter_units=7&impulses_per_unit=1")
        #expect(twin.wifiSettings?.impulse?.units == "0.007")
        #expect(twin.wifiSettings?.revealPassword() == "")
        await ui.stop()
    }

    @Test("after setup the twin goes online at the form's mqtthost (port from the after-setup action)")
    func goesOnlineAfterSetup() async throws {
        let twin = try await TwinMQTTOnlineTests.bootedTwin(serial: "9999999", meter: .kmp)
        defer { twin.stop() }
        try await withMosquitto(users: ["9999999": "ef500c9268cf7490"]) { broker in
            let ui = try await twin.startSetupWebUI(afterSetup: .goOnline(port: broker.port, settings: TwinMQTTSettings(sampleInterval: nil)))
            let answer = try await WebClient(base: ui.baseURL).postForm(
                "/wifi/setup.cgi", "essid=Net&passwd=password123&mqtthost=\(broker.host)")
            #expect(answer.status == 302)
            #expect(await ui.waitForAfterSetup(timeout: .seconds(60)))
            #expect(ui.onlineError == nil)
            let online = try #require(ui.onlineClient)
            #expect(online.isOnline)
            #expect(online.identity.serial == "9999999")
            await online.stop()
            await ui.stop()
        }
    }

    @Test("a bad form gets 400 with a message and saves nothing")
    func badForm() async throws {
        let twin = ESP8266Twin()
        let ui = try await twin.startSetupWebUI(meter: .kmp)
        let client = WebClient(base: ui.baseURL)
        let missing = try await client.postForm("/wifi/setup.cgi", "passwd=password123&mqtthost=10.0.0.5")
        #expect(missing.status == 400)
        #expect(String(decoding: missing.body, as: UTF8.self).contains("missing essid"))
        #expect(twin.wifiSettings == nil)
        #expect(ui.setupCount == 0)
        await ui.stop()

        let impulseUI = try await ESP8266Twin().startSetupWebUI(meter: .impulse)
        let impulseClient = WebClient(base: impulseUI.baseURL)
        let longSerial = try await impulseClient.postForm(
            "/wifi/setup.cgi", "essid=a&mqtthost=h&impulse_meter_serial=1234567890123&impulse_meter_units=1&impulses_per_unit=1")
        #expect(longSerial.status == 400)
        let notANumber = try await impulseClient.postForm(
            "/wifi/setup.cgi", "essid=a&mqtthost=h&impulse_meter_serial=1&impulse_meter_units=12.5&impulses_per_unit=1")
        #expect(notANumber.status == 400)
        #expect(String(decoding: notANumber.body, as: UTF8.self).contains("impulse_meter_units"))
        await impulseUI.stop()
    }

    @Test("the record format round-trips and erased flash holds no settings")
    func recordFormat() {
        let settings = TwinWifiSettings(
            essid: "Net", password: "pw-12345678", mqttHost: "h",
            impulse: .init(serial: "1", units: "1.000", impulsesPerUnit: "100"))
        var record = TwinWifiSettingsRecord.encode(settings)
        #expect(TwinWifiSettingsRecord.decode(record) == settings)
        record[9] ^= 0x01
        #expect(TwinWifiSettingsRecord.decode(record) == nil)
        #expect(ESP8266Twin().wifiSettings == nil)
    }
}

private actor SeenSettings {
    var value: TwinWifiSettings?
    func set(_ settings: TwinWifiSettings) { value = settings }
}
