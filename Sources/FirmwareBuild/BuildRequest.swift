import Foundation
import MeterLogger

/// One make variable, e.g. EN61107=1.
public typealias MakeVariable = MakeVariables.Entry

/// What to build: a source tree, the variant's variables, and the device's secrets.
/// Public variables go on make's command line (and into the log); secrets go through the
/// environment (not visible in process lists), are redacted from the log, and enter the
/// cache key only through a hash.
public struct BuildRequest: Sendable {
    public var source: SourceTree
    /// The variant's variables, in the order make should see them.
    public var variables: [MakeVariable]
    /// KEY, SERIAL: never logged.
    public var secrets: [MakeVariable]
    /// The RF init data file written at 0xFC000, relative to the source root.
    public var initDataPath: String
    /// How messages name this build: the variant's id, never the key.
    public var label: String

    public init(source: SourceTree, variables: [MakeVariable], secrets: [MakeVariable], initDataPath: String, label: String) {
        self.source = source
        self.variables = variables
        self.secrets = secrets
        self.initDataPath = initDataPath
        self.label = label
    }
}

extension BuildRequest {
    /// The build of `device` from `profile`'s source tree, with the key the profile gives it.
    public init(profile: InstallationProfile, device: Device) throws(BuildError) {
        guard let key = device.key.givenKey else { throw .keyNotGiven(serial: device.serial.text) }
        try self.init(profile: profile, device: device, key: key)
    }

    /// The build of `device` from `profile`'s source tree, with `key` (the device's own, or
    /// one the key store handed out for it).
    public init(profile: InstallationProfile, device: Device, key: DeviceKey) throws(BuildError) {
        guard case .sourceTree(let folder, let initData) = profile.firmware else {
            throw .notASourceTree(path: profile.firmware.url.path)
        }
        let variant = profile.variant(for: device)
        self.init(
            source: SourceTree(directory: folder), variables: Array(variant.makeVariables),
            secrets: Array(device.secrets(key: key).revealedMakeVariables()),
            initDataPath: initData, label: variant.id)
    }
}

/// A finished build's files, as kept in the cache.
public struct FirmwareArtefacts: Codable, Equatable, Sendable {
    public struct Part: Codable, Equatable, Sendable {
        public var name: String
        public var offset: Int
        public var path: String
        public var bytes: Int
    }
    public var label: String
    public var cacheKey: String
    public var directory: String
    /// The five files in flash order: app image, irom, web pages, RF init data, blank.
    public var parts: [Part]
    public var manifest: String
    public var log: String

    enum CodingKeys: String, CodingKey {
        case label = "variant", cacheKey = "cache_key", directory, parts, manifest, log
    }
}

/// What `FirmwareBuilder.build` returns.
public struct BuildOutcome: Sendable {
    public var artefacts: FirmwareArtefacts
    /// The artefacts came from the cache; make did not run.
    public var cacheHit: Bool
    public var seconds: Double
}
