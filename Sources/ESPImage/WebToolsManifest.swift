import Basics
import Foundation

/// An ESP Web Tools manifest (`manifest.json`), as MeterLogger's server publishes one per
/// release folder (docs/meterlogger-build.md, "Release folders and the ESP Web Tools manifest"): `{"name", "version", "builds": [{"chipFamily":
/// "ESP8266", "parts": [{"path", "offset"}]}]}`. Offsets are JSON numbers; paths are
/// relative to the manifest. The MeterLogger layer builds one from its flash layout.
public struct WebToolsManifest: Codable, Equatable, Sendable {
    public struct Part: Codable, Equatable, Sendable {
        public var path: String
        public var offset: Int
        public init(path: String, offset: Int) {
            self.path = path
            self.offset = offset
        }
    }

    public struct Build: Codable, Equatable, Sendable {
        /// "ESP8266", "ESP32", … as ESP Web Tools spells chip families.
        public var chipFamily: String
        public var parts: [Part]
        public init(chipFamily: String, parts: [Part]) {
            self.chipFamily = chipFamily
            self.parts = parts
        }
    }

    public static let esp8266 = "ESP8266"

    public var name: String
    public var version: String
    public var builds: [Build]

    public init(name: String, version: String, builds: [Build]) {
        self.name = name
        self.version = version
        self.builds = builds
    }

    /// Reads a manifest, checking what a flasher relies on: at least one build, parts with
    /// a path and a non-negative offset.
    public init(json bytes: [UInt8]) throws(ManifestError) {
        let manifest: WebToolsManifest
        do {
            manifest = try JSONDecoder().decode(WebToolsManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .malformed(Self.describe(error))
        } catch {
            throw .malformed(String(describing: error))
        }
        guard !manifest.builds.isEmpty else { throw .noBuilds }
        for (buildIndex, build) in manifest.builds.enumerated() {
            for (partIndex, part) in build.parts.enumerated() {
                if part.path.isEmpty { throw .badPart(build: buildIndex, part: partIndex, reason: "empty path") }
                if part.offset < 0 { throw .badPart(build: buildIndex, part: partIndex, reason: "negative offset \(part.offset)") }
            }
        }
        self = manifest
    }

    /// The manifest as pretty-printed JSON with sorted keys (stable bytes for the same manifest).
    public func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and arrays cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return [UInt8](data) + [0x0A]
    }

    /// The build for `chipFamily` (ESP8266 by default).
    public func build(for chipFamily: String = esp8266) -> Build? {
        builds.first { $0.chipFamily.caseInsensitiveCompare(chipFamily) == .orderedSame }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "the top level" : String(path.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            let where_ = context.codingPath.isEmpty ? "the top level" : path(context)
            return "\"\(key.stringValue)\" is missing in \(where_)"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(path(context)) should be \(type == Int.self ? "a number" : type == String.self ? "a string" : "\(type)")"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}

/// What is wrong with a manifest.
public enum ManifestError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case noBuilds
    case badPart(build: Int, part: Int, reason: String)

    public var description: String {
        switch self {
        case .malformed(let what): "manifest.json is not an ESP Web Tools manifest: \(what)"
        case .noBuilds: "manifest.json has no builds"
        case .badPart(let build, let part, let reason): "manifest.json builds[\(build)].parts[\(part)]: \(reason)"
        }
    }

    public var help: String? {
        "expected {\"name\", \"version\", \"builds\": [{\"chipFamily\": \"ESP8266\", \"parts\": [{\"path\", \"offset\"}]}]}"
    }
}
