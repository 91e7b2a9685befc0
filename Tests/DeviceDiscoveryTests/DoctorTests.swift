import Foundation
import Testing
@testable import DeviceDiscovery
import TestSupport

/// Each doctor check in a fake situation that fails it and one that passes it.
@Suite("mlprov doctor checks")
struct DoctorTests {
    static let tech = UserIdentity(uid: 4321, name: "tech", groupIDs: [4321])

    /// A fake machine with `adapters`, the user `tech`, kernel 6.1.
    func situation(_ adapters: [MockAdapter] = [.cp2102], user: UserIdentity = tech, kernel: String = "6.1.0-18-amd64") throws -> (FakeTree, Doctor) {
        let tree = try FakeTree()
        for adapter in adapters { try tree.add(adapter) }
        let environment = DoctorEnvironment(paths: tree.paths, filesRoot: tree.filesRoot, user: user, kernelRelease: kernel, enumeration: .sysfs)
        return (tree, Doctor(environment: environment))
    }

    func finding(_ findings: [DoctorFinding], _ check: String, port: String? = nil) throws -> DoctorFinding {
        try #require(findings.first { $0.check == check && (port == nil || $0.port == port) }, "no \(check) finding in \(findings)")
    }

    /// The group owning the files this test creates (whatever the test user's is).
    func nodeGroup(_ path: String) throws -> UInt32 {
        try #require(PortAccess(path: path)).groupID
    }

    // MARK: permissions

    @Test func userOutsideThePortsGroupFailsWithTheUsermodFix() throws {
        let (tree, doctor) = try situation()
        let port = tree.paths.devRoot + "/ttyUSB0"
        chmod(port, 0o660)
        try tree.write("dialout:x:\(try nodeGroup(port)):", "files/etc/group")
        let result = try finding(doctor.run(), "permissions", port: port)
        #expect(result.status == .fail)
        #expect(result.message.contains("mode 0660, group dialout"))
        #expect(result.fix?.contains("sudo usermod -aG dialout tech") == true)
    }

    @Test func userInThePortsGroupPasses() throws {
        let tree = try FakeTree()
        try tree.add(.cp2102)
        let port = tree.paths.devRoot + "/ttyUSB0"
        chmod(port, 0o660)
        let user = UserIdentity(uid: 4321, name: "tech", groupIDs: [4321, try nodeGroup(port)])
        let doctor = Doctor(environment: DoctorEnvironment(paths: tree.paths, filesRoot: tree.filesRoot, user: user, kernelRelease: "6.1.0", enumeration: .sysfs))
        let result = try finding(doctor.run(), "permissions", port: port)
        #expect(result.status == .ok, "\(result)")
    }

    @Test func groupAddedButNotYetInTheSessionSaysLogInAgain() throws {
        let (tree, doctor) = try situation()
        let port = tree.paths.devRoot + "/ttyUSB0"
        chmod(port, 0o660)
        try tree.write("dialout:x:\(try nodeGroup(port)):alice,tech", "files/etc/group")
        let result = try finding(doctor.run(), "permissions", port: port)
        #expect(result.status == .fail)
        #expect(result.fix?.contains("log out and in again") == true)
    }

    @Test func missingPortFails() throws {
        let (_, doctor) = try situation([])
        let result = try finding(doctor.run(port: "/nonexistent/ttyUSB9"), "permissions")
        #expect(result.status == .fail)
        #expect(doctor.run(port: "/nonexistent/ttyUSB9").worst == .fail)
    }

    @Test func aclEntryOfTheUserGrantsAccess() {
        // version 2; USER_OBJ rw; USER 4321 rw; GROUP_OBJ rw; MASK rw; OTHER none
        var bytes: [UInt8] = [2, 0, 0, 0]
        for (tag, perm, id) in [(1, 6, UInt32.max), (2, 6, 4321), (4, 6, UInt32.max), (0x10, 6, UInt32.max), (0x20, 0, UInt32.max)] as [(UInt16, UInt16, UInt32)] {
            bytes += [UInt8(tag & 0xFF), UInt8(tag >> 8), UInt8(perm & 0xFF), UInt8(perm >> 8)]
            bytes += withUnsafeBytes(of: id.littleEndian, Array.init)
        }
        let users = PortAccess.parseACL(bytes)
        #expect(users == [4321: 6])
        let access = PortAccess(ownerID: 0, groupID: 20, mode: 0o660, aclUsers: users)
        #expect(access.grant(for: Self.tech) == "ACL (uaccess)")
        #expect(PortAccess(ownerID: 0, groupID: 20, mode: 0o660).grant(for: Self.tech) == nil)
    }

    // MARK: port held

    @Test func portHeldByAnotherProcessFailsNamingPidAndCommand() throws {
        let (tree, doctor) = try situation()
        let port = tree.paths.devRoot + "/ttyUSB0"
        try tree.addProcess(pid: 3131, command: "minicom", openFiles: [port])
        let result = try finding(doctor.run(), "port-in-use", port: port)
        #expect(result.status == .fail)
        #expect(result.message.contains("minicom (pid 3131)"))
        #expect(result.fix?.contains("kill 3131") == true)
    }

    @Test func portHeldByNobodyPasses() throws {
        let (tree, doctor) = try situation()
        try tree.addProcess(pid: 3131, command: "minicom", openFiles: ["/dev/null"])
        #expect(try finding(doctor.run(), "port-in-use").status == .ok)
    }

    @Test func unreadableProcessesTurnTheOkIntoAWarningButAHolderStillFails() throws {
        let (_, doctor) = try situation([])
        #expect(doctor.inUse("/dev/ttyUSB0", holders: [], unreadableProcesses: 0).status == .ok)
        let unsure = doctor.inUse("/dev/ttyUSB0", holders: [], unreadableProcesses: 3)
        #expect(unsure.status == .warn)
        #expect(unsure.message.contains("(3 of them)"))
        #expect(doctor.inUse("/dev/ttyUSB0", holders: [PortHolder(pid: 9, command: "screen")], unreadableProcesses: 3).status == .fail)
    }

    // MARK: FTDI latency

    @Test func ftdiLatencyAboveOneWarns() throws {
        let (_, doctor) = try situation([.ft232r])
        let result = try finding(doctor.run(), "ftdi-latency")
        #expect(result.status == .warn)
        #expect(result.fix?.contains("latency_timer") == true)
    }

    @Test func ftdiLatencyOfOnePasses() throws {
        var fast = MockAdapter.ft232r
        fast.latencyTimer = 1
        let (_, doctor) = try situation([fast])
        #expect(try finding(doctor.run(), "ftdi-latency").status == .ok)
        // Not an FTDI: no latency finding at all.
        let (_, other) = try situation([.cp2102])
        #expect(!other.run().contains { $0.check == "ftdi-latency" })
    }

    // MARK: ModemManager and the rules

    @Test func modemManagerRunningWithoutOurRulesFails() throws {
        let (tree, doctor) = try situation()
        try tree.addProcess(pid: 812, command: "ModemManager")
        let result = try finding(doctor.run(), "modemmanager")
        #expect(result.status == .fail)
        #expect(result.message.contains("pid 812"))
        #expect(try finding(doctor.run(), "udev-rules").status == .warn)
    }

    @Test func modemManagerRunningWithOurRulesInstalledPasses() throws {
        let (tree, doctor) = try situation()
        try tree.addProcess(pid: 812, command: "ModemManager")
        for rules in UdevRules.files {
            try tree.write(FileProbe.trimmed(rules.text), "files/etc/udev/rules.d/" + rules.name)
        }
        #expect(try finding(doctor.run(), "modemmanager").status == .ok)
        let rules = try finding(doctor.run(), "udev-rules")
        #expect(rules.status == .ok, "\(rules)")
        #expect(rules.message.contains("70-mlprov-uaccess.rules") && rules.message.contains("99-mlprov.rules"))
    }

    /// The access rules are a file of their own: the main file alone gives the user no
    /// access (and its tty rules match nothing without the mark the 70 file sets).
    @Test func onlyTheMainRulesFileInstalledWarnsNamingTheMissingOne() throws {
        let (tree, doctor) = try situation()
        try tree.addProcess(pid: 812, command: "ModemManager")
        try tree.write(FileProbe.trimmed(UdevRules.main.text), "files/etc/udev/rules.d/99-mlprov.rules")
        let result = try finding(doctor.run(), "udev-rules")
        #expect(result.status == .warn)
        #expect(result.message.contains("70-mlprov-uaccess.rules is not installed"), "\(result)")
        #expect(result.fix == "sudo mlprov udev install")
        #expect(try finding(doctor.run(), "modemmanager").status == .fail)
    }

    @Test func onlyTheAccessRulesFileInstalledWarnsToo() throws {
        let (tree, doctor) = try situation()
        try tree.write(FileProbe.trimmed(UdevRules.access.text), "files/usr/lib/udev/rules.d/70-mlprov-uaccess.rules")
        let result = try finding(doctor.run(), "udev-rules")
        #expect(result.status == .warn)
        #expect(result.message.contains("99-mlprov.rules is not installed"), "\(result)")
    }

    @Test func outdatedRulesFileWarns() throws {
        let (tree, doctor) = try situation()
        try tree.write(FileProbe.trimmed(UdevRules.access.text), "files/etc/udev/rules.d/70-mlprov-uaccess.rules")
        try tree.write("# an older version\n", "files/lib/udev/rules.d/99-mlprov.rules")
        let result = try finding(doctor.run(), "udev-rules")
        #expect(result.status == .warn)
        #expect(result.message.contains("/lib/udev/rules.d/99-mlprov.rules differs"), "\(result)")
    }

    @Test func noRulesAtAllWarnsNotInstalled() throws {
        let (_, doctor) = try situation()
        let result = try finding(doctor.run(), "udev-rules")
        #expect(result.status == .warn)
        #expect(result.message == "the mlprov udev rules are not installed")
    }

    @Test func modemManagerNotRunningPasses() throws {
        let (_, doctor) = try situation()
        #expect(try finding(doctor.run(), "modemmanager").status == .ok)
    }

    // MARK: brltty

    @Test func brlttyRunningWithACH340Fails() throws {
        let (tree, doctor) = try situation([.ch340a])
        try tree.addProcess(pid: 600, command: "brltty")
        let result = try finding(doctor.run(), "brltty")
        #expect(result.status == .fail)
        #expect(result.message.contains("CH340"))
    }

    @Test func brlttyInstalledWarnsAndAbsentPasses() throws {
        let (tree, doctor) = try situation([.cp2102])
        #expect(try finding(doctor.run(), "brltty").status == .ok)
        try tree.write("", "files/usr/lib/udev/rules.d/85-brltty.rules")
        #expect(try finding(doctor.run(), "brltty").status == .warn)
    }

    // MARK: kernel

    @Test func ch341RegressionKernelWithACH340Fails() throws {
        let (_, doctor) = try situation([.ch340a], kernel: "5.13.12-arch1-1")
        let result = try finding(doctor.run(), "kernel-ch341")
        #expect(result.status == .fail)
        #expect(doctor.run().worst == .fail)
    }

    @Test func kernelOutsideTheRegressionPasses() throws {
        let (_, doctor) = try situation([.ch340a], kernel: "5.13.14")
        #expect(try finding(doctor.run(), "kernel-ch341").status == .ok)
        let (_, cp) = try situation([.cp2102], kernel: "5.13.10")
        #expect(try finding(cp.run(), "kernel-ch341").status == .warn)
    }

    @Test func noAdapterAtAllWarns() throws {
        let (_, doctor) = try situation([])
        #expect(try finding(doctor.run(), "adapters").status == .warn)
    }
}
