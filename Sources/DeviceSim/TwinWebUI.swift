import FlyingFox
import Foundation
import MeterLogger
import Synchronization

/// The twin's setup access point web UI (what a MeterLogger serves at http://192.168.4.1/
/// while unconfigured), served on 127.0.0.1 only. Start it with
/// `ESP8266Twin.startSetupWebUI(...)`; call `stop()` to end it (the server keeps the twin
/// alive while it runs; a dropped handle makes its routes answer 503).
///
/// - `GET /` redirects (302) to `/wifi/wifi_setup.tpl`, or for impulse meters to
///   `/wifi/impulse_meter_wifi_setup.tpl`; both pages are small HTML forms.
/// - `GET /wifi/wifiscan.cgi`: the first request starts a scan and answers
///   `{"result": {"inProgress": "1", "APs": []}}`, as do later ones until `scanDelay` has
///   passed since it; then `inProgress` "0" with the configured scan results.
/// - `POST /wifi/setup.cgi` (form-urlencoded): validated by `TwinWifiSettings(form:impulse:)`
///   (400 with a message when bad); on success the settings are written to the twin's flash
///   (`TwinWifiSettingsRecord`, 0x76000), the answer is a 302 to `setting_up.html`
///   (impulse: `impulse_meter_setting_up.html`), then the `AfterSetup` action runs.
public final class TwinWebUI: Sendable {
    /// One access point the simulated scan finds.
    public struct ScanResult: Sendable, Equatable {
        public var essid: String
        public var rssi: Int
        /// 0 open, 1 WEP, others WPA/WPA2 (3 = WPA2-PSK).
        public var enc: Int

        public init(essid: String, rssi: Int, enc: Int = 3) {
            self.essid = essid
            self.rssi = rssi
            self.enc = enc
        }
    }

    /// What happens after a successful setup (once its redirect is answered).
    public enum AfterSetup: Sendable {
        /// Nothing: the settings are saved and exposed; the caller decides what follows.
        case nothing
        /// The twin goes online (`ESP8266Twin.goOnline`) at the form's mqtthost on `port`;
        /// the client (or the failure) is then in `onlineClient`/`onlineError`. The caller
        /// stops the client.
        case goOnline(port: Int = 1883, settings: TwinMQTTSettings = TwinMQTTSettings())
        /// Calls the closure with the applied settings.
        case call(@Sendable (TwinWifiSettings) async -> Void)
    }

    private struct State: Sendable {
        var scanStartedAt: ContinuousClock.Instant?
        var scanRequests = 0
        var settings: TwinWifiSettings?
        var setups = 0
        var afterSetupDone = 0
        var onlineClient: TwinMQTTClient?
        var onlineError: TwinMQTTError?
        var serverTask: Task<Void, Never>?
    }

    /// The loopback port the UI listens on.
    public let port: UInt16
    /// The meter kind that selects the pages and form fields.
    public let meter: MeterKind
    public let scanResults: [ScanResult]
    public let scanDelay: Duration

    private let server: HTTPServer
    private let state: Mutex<State>

    /// `http://127.0.0.1:<port>`.
    public var baseURL: URL {
        var components = URLComponents()
        components.scheme = "http"
        components.host = "127.0.0.1"
        components.port = Int(port)
        return components.url ?? URL(fileURLWithPath: "/")
    }

    /// The settings the last successful setup applied (also saved in the twin's flash:
    /// `ESP8266Twin.wifiSettings`).
    public var settings: TwinWifiSettings? { state.withLock { $0.settings } }
    /// Successful setups so far.
    public var setupCount: Int { state.withLock { $0.setups } }
    /// Requests to wifiscan.cgi so far.
    public var scanRequestCount: Int { state.withLock { $0.scanRequests } }
    /// The client of `AfterSetup.goOnline`, once online.
    public var onlineClient: TwinMQTTClient? { state.withLock { $0.onlineClient } }
    /// Why `AfterSetup.goOnline` failed.
    public var onlineError: TwinMQTTError? { state.withLock { $0.onlineError } }

    private init(server: HTTPServer, port: UInt16, meter: MeterKind, scanResults: [ScanResult], scanDelay: Duration) {
        self.server = server
        self.port = port
        self.meter = meter
        self.scanResults = scanResults
        self.scanDelay = scanDelay
        state = Mutex(State())
    }

    /// Stops serving (bounded: open connections are cut after `timeout` seconds).
    public func stop(timeout: TimeInterval = 0.5) async {
        await server.stop(timeout: timeout)
        let task = state.withLock { state in
            defer { state.serverTask = nil }
            return state.serverTask
        }
        task?.cancel()
    }

    /// Waits (at most `timeout`) until `count` setups have completed their `AfterSetup`
    /// action; returns whether they have.
    public func waitForAfterSetup(count: Int = 1, timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ $0.afterSetupDone }) < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    // MARK: Starting

    /// How long the server waits to be listening, and for a request's bytes, in seconds.
    static let serverTimeout: TimeInterval = 60

    static func start(
        twin: ESP8266Twin, meter: MeterKind, port: UInt16, scanResults: [ScanResult], scanDelay: Duration,
        afterSetup: AfterSetup
    ) async throws(TwinWebUIError) -> TwinWebUI {
        let address: sockaddr_in
        do { address = try .inet(ip4: "127.0.0.1", port: port) } catch { throw .cannotListen("\(error)") }
        // Generous bounds, not a model of the board: the twin's server runs in its caller's
        // process, which on a loaded machine may not get to it for many seconds.
        let server = HTTPServer(address: address, timeout: Self.serverTimeout, logger: .disabled)
        let runTask = Task { _ = try? await server.run() }
        do {
            try await server.waitUntilListening(timeout: Self.serverTimeout)
        } catch {
            runTask.cancel()
            throw .cannotListen("not listening on 127.0.0.1:\(port): \(error)")
        }
        guard case .ip4(_, let boundPort)? = await server.listeningAddress else {
            await server.stop()
            runTask.cancel()
            throw .cannotListen("no IPv4 listening address")
        }
        let ui = TwinWebUI(server: server, port: boundPort, meter: meter, scanResults: scanResults, scanDelay: scanDelay)
        ui.state.withLock { $0.serverTask = runTask }
        await ui.installRoutes(twin: twin, afterSetup: afterSetup)
        return ui
    }

    private var isImpulse: Bool { meter == .impulse }
    private var setupPage: String { isImpulse ? "impulse_meter_wifi_setup.tpl" : "wifi_setup.tpl" }
    private var settingUpPage: String { isImpulse ? "impulse_meter_setting_up.html" : "setting_up.html" }

    private func installRoutes(twin: ESP8266Twin, afterSetup: AfterSetup) async {
        let setupPage = setupPage
        let settingUpPage = settingUpPage
        await server.appendRoute("GET /") { _ in Self.redirect(to: "/wifi/\(setupPage)") }
        await server.appendRoute("GET /wifi/wifi_setup.tpl") { _ in Self.html(Self.formPage(impulse: false)) }
        await server.appendRoute("GET /wifi/impulse_meter_wifi_setup.tpl") { _ in Self.html(Self.formPage(impulse: true)) }
        await server.appendRoute("GET /wifi/setting_up.html") { _ in Self.html(Self.settingUpHTML) }
        await server.appendRoute("GET /wifi/impulse_meter_setting_up.html") { _ in Self.html(Self.settingUpHTML) }
        await server.appendRoute("GET /wifi/wifiscan.cgi") { [weak self] _ in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return self.scanResponse()
        }
        await server.appendRoute("POST /wifi/setup.cgi") { [weak self] request in
            guard let self else { return HTTPResponse(statusCode: .serviceUnavailable) }
            let body = try await request.bodyData
            return self.setup(body: body, twin: twin, afterSetup: afterSetup, settingUpPage: settingUpPage)
        }
    }

    // MARK: Handlers

    private func scanResponse() -> HTTPResponse {
        let now = ContinuousClock.now
        let inProgress = state.withLock { state -> Bool in
            state.scanRequests += 1
            guard let started = state.scanStartedAt else {
                state.scanStartedAt = now
                return true
            }
            return now < started + scanDelay
        }
        let aps = inProgress ? [] : scanResults.map { ["essid": $0.essid, "rssi": String($0.rssi), "enc": String($0.enc)] }
        let json: [String: Any] = ["result": ["inProgress": inProgress ? "1" : "0", "APs": aps]]
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: data)
    }

    private func setup(body: Data, twin: ESP8266Twin, afterSetup: AfterSetup, settingUpPage: String) -> HTTPResponse {
        let settings: TwinWifiSettings
        do {
            settings = try TwinWifiSettings(form: Self.decodeForm(String(decoding: body, as: UTF8.self)), impulse: isImpulse)
            try twin.withFlash { flash throws(FlashMemoryError) in try TwinWifiSettingsRecord.write(settings, to: &flash) }
        } catch let error as TwinWebUIError {
            return Self.text(.badRequest, "\(error)\n")
        } catch {
            return Self.text(.internalServerError, "\(TwinWebUIError.flash(error as! FlashMemoryError))\n")
        }
        state.withLock {
            $0.settings = settings
            $0.setups += 1
        }
        // The device answers first, then joins the network.
        Task { [self] in
            switch afterSetup {
            case .nothing:
                break
            case .call(let body):
                await body(settings)
            case .goOnline(let port, let mqttSettings):
                do throws(TwinMQTTError) {
                    let client = try await twin.goOnline(broker: settings.mqttHost, port: port, settings: mqttSettings)
                    self.state.withLock { $0.onlineClient = client }
                } catch {
                    self.state.withLock { $0.onlineError = error }
                }
            }
            self.state.withLock { $0.afterSetupDone += 1 }
        }
        return Self.redirect(to: settingUpPage)
    }

    // MARK: Responses and pages

    private static func redirect(to location: String) -> HTTPResponse {
        HTTPResponse(statusCode: .found, headers: [.location: location, .contentType: "text/plain"], body: Data("Moved to \(location)\n".utf8))
    }

    private static func html(_ page: String) -> HTTPResponse {
        HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html"], body: Data(page.utf8))
    }

    private static func text(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "text/plain"], body: Data(message.utf8))
    }

    static let settingUpHTML = "<!DOCTYPE html><html><body><p>Setting up: the MeterLogger joins the network.</p></body></html>\n"

    static func formPage(impulse: Bool) -> String {
        var fields = [
            ("essid", "text", "Network (essid)"), ("passwd", "password", "Password"), ("mqtthost", "text", "MQTT host"),
        ]
        if impulse {
            fields += [
                ("impulse_meter_serial", "text", "Impulse meter serial"),
                ("impulse_meter_units", "text", "Meter reading ×1000"), ("impulses_per_unit", "text", "Impulses per unit"),
            ]
        }
        let inputs = fields.map { "<p><label>\($0.2) <input type=\"\($0.1)\" name=\"\($0.0)\"></label></p>" }.joined(separator: "\n")
        return """
            <!DOCTYPE html><html><head><title>MeterLogger wifi setup</title></head><body>
            <form method="post" action="setup.cgi">
            \(inputs)
            <p><input type="submit" value="Connect"></p>
            </form></body></html>

            """
    }

    /// Decodes `application/x-www-form-urlencoded` text (`+` is a space, `%XX` a byte);
    /// the first value of a name wins.
    static func decodeForm(_ text: String) -> [String: String] {
        var form: [String: String] = [:]
        for piece in text.split(separator: "&") {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0])
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            if form[name] == nil { form[name] = value }
        }
        return form
    }

    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension ESP8266Twin {
    /// Starts the setup access point's web UI on 127.0.0.1 (`port` 0 picks a free one).
    /// The meter kind comes from the booted firmware's identity unless `meter` is given;
    /// without either it throws `noFirmwareIdentity`. The scan finds `scanResults` once
    /// `scanDelay` has passed after the first wifiscan request.
    public func startSetupWebUI(
        port: UInt16 = 0, meter: MeterKind? = nil, scanResults: [TwinWebUI.ScanResult] = [],
        scanDelay: Duration = .milliseconds(200), afterSetup: TwinWebUI.AfterSetup = .nothing
    ) async throws(TwinWebUIError) -> TwinWebUI {
        guard let meter = meter ?? firmwareIdentity?.meter else { throw .noFirmwareIdentity }
        return try await TwinWebUI.start(
            twin: self, meter: meter, port: port, scanResults: scanResults, scanDelay: scanDelay, afterSetup: afterSetup)
    }
}
