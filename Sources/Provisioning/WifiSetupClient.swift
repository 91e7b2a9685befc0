import Basics
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MeterLogger

/// What the board's setup page showed and did.
public struct WifiSetupReport: Sendable, Hashable, Codable {
    public enum PageKind: String, Sendable, Codable {
        /// `/wifi/wifi_setup.tpl`: a Kamstrup meter's form.
        case kamstrup
        /// `/wifi/impulse_meter_wifi_setup.tpl`: an impulse meter's form.
        case impulse
    }

    /// One access point from the board's scan.
    public struct AccessPoint: Sendable, Hashable, Codable {
        public var essid: String
        public var rssi: Int?
        public var encryption: String
    }

    public var deviceURL: String
    public var page: PageKind
    /// The setup page's path as `GET /` redirected to it.
    public var setupPagePath: String
    public var ssid: String
    /// True when the board's scan saw the site's SSID.
    public var ssidVisible: Bool
    /// The strongest RSSI seen for the site's SSID.
    public var rssi: Int?
    public var accessPoints: [AccessPoint]
    /// The path the form's reply led to (`/wifi/setting_up.html`).
    public var replyPath: String
    public var replyStatus: Int
    /// Warnings for the user (the SSID not visible, an impulse page without impulse settings…).
    public var warnings: [String]
}

/// Why the setup page could not be used. Never contains a password.
public enum WifiSetupError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case unreachable(url: String, reason: String)
    case unexpectedReply(url: String, status: Int, detail: String)
    case scanTimedOut(url: String, seconds: Int)
    case malformedScan(url: String, detail: String)
    /// The page is an impulse meter's form but no impulse settings were given.
    case impulseSettingsMissing(url: String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): "cannot reach the board's setup page at \(url): \(reason)"
        case .unexpectedReply(let url, let status, let detail): "unexpected reply from \(url): HTTP \(status)\(detail.isEmpty ? "" : " (\(detail))")"
        case .scanTimedOut(let url, let seconds): "the board's wifi scan at \(url) was still in progress after \(seconds) s"
        case .malformedScan(let url, let detail): "the board's wifi scan at \(url) is not understood: \(detail)"
        case .impulseSettingsMissing(let url):
            "the board at \(url) shows the impulse meter form, but no impulse settings were given"
        }
    }

    public var help: String? {
        switch self {
        case .unreachable: "is the laptop on the board's setup access point (or is the twin running)? The board serves http://192.168.4.1/ while its AP is up"
        case .unexpectedReply: "is this a MeterLogger board's setup page? Power-cycle the board to reopen its setup access point"
        case .scanTimedOut: "retry; the board scans once each time the page is loaded"
        case .malformedScan: "is this a MeterLogger board's setup page?"
        case .impulseSettingsMissing: "give --impulse-serial, --impulse-reading and --impulses-per-unit, or the device's impulse section in the profile"
        }
    }
}

/// Talks to a MeterLogger board's setup web UI (docs/meterlogger-firmware.md, "E. Setup web UI").
public struct WifiSetupClient: Sendable {
    public let baseURL: URL
    /// How long the board may scan.
    public var scanTimeout: Duration
    public var pollInterval: Duration
    public var requestTimeout: TimeInterval

    public init(baseURL: URL, scanTimeout: Duration = .seconds(30), pollInterval: Duration = .milliseconds(500), requestTimeout: TimeInterval = 10) {
        self.baseURL = baseURL
        self.scanTimeout = scanTimeout
        self.pollInterval = pollInterval
        self.requestTimeout = requestTimeout
    }

    /// Loads the setup page, waits for the scan, posts `input`, and checks the reply.
    /// `progress` gets one line per step.
    public func run(_ input: WifiSetupInput, progress: @Sendable (String) -> Void = { _ in }) async throws(WifiSetupError) -> WifiSetupReport {
        let session = Self.makeSession(timeout: requestTimeout)
        defer { session.finishTasksAndInvalidate() }

        let (kind, pagePath) = try await detectPage(session)
        progress("Setup page: \(pagePath) (\(kind == .impulse ? "impulse meter" : "Kamstrup meter"))")
        var warnings: [String] = []
        if kind == .impulse, input.impulse == nil { throw .impulseSettingsMissing(url: baseURL.absoluteString) }
        if kind == .kamstrup, input.impulse != nil {
            warnings.append("the board shows the Kamstrup form: the impulse settings are not sent")
        }

        let aps = try await scan(session)
        let matches = aps.filter { $0.essid == input.ssid }
        let rssi = matches.compactMap(\.rssi).max()
        if matches.isEmpty {
            let warning = "the board does not see \(input.ssid) (it sees \(aps.count) other network\(aps.count == 1 ? "" : "s")): it may not be able to join"
            warnings.append(warning)
            progress("warning: \(warning)")
        } else {
            progress("The board sees \(input.ssid)\(rssi.map { " at \($0) dBm" } ?? "")")
        }

        var fields = input.formFields
        if kind == .kamstrup { fields = Array(fields.prefix(3)) }
        let (status, replyPath) = try await post(session, fields: fields)
        progress("Settings sent; the board answered \(status) → \(replyPath)")
        return WifiSetupReport(
            deviceURL: baseURL.absoluteString, page: kind, setupPagePath: pagePath, ssid: input.ssid,
            ssidVisible: !matches.isEmpty, rssi: rssi, accessPoints: aps, replyPath: replyPath, replyStatus: status,
            warnings: warnings)
    }

    // MARK: Steps

    static let kamstrupPage = "/wifi/wifi_setup.tpl"
    static let impulsePage = "/wifi/impulse_meter_wifi_setup.tpl"

    /// `path` on the device, below the base URL's own path (without its trailing slashes).
    func url(_ path: String) -> URL {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            return baseURL.appendingPathComponent(path)
        }
        var base = components.path
        while base.hasSuffix("/") { base.removeLast() }
        components.path = base + path
        return components.url ?? baseURL.appendingPathComponent(path)
    }

    /// `GET /` and the redirect's target (read from Location, or from the final URL when
    /// the redirect was followed).
    func detectPage(_ session: URLSession) async throws(WifiSetupError) -> (WifiSetupReport.PageKind, String) {
        let target = url("/")
        let (_, response) = try await send(session, URLRequest(url: target))
        let path: String
        if (300..<400).contains(response.statusCode) {
            guard let location = response.value(forHTTPHeaderField: "Location") else {
                throw .unexpectedReply(url: target.absoluteString, status: response.statusCode, detail: "a redirect without Location")
            }
            path = URL(string: location, relativeTo: target)?.path ?? location
        } else if (200..<300).contains(response.statusCode), let final = response.url {
            path = final.path
        } else {
            throw .unexpectedReply(url: target.absoluteString, status: response.statusCode, detail: "expected a redirect to the setup page")
        }
        switch path {
        case Self.impulsePage: return (.impulse, path)
        case Self.kamstrupPage: return (.kamstrup, path)
        default:
            throw .unexpectedReply(url: target.absoluteString, status: response.statusCode, detail: "it led to \(path), not a setup page")
        }
    }

    /// Polls `wifiscan.cgi` until `inProgress` is "0", within `scanTimeout`.
    func scan(_ session: URLSession) async throws(WifiSetupError) -> [WifiSetupReport.AccessPoint] {
        let target = url("/wifi/wifiscan.cgi")
        let clock = ContinuousClock()
        let deadline = clock.now + scanTimeout
        while true {
            let (data, response) = try await send(session, URLRequest(url: target))
            guard response.statusCode == 200 else {
                throw .unexpectedReply(url: target.absoluteString, status: response.statusCode, detail: "expected the scan's JSON")
            }
            let result: ScanReply.Result
            do {
                result = try JSONDecoder().decode(ScanReply.self, from: data).result
            } catch {
                throw .malformedScan(url: target.absoluteString, detail: "\(error)")
            }
            if result.inProgress.value == "0" {
                return (result.APs ?? []).map {
                    WifiSetupReport.AccessPoint(essid: $0.essid, rssi: $0.rssi.flatMap { Int($0.value) }, encryption: $0.enc?.value ?? "")
                }
            }
            if clock.now >= deadline {
                throw .scanTimedOut(url: target.absoluteString, seconds: Int(scanTimeout.components.seconds))
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// `POST setup.cgi`; the board answers with a redirect to its "setting up" page.
    func post(_ session: URLSession, fields: [(name: String, value: String)]) async throws(WifiSetupError) -> (Int, String) {
        let target = url("/wifi/setup.cgi")
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(WifiSetupForm.encode(fields).utf8)
        let (_, response) = try await send(session, request)
        let path: String
        if (300..<400).contains(response.statusCode), let location = response.value(forHTTPHeaderField: "Location") {
            path = URL(string: location, relativeTo: target)?.path ?? location
        } else if (200..<300).contains(response.statusCode), let final = response.url {
            path = final.path
        } else {
            throw .unexpectedReply(url: target.absoluteString, status: response.statusCode, detail: "the settings were not accepted")
        }
        guard path.hasSuffix("setting_up.html") else {
            throw .unexpectedReply(url: target.absoluteString, status: response.statusCode, detail: "it led to \(path), not the setting-up page")
        }
        return (response.statusCode, path)
    }

    private func send(_ session: URLSession, _ request: URLRequest) async throws(WifiSetupError) -> (Data, HTTPURLResponse) {
        let target = request.url?.absoluteString ?? baseURL.absoluteString
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw .unreachable(url: target, reason: (error as NSError).localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else {
            throw .unreachable(url: target, reason: "not an HTTP reply")
        }
        return (data, http)
    }

    static func makeSession(timeout: TimeInterval) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 2
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }
}

/// Keeps redirects as replies: the board's redirects say which page and whether it took
/// the settings.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// `{"result": {"inProgress": "0", "APs": [{"essid": …, "rssi": "-51", "enc": "3"}]}}`;
/// numbers are accepted as strings or as numbers.
struct ScanReply: Decodable {
    struct Result: Decodable {
        var inProgress: Loose
        var APs: [AP]?
    }

    struct AP: Decodable {
        var essid: String
        var rssi: Loose?
        var enc: Loose?
    }

    /// A JSON string or number, as text.
    struct Loose: Decodable {
        var value: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { value = text } else if let number = try? container.decode(Int.self) {
                value = String(number)
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a string or a number")
            }
        }
    }

    var result: Result
}
