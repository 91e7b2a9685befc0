import ArgumentParser
import DeviceDiscovery

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what breaks flashing on this machine, and say how to fix it.",
        discussion: """
            Checks, for one port or every USB serial adapter present: whether you may open the \
            port (group, mode, uaccess ACL; a group added but not yet active in this login), \
            whether another process holds it open (which pid and command; without root the \
            open files of other users' processes, e.g. ModemManager's, cannot be read, and the \
            check warns instead of passing), the FTDI latency_timer; and for the machine: \
            ModemManager, the two mlprov udev rules files, brltty \
            (which takes CH340 adapters), and kernels with the ch341 regression (5.13.10–5.13.13). \
            Each check prints ok, warn or fail with the fix. Exits 1 when any check fails.

            Examples:
              mlprov doctor
              mlprov doctor --port /dev/ttyUSB0 --json
            """)

    @Option(name: [.short, .long], help: "Check only this port (a /dev path or /dev/serial/by-path name).")
    var port: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let console = Console()
        let findings = Doctor(environment: .system()).run(port: port)
        if output.json {
            console.json(DoctorReport(ok: findings.worst != .fail, findings: findings))
        } else {
            for finding in findings {
                let subject = finding.port.map { " \($0):" } ?? ""
                console.result("\(finding.status.rawValue.uppercased().padding(4)) \(finding.check)\(subject) \(finding.message)")
                if let fix = finding.fix, finding.status != .ok { console.result("     fix: \(fix)") }
            }
        }
        if findings.worst == .fail { throw ExitCode(1) }
    }
}

struct DoctorReport: Encodable {
    var ok: Bool
    var findings: [DoctorFinding]
}

private extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
