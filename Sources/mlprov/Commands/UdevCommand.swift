import ArgumentParser
import DeviceDiscovery

struct UdevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udev",
        abstract: "Install the udev rules for USB serial adapters.",
        subcommands: [UdevInstallCommand.self, UdevShowCommand.self])
}

struct UdevInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Write 99-mlprov.rules and reload udev (needs root).",
        discussion: """
            Writes the rules (mode 0644) that give the plugdev group and the logged-in user \
            access to the adapters, keep ModemManager away, set FTDI latency to 1 ms and add \
            /dev/mlprov/slot-* links per hub slot; then runs `udevadm control --reload-rules` \
            and `udevadm trigger --subsystem-match=tty`. Replug the adapters afterwards. See \
            udev/README.md for what each rule does.

            Examples:
              sudo mlprov udev install
              mlprov udev install --dry-run
              mlprov udev install --rules-dir /tmp/rules --no-reload
            """)

    @Flag(help: "Only say what would be written and run.")
    var dryRun = false

    @Option(help: "Folder to write 99-mlprov.rules into.")
    var rulesDir: String = UdevRules.defaultDirectory

    @Flag(help: "Do not run udevadm afterwards (for a --rules-dir that udev does not read, or a system without udev).")
    var noReload = false

    func run() throws {
        let console = Console()
        let installer = UdevRulesInstaller(
            rulesDirectory: rulesDir, reload: !noReload,
            invocation: "mlprov udev install" + (rulesDir == UdevRules.defaultDirectory ? "" : " --rules-dir \(rulesDir)") + (noReload ? " --no-reload" : ""))
        if dryRun {
            console.result("would write \(installer.rulesPath) (mode 0644, \(UdevRules.text.utf8.count) bytes)")
            for command in installer.reloadCommands { console.result("would run \(command.joined(separator: " "))") }
            if let action = installer.rootNeededFor { console.info("note: \(action) needs root: use sudo") }
            return
        }
        try console.reporting(json: false) {
            try installer.install()
            console.result("wrote \(installer.rulesPath)")
            for command in installer.reloadCommands { console.result("ran \(command.joined(separator: " "))") }
            if !installer.reloadCommands.isEmpty { console.info("Replug the adapters so that the rules apply to them.") }
        }
    }
}

struct UdevShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the rules `udev install` writes.",
        discussion: "Example: mlprov udev show > 99-mlprov.rules")

    func run() {
        Console().result(UdevRules.text.hasSuffix("\n") ? String(UdevRules.text.dropLast()) : UdevRules.text)
    }
}
