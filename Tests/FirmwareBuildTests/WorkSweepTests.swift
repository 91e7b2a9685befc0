import FirmwareBuild
import Foundation
import Testing
import TestSupport

@Suite("Abandoned build trees")
struct WorkSweepTests {
    /// A pid that no process has now.
    static func deadPID() throws -> Int32 {
        for candidate in stride(from: Int32(4_000_000), to: 4_100_000, by: 997) where kill(candidate, 0) != 0 && errno == ESRCH {
            return candidate
        }
        throw CocoaError(.featureUnsupported)
    }

    @Test("a killed build's tree (its key included) is swept; a running build's tree stays")
    func sweepsOnlyTheDead() throws {
        let cache = try temporaryDirectory("sweep")
        defer { try? FileManager.default.removeItem(at: cache) }
        let work = cache.appendingPathComponent("work")
        let dead = work.appendingPathComponent("\(try Self.deadPID())-0F1E2D3C")
        let legacy = work.appendingPathComponent("C0FFEE00-1111-2222-3333-444455556666")
        let alive = work.appendingPathComponent("\(getpid())-5A5A5A5A")
        for folder in [dead, legacy, alive] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("#define KEY {…}\n".utf8).write(to: folder.appendingPathComponent("key.h"))
        }

        FirmwareBuilder.sweepAbandonedWork(in: cache)

        #expect(!FileManager.default.fileExists(atPath: dead.path), "the dead build's tree is gone")
        #expect(!FileManager.default.fileExists(atPath: legacy.path), "a tree of the old naming is gone")
        #expect(FileManager.default.fileExists(atPath: alive.appendingPathComponent("key.h").path), "a running build's tree stays")
    }
}
