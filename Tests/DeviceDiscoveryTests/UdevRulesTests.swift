import Foundation
import Testing
@testable import DeviceDiscovery
import TestSupport

@Suite("udev rules")
struct UdevRulesTests {
    static let rulesFile = packageRoot.appendingPathComponent("udev/99-mlprov.rules")

    @Test func embeddedRulesAreIdenticalToTheRulesFile() throws {
        let file = try Data(contentsOf: Self.rulesFile)
        if let difference = byteDifference(Array(UdevRules.text.utf8), Array(file)) {
            Issue.record("Sources/DeviceDiscovery/UdevRules.swift and udev/99-mlprov.rules differ: \(difference)")
        }
    }

    @Test func everyAdapterOfTheFactsTableHasItsRules() {
        let text = UdevRules.text
        for chip in AdapterChips.table {
            let vid = usbIDText(chip.vendorID), pid = usbIDText(chip.productID)
            #expect(text.contains(#"ATTR{idVendor}=="\#(vid)", ATTR{idProduct}=="\#(pid)", ENV{ID_MM_DEVICE_IGNORE}="1""#), "\(vid):\(pid) usb device rule")
            #expect(text.contains(#"ATTRS{idVendor}=="\#(vid)", ATTRS{idProduct}=="\#(pid)", ENV{MLPROV_ADAPTER}="\#(chip.name)""#), "\(vid):\(pid) tty rule")
        }
        for required in [
            #"MODE="0660", GROUP="plugdev", TAG+="uaccess""#, #"ENV{ID_MM_DEVICE_IGNORE}="1", ENV{ID_MM_PORT_IGNORE}="1""#,
            #"SUBSYSTEM=="usb-serial", DRIVER=="ftdi_sio", ATTR{latency_timer}="1""#, #"SYMLINK+="mlprov/slot-$env{ID_PATH_TAG}""#,
        ] {
            #expect(text.contains(required), "missing: \(required)")
        }
    }

    /// No `udevadm verify` on systemd 252 and no udevadm in the test machine: a lexical check
    /// of every rule line (known keys, operators, quoted values, GOTO labels that exist).
    @Test func everyRuleLineIsWellFormed() throws {
        let keys = ["ACTION", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS", "ENV", "ATTR", "ATTRS", "MODE", "GROUP", "TAG", "SYMLINK", "IMPORT", "GOTO", "LABEL", "KERNEL"]
        let pair = try Regex(#"^([A-Z]+)(\{[A-Za-z_0-9]+\})?(==|!=|\+=|=)"([^"]*)"$"#)
        var labels: Set<String> = []
        var gotos: Set<String> = []
        for (number, line) in UdevRules.text.split(separator: "\n").enumerated() where !line.hasPrefix("#") && !line.isEmpty {
            for item in line.split(separator: ", ") {
                let match = try #require(try pair.wholeMatch(in: String(item)), "line \(number + 1): '\(item)'")
                let key = String(match.output[1].substring ?? "")
                #expect(keys.contains(key), "line \(number + 1): unknown key \(key)")
                let value = String(match.output[4].substring ?? "")
                if key == "LABEL" { labels.insert(value) }
                if key == "GOTO" { gotos.insert(value) }
            }
        }
        #expect(gotos.isSubset(of: labels), "GOTO without LABEL: \(gotos.subtracting(labels))")
    }

    @Test func installIntoARulesDirWritesTheFileWithMode0644() async throws {
        let folder = try temporaryDirectory("mlprov-rules")
        let output = try await runProcess(mlprovBinary, ["udev", "install", "--rules-dir", folder.path, "--no-reload"])
        #expect(output.succeeded, "\(output)")
        let path = folder.appendingPathComponent("99-mlprov.rules").path
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
        if let difference = byteDifference(Array(try Data(contentsOf: URL(fileURLWithPath: path))), Array(UdevRules.text.utf8)) {
            Issue.record("installed rules differ: \(difference)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["99-mlprov.rules"])
    }

    @Test func dryRunWritesNothing() async throws {
        let folder = try temporaryDirectory("mlprov-rules")
        let output = try await runProcess(mlprovBinary, ["udev", "install", "--rules-dir", folder.path, "--dry-run"])
        #expect(output.succeeded, "\(output)")
        #expect(output.stdout.contains("would write \(folder.path)/99-mlprov.rules"))
        #expect(output.stdout.contains("would run udevadm trigger --subsystem-match=tty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
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
        #expect(output.stderr.contains("error: writing /etc/udev/rules.d/99-mlprov.rules needs root"), "\(output)")
        #expect(output.stderr.contains("sudo mlprov udev install"), "\(output)")
    }

    @Test func installerRefusesReloadWithoutRootEvenForAWritableFolder() throws {
        let folder = try temporaryDirectory("mlprov-rules")
        let installer = UdevRulesInstaller(rulesDirectory: folder.path, reload: true, effectiveUserID: 1000)
        #expect(throws: DiscoveryError.self) { try installer.install() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        #expect(UdevRulesInstaller(rulesDirectory: folder.path, reload: false, effectiveUserID: 1000).rootNeededFor == nil)
    }
}
