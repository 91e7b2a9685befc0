import Basics
import ArgumentParser
import FirmwareBuild
import Foundation
import MeterLogger
import Provisioning

struct BuildCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the firmware variants of a profile's devices (cached).",
        discussion: """
            Each device's key comes from the key ledger (`key: generate` devices get one there, \
            recorded before it is used; a key given in the profile is recorded or checked). Each \
            device's variant is built with the firmware's own `make clean all` in a private \
            copy of the source tree; KEY and SERIAL reach make through the environment and never \
            the log. Results are cached by source content and variables: a second build of the \
            same device returns at once. mlprov itself serves as the Makefile's ESPTOOL.

            Examples:
              mlprov build --profile profiles/demo-twin.yaml --serial 9999999 --json
              mlprov build --profile profiles/demo-twin.yaml --all --jobs 2
            """)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var ledgerOptions: LedgerOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The device to build, by serial.")
    var serial: String?

    @Flag(help: "Build every device of the profile.")
    var all = false

    @Option(help: "Builds to run at once.")
    var jobs = 1

    @Option(help: "Cache folder (default: ~/.cache/mlprov/firmware).")
    var cache: String?

    func validate() throws {
        guard (serial != nil) != all else { throw ValidationError("give either --serial S or --all") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let profile = try profileOptions.load()
        let devices = try selectDevices(profile, serial: serial, all: all)
        let keys = KeyResolver(store: try ledgerOptions.open())
        let requests = try devices.map { device in
            (device, try BuildRequest(profile: profile, device: device, key: try keys.key(for: device, in: profile)))
        }
        let builder = firmwareBuilder(cache: cache)
        let results = await builder.build(requests.map(\.1), jobs: jobs)
        var reports: [BuildReport] = []
        var failures: [BuildError] = []
        for ((device, _), result) in zip(requests, results) {
            switch result {
            case .success(let outcome):
                reports.append(BuildReport(serial: device.serial.text, outcome: outcome))
                if !output.json {
                    console.result("\(device.serial.text): \(outcome.artefacts.label) \(outcome.cacheHit ? "(cached)" : "built in \(String(format: "%.1f", outcome.seconds)) s") → \(outcome.artefacts.directory)")
                }
            case .failure(let error):
                failures.append(error)
                console.info("error: \(device.serial.text): \(error)")
            }
        }
        if output.json { console.json(BuildSummary(ok: failures.isEmpty, builds: reports)) }
        if let first = failures.first {
            if let help = first.help { console.info("help: \(help)") }
            throw ExitCode(1)
        }
    }
}

/// The devices a command works on: one by serial, or all of them.
func selectDevices(_ profile: InstallationProfile, serial: String?, all: Bool) throws -> [Device] {
    if all { return profile.devices }
    guard let serial, let device = profile.device(serial: serial) else {
        throw CommandFailure(
            message: "\(profile.file) has no device with serial \(serial ?? "")",
            help: "its devices: " + profile.devices.map(\.serial.text).joined(separator: ", "))
    }
    return [device]
}

/// The builder with mlprov itself as the Makefile's ESPTOOL (elf2image).
func firmwareBuilder(cache: String?) -> FirmwareBuilder {
    let cacheRoot = cache.map { URL(fileURLWithPath: $0) } ?? FirmwareBuilder.defaultCacheRoot()
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return FirmwareBuilder(cacheRoot: cacheRoot, esptool: me)
}

struct BuildReport: Encodable {
    var serial: String
    var variant: String
    var cacheHit: Bool
    var seconds: Double
    var directory: String
    var parts: [FirmwareArtefacts.Part]
    var manifest: String
    var log: String

    init(serial: String, outcome: BuildOutcome) {
        self.serial = serial
        variant = outcome.artefacts.label
        cacheHit = outcome.cacheHit
        seconds = outcome.seconds
        directory = outcome.artefacts.directory
        parts = outcome.artefacts.parts
        manifest = outcome.artefacts.manifest
        log = outcome.artefacts.log
    }

    enum CodingKeys: String, CodingKey {
        case serial, variant, cacheHit = "cache_hit", seconds, directory, parts, manifest, log
    }
}

struct BuildSummary: Encodable {
    var ok: Bool
    var builds: [BuildReport]
}
