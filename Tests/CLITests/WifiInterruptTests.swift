import Foundation
import Subprocess
import Testing
import TestSupport
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Ctrl-C while `mlprov wifi` waits for the board's AP: the laptop's connection comes back.
@Suite("mlprov wifi interrupted")
struct WifiInterruptTests {
    @Test("SIGINT while joining the board's AP removes the setup profile and brings the previous connection back")
    func interruptRestores() async throws {
        let fake = try FakeNmcli(failures: 1000)
        defer { fake.remove() }
        let file = try WifiCLITests.passwordFile(WifiCLITests.sitePassword)
        var arguments = WifiCLITests.arguments(url: "", passwordFile: file, extra: ["--join-attempts", "6"])
        arguments.removeSubrange(1...2)  // no --device-url: join the AP through nmcli
        let result = try await Subprocess.run(
            .path(FilePath(mlprovBinary)), arguments: Arguments(arguments),
            environment: .inherit.updating(["PATH": fake.searchPath]),
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20)
        ) { execution in
            // Wait (at most 60 s) for the first attempt to join, then press Ctrl-C.
            for _ in 0..<600 where !fake.rawCalls.contains("connection up id mlprov-setup-") {
                try await Task.sleep(for: .milliseconds(100))
            }
            try execution.send(signal: .interrupt)
        }
        #expect(result.terminationStatus != .exited(0), "\(result.standardError ?? "")")
        let calls = fake.calls
        #expect(calls.filter { $0.hasPrefix("--wait 20 connection up id mlprov-setup-") }.count < 6, "interrupted before all attempts: \(calls)")
        #expect(calls.contains("connection delete id mlprov-setup-KAM_9999999"), "\(calls)")
        #expect(calls.last == "connection up id Home:5G", "\(calls)")
        #expect(fake.passwordFilePath.map { !FileManager.default.fileExists(atPath: $0) } ?? true, "the password file is removed")
    }
}
