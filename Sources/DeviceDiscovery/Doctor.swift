/// Checks what breaks flashing on Linux and says how to fix each: port permissions and
/// group membership, the port held by another process, FTDI latency, ModemManager and
/// whether our udev rules are installed, brltty (which takes CH340 adapters), and the
/// kernels with the ch341 regression.
public struct Doctor: Sendable {
    public var environment: DoctorEnvironment

    /// brltty's program and its udev rules (which start it when a CH340 is plugged in).
    static let brlttyFiles = ["/usr/bin/brltty", "/bin/brltty", "/usr/lib/udev/rules.d/85-brltty.rules", "/lib/udev/rules.d/85-brltty.rules"]

    public init(environment: DoctorEnvironment) {
        self.environment = environment
    }

    /// Runs every check, for `port` only or for every adapter present.
    public func run(port: String? = nil) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let adapters: [SerialAdapter]
        do {
            adapters = try AdapterDiscovery(paths: environment.paths, enumeration: environment.enumeration).adapters()
        } catch {
            adapters = []
            findings.append(DoctorFinding(check: "adapters", status: .fail, message: error.description, fix: error.help))
        }
        let checked: [(path: String, adapter: SerialAdapter?)]
        if let port {
            checked = [(port, adapters.first { $0.devicePath == port || $0.byPath == port })]
        } else {
            checked = adapters.map { ($0.devicePath, $0) }
            if adapters.isEmpty, findings.isEmpty {
                findings.append(DoctorFinding(
                    check: "adapters", status: .warn, message: "no USB serial adapter found",
                    fix: "plug the adapter in and run again; `dmesg | tail` shows whether the kernel saw it (brltty may take CH340s)"))
            }
        }
        let scan = PortHolders(paths: environment.paths).scan(of: checked.map(\.path))
        for (path, adapter) in checked {
            findings.append(permissions(path))
            findings.append(inUse(path, holders: scan.holders[path] ?? [], unreadableProcesses: scan.unreadableProcesses))
            if let adapter, adapter.vendorID == AdapterChips.ftdiVendorID { findings.append(latency(adapter)) }
        }
        let hasCH34x = adapters.contains { AdapterChips.isCH34x(vendorID: $0.vendorID, productID: $0.productID) }
        let rules = rulesInstalled()
        findings.append(modemManager(rulesInstalled: rules.status == .ok))
        findings.append(rules)
        findings.append(brltty(hasCH34x: hasCH34x))
        findings.append(kernel(hasCH34x: hasCH34x))
        return findings
    }

    // MARK: - Per port

    func permissions(_ path: String) -> DoctorFinding {
        let user = environment.user
        guard let access = PortAccess(path: path) else {
            return DoctorFinding(
                check: "permissions", status: .fail, port: path, message: "\(path) does not exist",
                fix: "check the port name; `mlprov ports` lists the adapters present")
        }
        if let grant = access.grant(for: user) {
            return DoctorFinding(check: "permissions", status: .ok, port: path, message: "\(user.name) may open \(path) (\(grant))")
        }
        let groups = environment.groupTable()
        let groupName = groups[access.groupID]?.name ?? String(access.groupID)
        let facts = "\(path) is mode \(access.modeText), group \(groupName)"
        if groups[access.groupID]?.members.contains(user.name) == true {
            return DoctorFinding(
                check: "permissions", status: .fail, port: path,
                message: "\(facts); \(user.name) was added to \(groupName) but this login session does not have it yet",
                fix: "log out and in again (or run `newgrp \(groupName)` in this shell)")
        }
        return DoctorFinding(
            check: "permissions", status: .fail, port: path,
            message: "\(facts), and \(user.name) is not in \(groupName)",
            fix: "sudo usermod -aG \(groupName) \(user.name) (then log in again), or `sudo mlprov udev install` to give the logged-in user access (uaccess)")
    }

    /// `unreadableProcesses`: processes whose open files could not be read (without root,
    /// other users' — ModemManager runs as root), so "nobody holds it" cannot be said.
    func inUse(_ path: String, holders: [PortHolder], unreadableProcesses: Int = 0) -> DoctorFinding {
        guard !holders.isEmpty else {
            guard unreadableProcesses == 0 else {
                return DoctorFinding(
                    check: "port-in-use", status: .warn, port: path,
                    message: "none of the processes this user may look into has \(path) open, but mlprov could not check processes of other users (\(unreadableProcesses) of them)",
                    fix: "run with sudo to see them: sudo mlprov doctor")
            }
            return DoctorFinding(check: "port-in-use", status: .ok, port: path, message: "no other process has \(path) open")
        }
        let who = holders.map { "\($0.command) (pid \($0.pid))" }.joined(separator: ", ")
        let fix = holders.contains { $0.command == "ModemManager" }
            ? "`sudo mlprov udev install` makes ModemManager ignore the adapter; replug it afterwards"
            : "close that program; if it is stuck: kill \(holders.map { String($0.pid) }.joined(separator: " "))"
        return DoctorFinding(check: "port-in-use", status: .fail, port: path, message: "\(path) is open in \(who)", fix: fix)
    }

    func latency(_ adapter: SerialAdapter) -> DoctorFinding {
        let name = FileProbe.lastComponent(adapter.devicePath)
        let timer = TTYScanner(paths: environment.paths).tty(named: name)?.latencyTimer
        guard let timer else {
            return DoctorFinding(check: "ftdi-latency", status: .warn, port: adapter.devicePath, message: "the FTDI latency_timer of \(name) cannot be read")
        }
        if timer <= 1 {
            return DoctorFinding(check: "ftdi-latency", status: .ok, port: adapter.devicePath, message: "FTDI latency_timer is \(timer) ms")
        }
        return DoctorFinding(
            check: "ftdi-latency", status: .warn, port: adapter.devicePath,
            message: "FTDI latency_timer is \(timer) ms: every request/response round trip waits up to \(timer) ms",
            fix: "`sudo mlprov udev install` sets it to 1 ms on every plug-in; now: echo 1 | sudo tee /sys/bus/usb-serial/devices/\(name)/latency_timer")
    }

    // MARK: - Machine-wide

    func modemManager(rulesInstalled: Bool) -> DoctorFinding {
        let running = ProcessTable(paths: environment.paths).processes(named: "ModemManager")
        guard let first = running.first else {
            return DoctorFinding(check: "modemmanager", status: .ok, message: "ModemManager is not running")
        }
        if rulesInstalled {
            return DoctorFinding(
                check: "modemmanager", status: .ok,
                message: "ModemManager is running (pid \(first.pid)); the mlprov udev rules tell it to ignore the adapters")
        }
        return DoctorFinding(
            check: "modemmanager", status: .fail,
            message: "ModemManager is running (pid \(first.pid)) and probes new serial ports with AT commands, which corrupts uploads",
            fix: "sudo mlprov udev install (marks the adapters ID_MM_DEVICE_IGNORE), or sudo systemctl disable --now ModemManager")
    }

    /// Whether every rules file of `UdevRules.files` is installed as this mlprov has it
    /// (the first folder of `UdevRules.searchDirectories` holding a file of that name wins,
    /// as in udev).
    func rulesInstalled() -> DoctorFinding {
        var installed: [String] = []
        var differing: [String] = []
        var missing: [String] = []
        for file in UdevRules.files {
            let found = UdevRules.searchDirectories.lazy.compactMap { folder in
                FileProbe.text(environment.file(folder + "/" + file.name), limit: 1 << 20).map { (folder + "/" + file.name, $0) }
            }.first
            guard let (path, text) = found else {
                missing.append(file.name)
                continue
            }
            if text == FileProbe.trimmed(file.text) { installed.append(path) } else { differing.append(path) }
        }
        if differing.isEmpty, missing.isEmpty {
            return DoctorFinding(check: "udev-rules", status: .ok, message: installed.joined(separator: " and ") + " are installed")
        }
        if installed.isEmpty, differing.isEmpty {
            return DoctorFinding(
                check: "udev-rules", status: .warn, message: "the mlprov udev rules are not installed",
                fix: "sudo mlprov udev install (plugdev/uaccess access, ModemManager kept away, FTDI latency 1 ms, /dev/mlprov/slot-* links)")
        }
        var problems: [String] = []
        if !differing.isEmpty { problems.append(differing.joined(separator: " and ") + " differ" + (differing.count == 1 ? "s" : "") + " from this mlprov's rules") }
        if !missing.isEmpty { problems.append(missing.joined(separator: " and ") + (missing.count == 1 ? " is" : " are") + " not installed") }
        return DoctorFinding(check: "udev-rules", status: .warn, message: problems.joined(separator: "; "), fix: "sudo mlprov udev install")
    }

    func brltty(hasCH34x: Bool) -> DoctorFinding {
        let running = ProcessTable(paths: environment.paths).processes(named: "brltty")
        let installed = Self.brlttyFiles.contains { FileProbe.exists(environment.file($0)) }
        let note = "brltty claims CH340/CH341 adapters (it takes them for braille displays) and the port vanishes"
        let fix = "sudo apt remove brltty (or: sudo systemctl mask brltty-udev.service), then replug the adapter"
        if let first = running.first {
            return DoctorFinding(check: "brltty", status: hasCH34x ? .fail : .warn, message: "brltty is running (pid \(first.pid)): \(note)", fix: fix)
        }
        if installed {
            return DoctorFinding(check: "brltty", status: .warn, message: "brltty is installed: \(note)", fix: fix)
        }
        return DoctorFinding(check: "brltty", status: .ok, message: "brltty is not installed")
    }

    func kernel(hasCH34x: Bool) -> DoctorFinding {
        let release = environment.kernelRelease
        guard let version = KernelVersion(release: release), KernelVersion.ch341Regression.contains(version) else {
            return DoctorFinding(check: "kernel-ch341", status: .ok, message: "kernel \(release) is outside the ch341 regression (5.13.10–5.13.13)")
        }
        return DoctorFinding(
            check: "kernel-ch341", status: hasCH34x ? .fail : .warn,
            message: "kernel \(release) has the ch341 driver regression that breaks sync with CH340 adapters",
            fix: "update the kernel (5.13.14 or later), or use a CP210x/FTDI adapter")
    }
}
