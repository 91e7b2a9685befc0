import Foundation
import Provisioning
import TestSupport
import Testing

@Suite("Joining a board's setup access point with nmcli")
struct WifiAccessPointJoinerTests {
    static let ssid = "KAM_9999999"
    static let apPassword = "ef500c9268cf7490"

    static func joiner(_ fake: FakeNmcli, attempts: Int = 4) -> WifiAccessPointJoiner {
        WifiAccessPointJoiner(searchPath: fake.searchPath, attempts: attempts, initialDelay: .milliseconds(10), maxDelay: .milliseconds(40))
    }

    @Test("retries while the AP comes up, keeps the password off argv, restores the previous connection")
    func joinsAndRestores() async throws {
        let fake = try FakeNmcli(failures: 2)
        defer { fake.remove() }
        let during = try await Self.joiner(fake).withAccessPoint(ssid: Self.ssid, password: Self.apPassword) {
            fake.file("active") ?? ""
        }
        #expect(during.hasPrefix("mlprov-setup-KAM_9999999:wlan0"))
        #expect(fake.calls == FakeNmcli.expectedCalls(ssid: Self.ssid, failures: 2))
        #expect(!fake.rawCalls.contains(Self.apPassword))
        #expect(fake.file("passwd.copy") == "802-11-wireless-security.psk:\(Self.apPassword)\n")
        #expect(fake.file("passwd.mode") == "600\n")
        let passwordFile = try #require(fake.passwordFilePath)
        #expect(!FileManager.default.fileExists(atPath: passwordFile))
    }

    @Test("a failure in between still restores the previous connection")
    func restoresOnFailure() async throws {
        struct Boom: Error {}
        let fake = try FakeNmcli(failures: 0)
        defer { fake.remove() }
        await #expect(throws: Boom.self) {
            try await Self.joiner(fake).withAccessPoint(ssid: Self.ssid, password: Self.apPassword) { () async throws -> Int in throw Boom() }
        }
        #expect(fake.calls == FakeNmcli.expectedCalls(ssid: Self.ssid, failures: 0))
    }

    @Test("a board that never shows up fails within the bound with a clear error, and the laptop's connection comes back")
    func neverShowsUp() async throws {
        let fake = try FakeNmcli(failures: 1000)
        defer { fake.remove() }
        var ran = false
        do {
            _ = try await Self.joiner(fake, attempts: 3).withAccessPoint(ssid: Self.ssid, password: Self.apPassword) { ran = true }
            Issue.record("expected a failure")
        } catch let error as WifiJoinError {
            guard case .accessPointNotFound(let ssid, let attempts, _, let last) = error else { Issue.record("got \(error)"); return }
            #expect(ssid == Self.ssid)
            #expect(attempts == 3)
            #expect(last.contains("No network with SSID"))
            #expect(error.description.contains("KAM_9999999 did not come up"))
        }
        #expect(!ran)
        let name = "mlprov-setup-\(Self.ssid)"
        #expect(fake.calls == [
            "-t -f NAME,DEVICE connection show --active", "connection delete id \(name)",
            "connection add type wifi con-name \(name) ifname * ssid \(Self.ssid) autoconnect no wifi-sec.key-mgmt wpa-psk wifi-sec.psk-flags 2",
        ] + Array(repeating: "--wait 20 connection up id \(name) passwd-file FILE", count: 3) + [
            "connection down id \(name)", "connection delete id \(name)", "-t -f NAME,DEVICE connection show --active",
            "connection up id Home:5G",
        ])
        let passwordFile = try #require(fake.passwordFilePath)
        #expect(!FileManager.default.fileExists(atPath: passwordFile))
    }

    @Test("no nmcli on PATH is a clear error")
    func missing() async throws {
        let folder = try temporaryDirectory("no-nmcli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let joiner = WifiAccessPointJoiner(searchPath: folder.path)
        await #expect(throws: WifiJoinError.nmcliMissing(searchPath: folder.path)) {
            try await joiner.withAccessPoint(ssid: Self.ssid, password: Self.apPassword) { 1 }
        }
    }
}
