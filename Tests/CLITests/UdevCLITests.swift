import Foundation
import Testing
@testable import DeviceDiscovery
import TestSupport

/// `mlprov udev install|show` as the binary runs them.
@Suite("mlprov udev")
struct UdevCLITests {
    @Test func installIntoARulesDirWritesBothFilesWithMode0644() async throws {
        let folder = try temporaryDirectory("mlprov-rules")
        let output = try await runProcess(mlprovBinary, ["udev", "install", "--rules-dir", folder.path, "--no-reload"])
        #expect(output.succeeded, "\(output)")
        for rules in UdevRules.files {
            let path = folder.appendingPathComponent(rules.name).path
            #expect(output.stdout.contains("wrote \(path)"), "\(output)")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644, "\(rules.name)")
            if let difference = byteDifference(Array(try Data(contentsOf: URL(fileURLWithPath: path))), Array(rules.text.utf8)) {
                Issue.record("installed \(rules.name) differs: \(difference)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["70-mlprov-uaccess.rules", "99-mlprov.rules"])
    }

    @Test func dryRunNamesBothFilesAndWritesNothing() async throws {
        let folder = try temporaryDirectory("mlprov-rules")
        let output = try await runProcess(mlprovBinary, ["udev", "install", "--rules-dir", folder.path, "--dry-run"])
        #expect(output.succeeded, "\(output)")
        #expect(output.stdout.contains("would write \(folder.path)/70-mlprov-uaccess.rules"), "\(output)")
        #expect(output.stdout.contains("would write \(folder.path)/99-mlprov.rules"), "\(output)")
        #expect(output.stdout.contains("would run udevadm trigger --subsystem-match=tty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func showPrintsBothFilesAndOneFileOnRequest() async throws {
        let all = try await runProcess(mlprovBinary, ["udev", "show"])
        #expect(all.succeeded, "\(all)")
        let expected = UdevRules.files.enumerated().map { index, rules in
            (index == 0 ? "" : "\n") + "# ==> \(rules.name) <==\n" + rules.text
        }.joined()
        if let difference = byteDifference(Array(all.stdout.utf8), Array(expected.utf8)) {
            Issue.record("udev show: \(difference)")
        }
        let one = try await runProcess(mlprovBinary, ["udev", "show", "--file", "70-mlprov-uaccess.rules"])
        #expect(one.succeeded, "\(one)")
        if let difference = byteDifference(Array(one.stdout.utf8), Array(UdevRules.access.text.utf8)) {
            Issue.record("udev show --file: \(difference)")
        }
        let wrong = try await runProcess(mlprovBinary, ["udev", "show", "--file", "98-nothing.rules"])
        #expect(wrong.exitCode != 0)
    }

    /// Without root the default rules folder is refused before anything is written. When
    /// the test runs as root, mlprov is started as user nobody with setpriv.
    @Test func refusesWithoutRootNamingSudo() async throws {
        var command = [mlprovBinary, "udev", "install"]
        if geteuid() == 0 {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "setpriv (util-linux) is needed to drop root")
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        }
        let output = try await runProcess(command[0], Array(command.dropFirst()))
        #expect(output.exitCode == 1, "\(output)")
        #expect(output.stderr.contains("error: writing /etc/udev/rules.d/70-mlprov-uaccess.rules and /etc/udev/rules.d/99-mlprov.rules needs root"), "\(output)")
        #expect(output.stderr.contains("sudo mlprov udev install"), "\(output)")
    }
}
