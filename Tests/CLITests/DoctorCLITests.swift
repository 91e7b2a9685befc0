import Foundation
import Testing
@testable import DeviceDiscovery
import TestSupport

/// `mlprov doctor` as the binary runs, as root and as another user.
@Suite("mlprov doctor")
struct DoctorCLITests {
    /// Without root, other users' /proc/<pid>/fd cannot be read (ModemManager runs as
    /// root): "nobody holds the port" cannot be said then. mlprov runs as user nobody
    /// (setpriv) against the real /proc, where this test's own processes are root's.
    @Test func unprivilegedDoctorSaysItCouldNotCheckOtherUsersProcesses() async throws {
        try #require(geteuid() == 0, "needs root to start mlprov as another user")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "setpriv (util-linux) is needed to drop root")
        let folder = try temporaryDirectory("mlprov-doctor")
        chmod(folder.path, 0o755)
        let port = folder.appendingPathComponent("ttyFAKE0").path
        try "".write(toFile: port, atomically: false, encoding: .utf8)
        chmod(port, 0o666)

        let asNobody = try await runProcess(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", mlprovBinary, "doctor", "--port", port, "--json"])
        let unprivileged = try portInUse(asNobody.stdout, port: port)
        #expect(unprivileged.status == .warn, "\(asNobody)")
        #expect(unprivileged.message.contains("could not check processes of other users"), "\(unprivileged)")
        #expect(unprivileged.fix?.contains("run with sudo to see them") == true, "\(unprivileged)")

        // As root every process can be looked into: nobody holds the file.
        let asRoot = try await runProcess(mlprovBinary, ["doctor", "--port", port, "--json"])
        let privileged = try portInUse(asRoot.stdout, port: port)
        #expect(privileged.status == .ok, "\(asRoot)")
        #expect(privileged.message == "no other process has \(port) open")
    }

    /// The port-in-use finding of `mlprov doctor --json` output.
    func portInUse(_ json: String, port: String) throws -> DoctorFinding {
        struct Report: Decodable { var findings: [DoctorFinding] }
        let report = try JSONDecoder().decode(Report.self, from: Data(json.utf8))
        return try #require(report.findings.first { $0.check == "port-in-use" && $0.port == port }, "no port-in-use finding in \(report.findings)")
    }
}
