import Basics
import Crypto
import Foundation

/// A make-based firmware source tree, identified by a hash of its content: the relative
/// path, executable bit and bytes of every file, in path order. Build outputs and version
/// control folders are left out, so building in place does not change the hash.
public struct SourceTree: Sendable {
    public let directory: URL
    /// Folders (at any depth) that never count as source.
    public static let ignoredFolders: Set<String> = [".git", "build", ".build"]
    /// Files a build writes (MeterLogger's outputs), relative to the root.
    public static let ignoredFiles: Set<String> = ["firmware/0x00000.bin", "firmware/0x10000.bin", "webpages.espfs"]

    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
    }

    /// The relative paths of the source files, sorted.
    public func files() throws(BuildError) -> [String] {
        let root = directory.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw .sourceMissing(path: root)
        }
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw .sourceMissing(path: root)
        }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            let type = enumerator.fileAttributes?[.type] as? FileAttributeType
            if type == .typeDirectory {
                if Self.ignoredFolders.contains(name) { enumerator.skipDescendants() }
                continue
            }
            guard type == .typeRegular, !Self.ignoredFiles.contains(path) else { continue }
            paths.append(path)
        }
        return paths.sorted()
    }

    /// SHA-256 over every source file's path, mode and content.
    public func contentHash() throws(BuildError) -> String {
        var hasher: SHA256
        do { hasher = try SHA256() } catch { throw .hashing(error) }
        for path in try files() {
            let full = directory.appendingPathComponent(path).path
            guard let data = FileManager.default.contents(atPath: full) else { throw .sourceUnreadable(path: full) }
            let executable = FileManager.default.isExecutableFile(atPath: full)
            do {
                try hasher.update("\(path)\0\(executable ? "x" : "-")\0\(data.count)\0")
                try hasher.update(Array(data))
            } catch {
                throw .hashing(error)
            }
        }
        do { return try hexString(hasher.finish()) } catch { throw .hashing(error) }
    }

    /// Copies the source files into `destination` (created), keeping executable bits.
    public func copy(to destination: URL) throws(BuildError) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: destination, withIntermediateDirectories: true)
            for path in try files() {
                let target = destination.appendingPathComponent(path)
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try manager.copyItem(at: directory.appendingPathComponent(path), to: target)
            }
        } catch let error as BuildError {
            throw error
        } catch {
            throw .workspace(path: destination.path, reason: "\(error)")
        }
    }
}
