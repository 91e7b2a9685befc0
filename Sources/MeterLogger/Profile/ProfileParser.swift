import Basics
import Foundation
import Yams

extension InstallationProfile {
    /// Reads and checks the profile at `path`; relative paths inside resolve against the
    /// file's folder. Throws every problem found, in file order.
    public static func load(path: String) throws(ProfileError) -> InstallationProfile {
        let url = URL(fileURLWithPath: path)
        let unreadable = { (reason: String) in
            ProfileError(issues: [ProfileIssue(
                kind: .unreadable, file: path, location: SourceLocation(line: 1, column: 1), path: ProfileParser.rootPath,
                message: "cannot read the file: \(reason)", allowed: "a YAML installation profile, see profiles/README.md"
            )])
        }
        let text: String
        do { text = try TextFile.read(url.path) } catch { throw unreadable(error.reason) }
        return try InstallationProfile(yaml: text, file: path, baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses and checks a profile's YAML. `file` names it in messages; relative paths
    /// resolve against `baseDirectory`.
    public init(yaml: String, file: String, baseDirectory: URL) throws(ProfileError) {
        let parser = ProfileParser(reader: NodeReader(file: file), baseDirectory: baseDirectory)
        guard let profile = parser.parse(yaml: yaml) else { throw ProfileError(issues: parser.reader.issues) }
        self = profile
    }
}

/// Walks a profile's YAML nodes, checking each against the schema (ProfileSchema,
/// profiles/README.md) and collecting every problem before giving up.
struct ProfileParser {
    /// The path that names the document as a whole in messages.
    static let rootPath = "profile"

    let reader: NodeReader
    let baseDirectory: URL

    /// The profile, or nil when the reader has collected issues.
    func parse(yaml: String) -> InstallationProfile? {
        guard let root = compose(yaml) else { return nil }
        guard let top = reader.mapping(
            root, Self.rootPath, allowed: ProfileSchema.topLevelKeys,
            what: "a mapping with installation, firmware, devices and optionally flash, defaults, network"
        ) else { return nil }

        let name = readInstallationName(top)
        let firmware = readFirmware(top)
        let flash = top["flash"].map(readFlash) ?? FlashSettings()
        let defaults = top["defaults"].flatMap { node in
            reader.mapping(node, "defaults", allowed: ProfileSchema.variantKeys, what: "the devices' default settings")
        }.map(readVariantSettings)
        if let defaults, defaults.settings.meter == .impulse {
            refuseKamstrupOnly(defaults, in: "defaults", because: ", and the default meter is impulse")
        }
        let network = top["network"].flatMap(readNetwork)
        let devices = readDevices(top, defaults: defaults)

        guard reader.issues.isEmpty, let name, let firmware, let devices else { return nil }
        return InstallationProfile(
            name: name, file: reader.file, firmware: firmware, flash: flash,
            defaults: defaults?.settings ?? VariantSettings(), network: network, devices: devices
        )
    }

    // MARK: YAML

    func compose(_ yaml: String) -> Node? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, .default, .default, .utf8)
        } catch let error as YamlError {
            reportSyntax(error, in: yaml)
            return nil
        } catch {
            reader.report(.syntax, at: SourceLocation(line: 1, column: 1), "YAML", "\(error)")
            return nil
        }
        guard let root else {
            reader.report(.missing, at: SourceLocation(line: 1, column: 1), Self.rootPath, "the profile is empty",
                          allowed: "a mapping with installation, firmware and devices, see profiles/README.md")
            return nil
        }
        return root
    }

    /// The parser's own position and words; never a snippet of the text (it may hold a key).
    func reportSyntax(_ error: YamlError, in yaml: String) {
        func location(_ mark: Mark) -> SourceLocation { SourceLocation(line: mark.line, column: mark.column) }
        func context(_ context: YamlError.Context?) -> String? {
            context.map { "\($0.text) at \(location($0.mark))" }
        }
        switch error {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _),
             .composer(let ctx, let problem, let mark, _):
            reader.report(.syntax, at: location(mark), "YAML", problem, allowed: context(ctx))
        case .reader(let problem, let offset, _, _):
            reader.report(.syntax, at: Self.location(ofCharacter: offset ?? 0, in: yaml), "YAML", problem)
        case .duplicatedKeysInMapping(let duplicates, let ctx):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            reader.report(.syntax, at: location(ctx.mark), "YAML", "the key \(keys) appears more than once in one mapping",
                          allowed: "write each key once")
        default:
            reader.report(.syntax, at: SourceLocation(line: 1, column: 1), "YAML", "\(error)")
        }
    }

    static func location(ofCharacter offset: Int, in text: String) -> SourceLocation {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character.isNewline { line += 1; column = 1 } else { column += 1 }
        }
        return SourceLocation(line: line, column: column)
    }

    // MARK: installation, firmware, flash

    func readInstallationName(_ top: Fields) -> String? {
        guard let node = top["installation"] else {
            reader.missing("installation", in: top, allowed: "installation: {name: …}")
            return nil
        }
        guard let fields = reader.mapping(node, "installation", allowed: ProfileSchema.installationKeys, what: "installation: {name: …}") else {
            return nil
        }
        guard let nameNode = fields["name"] else {
            reader.missing("name", in: fields, allowed: "the installation's name, e.g. name: Ryttergården block 4")
            return nil
        }
        guard let name = reader.text(nameNode, "installation.name", allowed: "the installation's name") else { return nil }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            reader.report(.invalidValue, at: nameNode, "installation.name", "the name is empty", allowed: "the installation's name")
            return nil
        }
        return name
    }

    func readFirmware(_ top: Fields) -> FirmwareSource? {
        let choices = "exactly one of source: <source folder>, release: <release folder>, manifest: <manifest.json>"
        guard let node = top["firmware"] else {
            reader.missing("firmware", in: top, allowed: "firmware: {\(choices)}")
            return nil
        }
        guard let fields = reader.mapping(node, "firmware", allowed: ProfileSchema.firmwareKeys, what: choices) else { return nil }
        let sources = fields.ordered.filter { $0.name != "init_data" }
        guard let chosen = sources.first else {
            reader.report(.missing, at: node, "firmware", "no firmware source given", allowed: choices)
            return nil
        }
        for other in sources.dropFirst() {
            reader.report(.conflict, at: other.entry.key, "firmware.\(other.name)",
                          "\(chosen.name) is already given at \(reader.location(of: chosen.entry.key))", allowed: choices)
        }
        let path = "firmware.\(chosen.name)"
        guard let text = nonEmptyText(chosen.entry.value, path, allowed: "a path, relative to the profile's folder or absolute") else {
            return nil
        }
        let url = resolve(text)
        var initData = FirmwareSource.defaultInitData
        if let initNode = fields["init_data"] {
            if chosen.name != "source" {
                reader.report(.conflict, at: fields.keyNode("init_data") ?? initNode, "firmware.init_data",
                              "only a source tree is built; a \(chosen.name) brings its own init data", allowed: "init_data with source:")
            } else if let given = nonEmptyText(initNode, "firmware.init_data", allowed: "a path relative to the source folder") {
                initData = given
            }
        }
        switch chosen.name {
        case "source": return .sourceTree(url, initData: initData)
        case "release": return .release(url)
        default: return .manifest(url)
        }
    }

    func readFlash(_ node: Node) -> FlashSettings {
        let defaults = FlashSettings()
        guard let fields = reader.mapping(node, "flash", allowed: ProfileSchema.flashKeys, what: "flash: {mode, size, freq, baud}") else {
            return defaults
        }
        let caseInsensitive = { (name: String, text: String) in name.lowercased() == text.lowercased() }
        return FlashSettings(
            mode: fields["mode"].flatMap { reader.choice($0, "flash.mode", ProfileSchema.flashModes, matching: caseInsensitive) } ?? defaults.mode,
            size: fields["size"].flatMap { reader.choice($0, "flash.size", ProfileSchema.flashSizes, matching: caseInsensitive) } ?? defaults.size,
            frequency: fields["freq"].flatMap { reader.choice($0, "flash.freq", ProfileSchema.flashFrequencies, matching: caseInsensitive) }
                ?? defaults.frequency,
            baud: fields["baud"].flatMap {
                reader.integer($0, "flash.baud", in: FlashSettings.baudRange, allowed: "a baud rate from 9600 to 4000000, e.g. 921600")
            } ?? defaults.baud
        )
    }

    // MARK: Helpers

    func nonEmptyText(_ node: Node, _ path: String, allowed: String) -> String? {
        guard let text = reader.text(node, path, allowed: allowed) else { return nil }
        guard !text.isEmpty else {
            reader.report(.invalidValue, at: node, path, "the path is empty", allowed: allowed)
            return nil
        }
        return text
    }

    func resolve(_ path: String) -> URL {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
        return url.standardizedFileURL
    }
}
