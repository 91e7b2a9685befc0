import ArgumentParser
import Foundation
import MeterLogger
import Provisioning

/// `mlprov keys generate`: record a key for a serial (or a profile's devices) ahead of use.
struct KeysGenerateCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate and record a key for a serial, or for a profile's devices.",
        discussion: """
            A serial that already has a key keeps it: the command then says so and changes \
            nothing. With --profile, devices with `key: generate` get a key from OpenSSL's \
            random generator and devices with a key in the profile have it recorded (a \
            different key already in the ledger for that serial is refused). Keys are never \
            printed; `mlprov keys export` shows them.

            Examples:
              mlprov keys generate --serial 9999999 --installation "Ryttergården, block 4"
              mlprov keys generate --profile profiles/district-heating-block.yaml --all
              mlprov keys generate --profile profiles/district-heating-block.yaml --serial 7310001
            """)

    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The meter's serial (1 to 10 decimal digits).")
    var serial: String?

    @Option(help: "Installation the key belongs to (with --serial alone; a profile names its own).")
    var installation: String?

    @Option(help: "Installation profile (YAML) whose devices get keys, e.g. profiles/district-heating-block.yaml.")
    var profile: String?

    @Flag(help: "With --profile: every device of the profile.")
    var all = false

    /// Test hook: after the key is committed and reported, wait to be killed (what a crash
    /// between recording a key and flashing it looks like).
    @Flag(help: .hidden)
    var holdAfterRecording = false

    func validate() throws {
        if profile != nil {
            guard (serial != nil) != all else { throw ValidationError("with --profile, give either --serial S or --all") }
            guard installation == nil else { throw ValidationError("--installation goes with --serial alone; the profile names its installation") }
        } else {
            guard !all else { throw ValidationError("--all needs --profile P") }
            guard let serial else { throw ValidationError("give --serial S, or --profile P with --serial S or --all") }
            guard MeterSerial(serial) != nil else { throw ValidationError("--serial '\(serial)' is not a meter serial (1 to 10 decimal digits)") }
        }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        var issued: [IssuedKey] = []
        var failure: KeyStoreError?
        let store = try ledgerOptions.open()
        if let profile {
            let installation = try InstallationProfile.load(path: profile)
            let resolver = KeyResolver(store: store)
            for device in try selectDevices(installation, serial: serial, all: all) {
                do throws(KeyStoreError) {
                    let key = try resolver.resolve(device, in: installation)
                    issued.append(key)
                    if !output.json { console.result(line(for: key)) }
                } catch {
                    // Keep going: the other devices' keys are independent of this one.
                    console.info("error: \(error.description)")
                    failure = failure ?? error
                }
            }
        } else if let text = serial, let serial = MeterSerial(text) {
            let key = try store.issueKey(for: serial, installation: installation)
            issued.append(key)
            if !output.json { console.result(line(for: key)) }
        }
        if output.json {
            console.json(GenerateReport(ok: failure == nil, keys: issued.map(GenerateReport.Key.init)))
        }
        if let failure {
            if let help = failure.help { console.info("help: \(help)") }
            throw ExitCode(1)
        }
        if holdAfterRecording {
            while true { sleep(3600) }
        }
    }

    private func line(for key: IssuedKey) -> String {
        let how = switch key.outcome {
        case .generated: "generated now"
        case .recorded: "from the profile"
        case .existing: "already in the ledger"
        }
        return "\(key.serial.ledgerText): key recorded (\(how))"
    }
}

struct GenerateReport: Encodable {
    struct Key: Encodable {
        var serial: String
        var outcome: String
        init(_ key: IssuedKey) {
            serial = key.serial.ledgerText
            outcome = key.outcome.rawValue
        }
    }
    var ok: Bool
    var keys: [Key]
}
