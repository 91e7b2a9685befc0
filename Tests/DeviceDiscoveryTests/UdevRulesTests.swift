import Foundation
import Testing
@testable import DeviceDiscovery
import TestSupport

@Suite("udev rules")
struct UdevRulesTests {
    static let rulesFolder = packageRoot.appendingPathComponent("udev")

    @Test func embeddedRulesAreIdenticalToTheRulesFiles() throws {
        for rules in UdevRules.files {
            let file = try Data(contentsOf: Self.rulesFolder.appendingPathComponent(rules.name))
            if let difference = byteDifference(Array(rules.text.utf8), Array(file)) {
                Issue.record("the embedded \(rules.name) and udev/\(rules.name) differ: \(difference)")
            }
        }
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Self.rulesFolder.path).filter { $0.hasSuffix(".rules") }
        #expect(shipped.sorted() == UdevRules.files.map(\.name).sorted(), "udev/ holds exactly the embedded files")
        #expect(UdevRules.files.map(\.name) == UdevRules.files.map(\.name).sorted(), "listed in the order udev reads them")
    }

    /// systemd acts on TAG+="uaccess" in 71-seat.rules (seat tag) and 73-seat-late.rules
    /// (the ACL): a file that sorts after them adds the tag too late. udev sorts all rules
    /// files by name.
    @Test func accessIsGrantedOnlyInAFileThatSortsBeforeSystemdsSeatRules() throws {
        let access = UdevRules.files.filter { $0.text.contains(#"TAG+="uaccess""#) }
        #expect(access.map(\.name) == ["70-mlprov-uaccess.rules"])
        for file in access {
            #expect(file.name < UdevRules.firstUaccessConsumer, "\(file.name) sorts after 71-seat.rules")
            #expect(file.name < "73-seat-late.rules", "\(file.name) sorts after 73-seat-late.rules")
            #expect(file.name > "60-serial.rules", "\(file.name) should run after 60-serial.rules (ID_PATH)")
            #expect(file.text.contains(#"MODE="0660", GROUP="plugdev", TAG+="uaccess""#))
        }
        let main = UdevRules.main.text
        for forbidden in ["uaccess\"", "MODE=", "GROUP="] {
            #expect(!main.contains(forbidden), "99-mlprov.rules must not set \(forbidden)")
        }
    }

    /// Where this machine has systemd's rules, the access file sorts before every one of
    /// them that acts on the uaccess tag.
    @Test func accessFileSortsBeforeEveryInstalledSystemdRuleThatUsesTheTag() throws {
        var consumers: [String] = []
        for folder in ["/usr/lib/udev/rules.d", "/lib/udev/rules.d"] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".rules") {
                let text = (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? ""
                if text.contains(#"TAG=="uaccess""#) { consumers.append(name) }
            }
        }
        try #require(!consumers.isEmpty, "no systemd rules on this machine that act on the uaccess tag")
        for name in consumers {
            #expect(UdevRules.access.name < name, "\(UdevRules.access.name) sorts after \(name), which acts on the uaccess tag")
        }
    }

    @Test func everyAdapterOfTheFactsTableHasItsRules() {
        for chip in AdapterChips.table {
            let vid = usbIDText(chip.vendorID), pid = usbIDText(chip.productID)
            #expect(UdevRules.main.text.contains(#"ATTR{idVendor}=="\#(vid)", ATTR{idProduct}=="\#(pid)", ENV{ID_MM_DEVICE_IGNORE}="1""#), "\(vid):\(pid) usb device rule")
            #expect(UdevRules.access.text.contains(#"ATTRS{idVendor}=="\#(vid)", ATTRS{idProduct}=="\#(pid)", ENV{MLPROV_ADAPTER}="\#(chip.name)""#), "\(vid):\(pid) tty rule")
        }
        for required in [
            #"ENV{ID_MM_DEVICE_IGNORE}="1", ENV{ID_MM_PORT_IGNORE}="1""#, #"ENV{MLPROV_ADAPTER}=="", GOTO="mlprov_end""#,
            #"SUBSYSTEM=="usb-serial", DRIVER=="ftdi_sio", ATTR{latency_timer}="1""#, #"SYMLINK+="mlprov/slot-$env{ID_PATH_TAG}""#,
        ] {
            #expect(UdevRules.main.text.contains(required), "99-mlprov.rules is missing: \(required)")
        }
    }

    /// No `udevadm verify` on systemd 252 and no udevadm in the test machine: a lexical check
    /// of every rule line of each file (known keys, operators, quoted values, GOTO labels
    /// that exist in the same file — udev does not jump between files).
    @Test(arguments: UdevRules.files.map(\.name))
    func everyRuleLineIsWellFormed(_ name: String) throws {
        let text = try #require(UdevRules.files.first { $0.name == name }).text
        let keys = ["ACTION", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS", "ENV", "ATTR", "ATTRS", "MODE", "GROUP", "TAG", "SYMLINK", "IMPORT", "GOTO", "LABEL", "KERNEL"]
        let pair = try Regex(#"^([A-Z]+)(\{[A-Za-z_0-9]+\})?(==|!=|\+=|=)"([^"]*)"$"#)
        var labels: Set<String> = []
        var gotos: Set<String> = []
        for (number, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") && !line.isEmpty {
            for item in line.split(separator: ", ") {
                let match = try #require(try pair.wholeMatch(in: String(item)), "\(name) line \(number + 1): '\(item)'")
                let key = String(match.output[1].substring ?? "")
                #expect(keys.contains(key), "\(name) line \(number + 1): unknown key \(key)")
                let value = String(match.output[4].substring ?? "")
                if key == "LABEL" { labels.insert(value) }
                if key == "GOTO" { gotos.insert(value) }
            }
        }
        #expect(!gotos.isEmpty)
        #expect(gotos.isSubset(of: labels), "\(name): GOTO without LABEL: \(gotos.subtracting(labels))")
    }

    /// The old installer opened `<rules>.tmp-<pid>` with O_CREAT|O_TRUNC: a symbolic link
    /// planted at that name made root truncate and overwrite the link's target. The
    /// temporary file is now created exclusively under an unpredictable name.
    @Test func symlinksPlantedAtPredictableTemporaryNamesAreNotFollowed() throws {
        let folder = try temporaryDirectory("mlprov-rules")
        let victim = try temporaryDirectory("mlprov-victim").appendingPathComponent("shadow")
        try "precious\n".write(to: victim, atomically: false, encoding: .utf8)
        var planted: [String] = []
        for rules in UdevRules.files {
            let name = rules.name + ".tmp-\(getpid())"
            try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(name).path, withDestinationPath: victim.path)
            planted.append(name)
        }
        // A link at the final name is replaced, not followed.
        let finalName = UdevRules.main.name
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(finalName).path, withDestinationPath: victim.path)

        try UdevRulesInstaller(rulesDirectory: folder.path, reload: false, effectiveUserID: 0).install()

        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n", "the link's target was written")
        for rules in UdevRules.files {
            let path = folder.appendingPathComponent(rules.name).path
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil, "\(rules.name) is still a link")
            if let difference = byteDifference(Array(try Data(contentsOf: URL(fileURLWithPath: path))), Array(rules.text.utf8)) {
                Issue.record("installed \(rules.name) differs: \(difference)")
            }
        }
        for name in planted {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent(name).path) == victim.path)
        }
        // Nothing else is left behind: no temporary files.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == (UdevRules.files.map(\.name) + planted).sorted())
    }

    @Test func aFailedInstallLeavesNoTemporaryFiles() throws {
        let folder = try temporaryDirectory("mlprov-rules")
        // A folder at the second file's name: rename(2) of a file onto it fails (EISDIR).
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(UdevRules.main.name), withIntermediateDirectories: false)
        #expect(throws: DiscoveryError.self) {
            try UdevRulesInstaller(rulesDirectory: folder.path, reload: false, effectiveUserID: 0).install()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == UdevRules.files.map(\.name).sorted())
    }

    @Test func installerRefusesReloadWithoutRootEvenForAWritableFolder() throws {
        let folder = try temporaryDirectory("mlprov-rules")
        let installer = UdevRulesInstaller(rulesDirectory: folder.path, reload: true, effectiveUserID: 1000)
        #expect(throws: DiscoveryError.self) { try installer.install() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        #expect(UdevRulesInstaller(rulesDirectory: folder.path, reload: false, effectiveUserID: 1000).rootNeededFor == nil)
    }
}
