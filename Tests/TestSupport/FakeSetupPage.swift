import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A stand-in for a board's setup web UI: a small Python http.server on a free loopback port.
/// It logs each request (method, path, content type, body) to `log`, one line each.
public enum FakeSetupServer {
    public static let script = #"""
    import sys, json, http.server
    kind, log, busy_scans, post_status = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    state = {"scans": 0}
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass
        def record(self, line):
            with open(log, "a") as f:
                f.write(line + "\n")
        def reply(self, code, body=b"", headers=()):
            self.send_response(code)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            self.record("GET " + self.path)
            if self.path == "/":
                page = "/wifi/impulse_meter_wifi_setup.tpl" if kind == "impulse" else "/wifi/wifi_setup.tpl"
                self.reply(302, headers=[("Location", page)])
            elif self.path == "/wifi/wifiscan.cgi":
                state["scans"] += 1
                done = state["scans"] > busy_scans
                aps = [{"essid": "Loppen Public", "rssi": "-51", "enc": "3"}, {"essid": "Loppen Public", "rssi": "-70", "enc": "3"},
                       {"essid": "Neighbour", "rssi": "-80", "enc": "0"}] if done else []
                body = json.dumps({"result": {"inProgress": "0" if done else "1", "APs": aps}}).encode()
                self.reply(200, body, [("Content-Type", "application/json")])
            elif self.path.endswith(".tpl") or self.path.endswith(".html"):
                self.reply(200, b"<html>setup</html>", [("Content-Type", "text/html")])
            else:
                self.reply(404)
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            self.record("POST " + self.path + " " + self.headers.get("Content-Type", "") + " " + body)
            if self.path != "/wifi/setup.cgi":
                self.reply(404)
            elif post_status == 302:
                page = "/wifi/impulse_meter_setting_up.html" if kind == "impulse" else "/wifi/setting_up.html"
                self.reply(302, headers=[("Location", page)])
            else:
                self.reply(post_status, b"no")
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    /// Runs the server for `body` with its base URL and the request log's URL.
    public static func with<T: Sendable>(
        kind: String = "kamstrup", busyScans: Int = 2, postStatus: Int = 302,
        _ body: @Sendable (URL, URL) async throws -> T
    ) async throws -> T {
        let folder = try temporaryDirectory("wifi-server")
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("requests.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let result = try await run(
            .path(FilePath("/usr/bin/env")),
            arguments: Arguments(["python3", "-u", "-c", script, kind, log.path, String(busyScans), String(postStatus)]),
            input: .none, output: .sequence, error: .discarded
        ) { execution in
            var lines = execution.standardOutput.strings().makeAsyncIterator()
            guard let first = try await lines.next(), let port = Int(first.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                try? execution.send(signal: .kill)
                throw ServerStartError()
            }
            let value: T
            do {
                value = try await body(URL(string: "http://127.0.0.1:\(port)")!, log)
            } catch {
                try? execution.send(signal: .kill)
                throw error
            }
            try? execution.send(signal: .kill)
            while try await lines.next() != nil {}
            return value
        }
        return result.closureResult
    }

    public static func requests(_ log: URL) -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    struct ServerStartError: Error {}
}

/// A recording fake `nmcli` in its own folder, to be put first on PATH. It appends each
/// call's arguments to `calls.log`, answers `connection show --active` from the file
/// `active`, fails `connection up` of the setup profile as often as the file `failures`
/// says, and copies the password file it is given (contents and mode) for inspection.
public struct FakeNmcli {
    public let folder: URL

    public init(failures: Int, active: String = "Home\\:5G:wlan0\nWired connection 1:eth0\nlo:lo\n") throws {
        folder = try temporaryDirectory("fake-nmcli")
        let script = #"""
        #!/bin/sh
        dir=$(dirname "$0")
        echo "$*" >> "$dir/calls.log"
        for last; do :; done
        case "$*" in
          "-t -f NAME,DEVICE connection show --active")
            cat "$dir/active"; exit 0 ;;
          *"connection up id mlprov-setup-"*)
            n=$(cat "$dir/failures")
            if [ "$n" -gt 0 ]; then
              echo $((n - 1)) > "$dir/failures"
              echo "Error: Connection activation failed: No network with SSID found." >&2
              exit 4
            fi
            stat -c %a "$last" > "$dir/passwd.mode"
            cat "$last" > "$dir/passwd.copy"
            printf '%s:wlan0\nWired connection 1:eth0\n' "$6" > "$dir/active"
            exit 0 ;;
          "connection down id "*)
            printf 'Wired connection 1:eth0\n' > "$dir/active"; exit 0 ;;
          "connection delete id "*) exit 0 ;;
          "connection add "*) echo "Connection successfully added."; exit 0 ;;
          "connection up id "*) exit 0 ;;
        esac
        echo "fake nmcli: unexpected call" >&2
        exit 2
        """#
        let path = folder.appendingPathComponent("nmcli").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        try active.write(to: folder.appendingPathComponent("active"), atomically: true, encoding: .utf8)
        try "\(failures)\n".write(to: folder.appendingPathComponent("failures"), atomically: true, encoding: .utf8)
    }

    /// PATH with this folder first.
    public var searchPath: String { folder.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") }

    /// The calls so far, the password file's path replaced by FILE.
    public var calls: [String] {
        let text = (try? String(contentsOf: folder.appendingPathComponent("calls.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if let index = words.firstIndex(of: "passwd-file"), index + 1 < words.count { words[index + 1] = "FILE" }
            return words.joined(separator: " ")
        }
    }

    public var rawCalls: String { (try? String(contentsOf: folder.appendingPathComponent("calls.log"), encoding: .utf8)) ?? "" }

    /// The password file's path as given to nmcli.
    public var passwordFilePath: String? {
        rawCalls.split(separator: "\n").lazy.compactMap { line -> String? in
            let words = line.split(separator: " ").map(String.init)
            guard let index = words.firstIndex(of: "passwd-file"), index + 1 < words.count else { return nil }
            return words[index + 1]
        }.first
    }

    public func file(_ name: String) -> String? {
        try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    public static func expectedCalls(ssid: String, failures: Int, restore: [String] = ["Home:5G"]) -> [String] {
        let name = "mlprov-setup-\(ssid)"
        return ["-t -f NAME,DEVICE connection show --active", "connection delete id \(name)",
                "connection add type wifi con-name \(name) ifname * ssid \(ssid) autoconnect no wifi-sec.key-mgmt wpa-psk wifi-sec.psk-flags 2"]
            + Array(repeating: "--wait 20 connection up id \(name) passwd-file FILE", count: failures + 1)
            + ["connection down id \(name)", "connection delete id \(name)", "-t -f NAME,DEVICE connection show --active"]
            + restore.map { "connection up id \($0)" }
    }
}
