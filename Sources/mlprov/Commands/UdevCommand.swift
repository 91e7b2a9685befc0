import ArgumentParser
import DeviceDiscovery

struct UdevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udev",
        abstract: "Install the udev rules for USB serial adapters.",
        subcommands: [UdevInstallCommand.self, UdevShowCommand.self])
}

struct UdevInstallCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Write 70-mlprov-uaccess.rules and 99-mlprov.rules and reload udev (needs root).",
        discussion: """
            Writes two rules files (mode 0644, each replaced atomically): \
            70-mlprov-uaccess.rules gives the plugdev group and the logged-in user access to \
            the adapters (numbered 70: systemd applies the uaccess ACL in 73-seat-late.rules, \
            so a later file could not); 99-mlprov.rules keeps ModemManager away, sets FTDI \
            latency to 1 ms and adds /dev/mlprov/slot-* links per hub slot. Then runs \
            `udevadm control --reload-rules` and `udevadm trigger --subsystem-match=tty`. \
            Replug the adapters afterwards. See udev/README.md for what each rule does.

            Examples:
              sudo mlprov udev install
              mlprov udev install --dry-run
              mlprov udev install --rules-dir /tmp/rules --no-reload
            """)

    @Flag(help: "Only say what would be written and run.")
    var dryRun = false

    @Option(help: "Folder to write the rules files into.")
    var rulesDir: String = UdevRules.defaultDirectory

    @Flag(help: "Do not run udevadm afterwards (for a --rules-dir that udev does not read, or a system without udev).")
    var noReload = false

    func run(console: Console) async throws {
        let installer = UdevRulesInstaller(
            rulesDirectory: rulesDir, reload: !noReload,
            invocation: "mlprov udev install" + (rulesDir == UdevRules.defaultDirectory ? "" : " --rules-dir \(rulesDir)") + (noReload ? " --no-reload" : ""))
        if dryRun {
            for file in installer.files {
                console.result("would write \(installer.path(of: file)) (mode 0644, \(file.text.utf8.count) bytes)")
            }
            for command in installer.reloadCommands { console.result("would run \(command.joined(separator: " "))") }
            if let action = installer.rootNeededFor { console.info("note: \(action) needs root: use sudo") }
            return
        }
        try installer.install()
        for path in installer.rulesPaths { console.result("wrote \(path)") }
        for command in installer.reloadCommands { console.result("ran \(command.joined(separator: " "))") }
        if !installer.reloadCommands.isEmpty { console.info("Replug the adapters so that the rules apply to them.") }
    }
}

struct UdevShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the rules files `udev install` writes.",
        discussion: """
            Prints every file, each after a `# ==> NAME <==` line; with --file only that \
            file's text, as installed.

            Examples:
              mlprov udev show
              mlprov udev show --file 70-mlprov-uaccess.rules > 70-mlprov-uaccess.rules
            """)

    @Option(help: "Print only this file (\(UdevRules.files.map(\.name).joined(separator: " or "))).")
    var file: String?

    func validate() throws {
        if let file, !UdevRules.files.contains(where: { $0.name == file }) {
            throw ValidationError("no rules file \(file); the files are \(UdevRules.files.map(\.name).joined(separator: ", "))")
        }
    }

    func run() {
        let console = Console()
        let chosen = UdevRules.files.filter { file == nil || $0.name == file }
        for (index, rules) in chosen.enumerated() {
            if file == nil { console.result((index == 0 ? "" : "\n") + "# ==> \(rules.name) <==") }
            console.result(rules.text.hasSuffix("\n") ? String(rules.text.dropLast()) : rules.text)
        }
    }
}
