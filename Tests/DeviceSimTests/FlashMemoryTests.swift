import DeviceSim
import Foundation
import Testing

struct FlashMemoryTests {
    @Test func programmingANDsBitsAndEraseRestoresFF() throws {
        var flash = FlashMemory(size: 64 * 1024)
        try flash.program([0xF0, 0x0F], at: 0x1FFF)
        try flash.program([0x3C, 0xFF], at: 0x1FFF)
        #expect(flash.read(0x1FFF..<0x2001) == [0x30, 0x0F])
        try flash.erase(0x1FFF..<0x2000)  // touches sector 1 only
        #expect(flash.read(0x1FFF..<0x2001) == [0xFF, 0x0F])
    }

    @Test func accessesPastTheEndAreRefused() {
        var flash = FlashMemory(size: 8192)
        #expect(throws: FlashMemoryError.self) { try flash.program([1, 2], at: 8191) }
        #expect(throws: FlashMemoryError.self) { try flash.eraseSector(2) }
    }

    @Test func shortDumpLoadsWithTheRestErasedAndLongDumpIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let short = directory.appendingPathComponent("short.bin").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: short))
        let flash = try FlashMemory(size: 4096, contentsOfFile: short)
        #expect(flash.read(0..<5) == [1, 2, 3, 0xFF, 0xFF])

        let long = directory.appendingPathComponent("long.bin").path
        try Data(count: 8192).write(to: URL(fileURLWithPath: long))
        #expect(throws: FlashMemoryError.self) { try FlashMemory(size: 4096, contentsOfFile: long) }

        let dump = directory.appendingPathComponent("dump.bin").path
        try Data(count: 4096).write(to: URL(fileURLWithPath: dump))  // an older, wider-mode dump
        _ = chmod(dump, 0o644)
        try flash.dump(toFile: dump)
        #expect(try FlashMemory(size: 4096, contentsOfFile: dump) == flash)
        // A flash holds keys: the dump is the owner's only.
        let mode = (try FileManager.default.attributesOfItem(atPath: dump)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
    }
}
