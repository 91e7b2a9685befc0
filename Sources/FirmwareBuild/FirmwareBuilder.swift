import Basics
import Crypto
import ESPImage
import Foundation
import MeterLogger
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Builds firmware variants with the firmware's own `make clean all`, each in a private
/// copy of the source tree (so builds of different variants run in parallel and never
/// collide), and keeps the results in a content-addressed cache: a request whose source
/// content, variables and secrets were built before returns at once.
///
/// Cache layout under `cacheRoot` (folders 0700, files 0600: images hold device keys):
/// `artefacts/<key>/` the five parts, `manifest.json`, `build.log`, `artefacts.json`;
/// `work/<uuid>/` a build in progress; `failed/<label>-<uuid>.log` logs of failed builds.
public struct FirmwareBuilder: Sendable {
    public let cacheRoot: URL
    /// What the Makefile runs as `$(ESPTOOL) elf2image …`: the mlprov binary, or esptool.
    public let esptool: String
    /// The longest a single make may run.
    public var makeTimeout: Duration = .seconds(600)

    /// The five files of a MeterLogger flash and where each comes from: make writes the
    /// first three, the RF init data comes from the source tree, the blank sector is made.
    static let outputs: [(name: String, offset: Int, madeBy: Output)] = FlashLayout.meterLogger.flashedRegions.compactMap { region in
        guard let name = region.fileName else { return nil }
        switch region.content {
        case .appImage, .irom: return (name, region.offset, .make("firmware/\(name)"))
        case .webPages: return (name, region.offset, .make(name))
        case .rfInitData: return (name, region.offset, .initData)
        case .blank: return (name, region.offset, .blank(region.range.count))
        case .configuration, .stackTraceDump: return nil
        }
    }

    enum Output {
        case make(String)
        case initData
        case blank(Int)
    }

    /// Bumped when the way artefacts are made changes, so old cache entries are not reused.
    static let cacheFormat = "mlprov-firmware-cache-1"

    /// `$XDG_CACHE_HOME/mlprov/firmware`, or `$HOME/.cache/mlprov/firmware`: beside the
    /// ledger's `$HOME` (UserDirectories), never the password database's home while HOME
    /// says otherwise.
    public static func defaultCacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        URL(fileURLWithPath: UserDirectories.cacheHome(environment: environment)).appendingPathComponent("mlprov/firmware")
    }

    public init(cacheRoot: URL, esptool: String) {
        self.cacheRoot = cacheRoot
        self.esptool = esptool
    }

    /// The cache key of `request`: source content, variables, secrets (hashed), init data path.
    public func cacheKey(for request: BuildRequest, sourceHash: String) throws(BuildError) -> String {
        do throws(CryptoError) {
            var hasher = try SHA256()
            try hasher.update("\(Self.cacheFormat)\0\(sourceHash)\0\(request.initDataPath)\0")
            for variable in request.variables { try hasher.update("v\0\(variable.name)=\(variable.value)\0") }
            for secret in request.secrets { try hasher.update("s\0\(secret.name)=\(secret.value)\0") }
            return try hexString(hasher.finish())
        } catch {
            throw .hashing(error)
        }
    }

    /// Builds one request, or returns its cached artefacts.
    public func build(_ request: BuildRequest) async throws(BuildError) -> BuildOutcome {
        let started = ContinuousClock.now
        let key = try cacheKey(for: request, sourceHash: try request.source.contentHash())
        let entry = cacheRoot.appendingPathComponent("artefacts/\(key)")
        if let cached = Self.readArtefacts(in: entry) {
            return BuildOutcome(artefacts: cached, cacheHit: true, seconds: (ContinuousClock.now - started).seconds)
        }
        // A build killed half-way leaves its tree (with the key in it) behind: swept here.
        Self.sweepAbandonedWork(in: cacheRoot)
        let work = cacheRoot.appendingPathComponent("work/\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        try makePrivateFolder(work)
        try request.source.copy(to: work)
        try await runMake(request, in: work)
        let artefacts = try collect(request, from: work, key: key, into: entry)
        return BuildOutcome(artefacts: artefacts, cacheHit: false, seconds: (ContinuousClock.now - started).seconds)
    }

    /// Builds several requests, at most `jobs` at a time; results in request order.
    public func build(_ requests: [BuildRequest], jobs: Int) async -> [Result<BuildOutcome, BuildError>] {
        await withTaskGroup(of: (Int, Result<BuildOutcome, BuildError>).self) { group in
            var pending = requests.enumerated().makeIterator()
            var results = [Result<BuildOutcome, BuildError>?](repeating: nil, count: requests.count)
            for _ in 0..<max(1, jobs) {
                guard let (index, request) = pending.next() else { break }
                group.addTask { (index, await outcome(of: request)) }
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if let (nextIndex, request) = pending.next() {
                    group.addTask { (nextIndex, await outcome(of: request)) }
                }
            }
            return results.map { $0 ?? .failure(.workspace(path: cacheRoot.path, reason: "build was not run")) }
        }
    }

    private func outcome(of request: BuildRequest) async -> Result<BuildOutcome, BuildError> {
        do throws(BuildError) { return .success(try await build(request)) } catch { return .failure(error) }
    }

    // MARK: Steps

    private func runMake(_ request: BuildRequest, in work: URL) async throws(BuildError) {
        var environment: [Environment.Key: String?] = [:]
        for secret in request.secrets { environment[Environment.Key(stringLiteral: secret.name)] = secret.value }
        let arguments = ["clean", "all", "ESPTOOL=\(esptool)"] + request.variables.map { "\($0.name)=\($0.value)" }
        let timeout = makeTimeout
        let watchdog = Watchdog()
        defer { watchdog.disarm() }
        let result: ExecutionResult<Void, StringOutput<Unicode.UTF8>, CombinedErrorOutput>
        do {
            result = try await run(
                .name("make"), arguments: Arguments(arguments),
                environment: .inherit.updating(environment), workingDirectory: FilePath(work.path),
                input: .none, output: .string(limit: 64 << 20), error: .combinedWithOutput
            ) { execution in
                watchdog.arm(after: timeout) { try? execution.send(signal: .kill) }
            }
        } catch {
            throw .makeNotRunnable(reason: "\(error)")
        }
        let log = Self.redact(result.standardOutput, secrets: request.secrets)
        try writePrivate(Data(log.utf8), to: work.appendingPathComponent("build.log"))
        guard case .exited(0) = result.terminationStatus else {
            let failed = cacheRoot.appendingPathComponent("failed/\(request.label)-\(UUID().uuidString.prefix(8)).log")
            try makePrivateFolder(failed.deletingLastPathComponent())
            try writePrivate(Data(log.utf8), to: failed)
            let code: Int32? = if case .exited(let code) = result.terminationStatus { code } else { nil }
            let tail = log.split(separator: "\n", omittingEmptySubsequences: false).suffix(15).map(String.init)
            throw .makeFailed(label: request.label, exitCode: code, logTail: tail, logPath: failed.path)
        }
    }

    private func collect(_ request: BuildRequest, from work: URL, key: String, into entry: URL) throws(BuildError) -> FirmwareArtefacts {
        let staging = cacheRoot.appendingPathComponent("work/\(getpid())-\(UUID().uuidString)-out")
        try makePrivateFolder(staging)
        var parts: [FirmwareArtefacts.Part] = []
        for output in Self.outputs {
            let bytes: Data
            switch output.madeBy {
            case .make(let relative):
                guard let data = FileManager.default.contents(atPath: work.appendingPathComponent(relative).path) else {
                    throw .outputMissing(label: request.label, path: relative)
                }
                bytes = data
            case .initData:
                guard let data = FileManager.default.contents(atPath: work.appendingPathComponent(request.initDataPath).path) else {
                    throw .outputMissing(label: request.label, path: request.initDataPath)
                }
                bytes = data
            case .blank(let count):
                bytes = Data(repeating: 0xFF, count: count)
            }
            try writePrivate(bytes, to: staging.appendingPathComponent(output.name))
            parts.append(.init(name: output.name, offset: output.offset, path: entry.appendingPathComponent(output.name).path, bytes: bytes.count))
        }
        let manifest = ManifestFile(name: "MeterLogger \(request.label)", version: String(key.prefix(12)), parts: parts)
        try writePrivate(manifest.json(), to: staging.appendingPathComponent("manifest.json"))
        do {
            try FileManager.default.copyItem(at: work.appendingPathComponent("build.log"), to: staging.appendingPathComponent("build.log"))
        } catch {
            throw .workspace(path: staging.path, reason: "\(error)")
        }
        let artefacts = FirmwareArtefacts(
            label: request.label, cacheKey: key, directory: entry.path, parts: parts,
            manifest: entry.appendingPathComponent("manifest.json").path, log: entry.appendingPathComponent("build.log").path)
        try writePrivate(Self.encode(artefacts), to: staging.appendingPathComponent("artefacts.json"))
        try makePrivateFolder(entry.deletingLastPathComponent())
        do {
            try FileManager.default.moveItem(at: staging, to: entry)
        } catch {
            // Another build of the same key finished first: its artefacts are the same bytes.
            try? FileManager.default.removeItem(at: staging)
            if let existing = Self.readArtefacts(in: entry) { return existing }
            throw .workspace(path: entry.path, reason: "\(error)")
        }
        return artefacts
    }

    // MARK: Files

    static func readArtefacts(in entry: URL) -> FirmwareArtefacts? {
        guard let data = FileManager.default.contents(atPath: entry.appendingPathComponent("artefacts.json").path),
              let artefacts = try? JSONDecoder().decode(FirmwareArtefacts.self, from: data),
              artefacts.parts.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) })
        else { return nil }
        return artefacts
    }

    static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data()
    }

    /// Replaces every secret's value (as given, upper- and lowercase) with a marker.
    static func redact(_ log: String, secrets: [MakeVariable]) -> String {
        var text = log
        for secret in secrets where !secret.value.isEmpty {
            for form in Set([secret.value, secret.value.lowercased(), secret.value.uppercased()]) {
                text = text.replacingOccurrences(of: form, with: "<\(secret.name) redacted>")
            }
        }
        return text
    }

    /// Removes the work trees of builds whose process is gone (a killed `mlprov build` or
    /// station): `work/<pid>-<uuid>` whose pid no longer runs, and trees of the older
    /// `work/<uuid>` naming. Trees of running builds, in this or another process, stay.
    public static func sweepAbandonedWork(in cacheRoot: URL) {
        let folder = cacheRoot.appendingPathComponent("work")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names {
            let pid = name.split(separator: "-", maxSplits: 1).first.flatMap { Int32($0) }
            if let pid, pid > 0, kill(pid, 0) == 0 || errno == EPERM { continue }  // still running
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    private func makePrivateFolder(_ url: URL) throws(BuildError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .workspace(path: url.path, reason: "\(error)")
        }
    }

    private func writePrivate(_ data: Data, to url: URL) throws(BuildError) {
        do { try AtomicFile.write(Array(data), to: url.path) } catch { throw .workspace(path: url.path, reason: error.reason) }
    }
}

/// The ESP Web Tools manifest written beside the parts.
struct ManifestFile: Encodable {
    struct Build: Encodable {
        var chipFamily = "ESP8266"
        var parts: [Part]
    }
    struct Part: Encodable {
        var path: String
        var offset: Int
    }
    var name: String
    var version: String
    var builds: [Build]

    init(name: String, version: String, parts: [FirmwareArtefacts.Part]) {
        self.name = name
        self.version = version
        builds = [Build(parts: parts.map { Part(path: $0.name, offset: $0.offset) })]
    }

    func json() -> Data { FirmwareBuilder.encode(self) }
}
