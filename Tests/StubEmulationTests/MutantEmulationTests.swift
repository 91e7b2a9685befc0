import ESPFlasher
import Foundation
import Testing
import TestSupport

extension StubEmulation {
    /// Mutation proof: three broken stubs, each built from a changed copy of firmware/stub and
    /// caught here by the part of the emulation made for it. Two are invisible to the host
    /// build (CStubHost on x86): the chip HAL's byte stores are not compiled there, and a
    /// host thread has megabytes of stack. The third (no erase) the host's flash array sees
    /// too; here it shows that the fake ROM's NOR model holds the chip build to the same rule.
    @Suite("The stub on an emulated LX106: mutants are caught")
    struct MutantEmulationTests {
        /// Replaces `old` by `new` in `file` of the copy, requiring that it was there.
        static func patch(_ folder: URL, _ file: String, _ old: String, _ new: String) throws {
            let url = folder.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            try #require(text.contains(old), "\(file) still holds the code the mutant changes")
            try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
        }

        /// MEM_BEGIN/MEM_DATA of 256 bytes into free IRAM, then a deflate write of 40 KB at
        /// 0x20000 over flash prefilled with 0x5A, verified by MD5.
        static func scenario(_ path: String) throws -> (memData: UInt8, md5Matches: Bool) {
            let client = try StubWireClient(path: path)
            defer { client.port.close() }
            var random = SplitMix64(seed: 11)
            let code = random.bytes(256)
            try client.send(0x05, le32(256) + le32(1) + le32(256) + le32(0x4010_F800))
            _ = try client.reply(0x05)
            try client.sendData(0x07, code, sequence: 0)
            let memData = try client.reply(0x07).status
            let image = random.bytes(20_000) + [UInt8](repeating: 0x42, count: 20_000)
            let compressed = zlib(image, level: 9)
            try client.send(0x10, le32(UInt32(image.count)) + le32(1) + le32(0x4000) + le32(0x2_0000))
            _ = try client.reply(0x10)
            for (sequence, start) in stride(from: 0, to: compressed.count, by: 0x4000).enumerated() {
                try client.sendData(0x11, Array(compressed[start..<min(start + 0x4000, compressed.count)]), sequence: sequence)
                _ = try client.reply(0x11)
            }
            try client.send(0x12, le32(1))
            _ = try client.reply(0x12)
            try client.send(0x13, le32(0x2_0000) + le32(UInt32(image.count)) + le32(0) + le32(0))
            let md5 = try client.reply(0x13)
            return (memData, md5.data == md5Digest(image))
        }

        @Test("the real stub passes the mutants' scenario cleanly")
        func realStubIsClean() async throws {
            let (outcome, run) = try await Emulator.run(try await Emulator.build(), fill: 0x5A) { try Self.scenario($0) }
            #expect(outcome.memData == 0 && outcome.md5Matches)
            run.expectClean(.eof)
        }

        @Test("byte stores to IRAM (MEM_DATA copied byte by byte): the plugin reports each store site with its PC")
        func byteStoresToIRAM() async throws {
            let build = try await Emulator.buildMutant("iram-bytes") { folder in
                try Self.patch(
                    folder, "esp8266/hal_esp8266.c",
                    "    volatile uint32_t *target = (volatile uint32_t *)(address & ~3u);\n    for (uint32_t i = 0; i + 4u <= count; i += 4u) {\n        *target++ = (uint32_t)bytes[i] | ((uint32_t)bytes[i + 1] << 8) | ((uint32_t)bytes[i + 2] << 16) |\n                    ((uint32_t)bytes[i + 3] << 24);\n    }",
                    "    volatile uint8_t *target = (volatile uint8_t *)address;\n    for (uint32_t i = 0; i < count; i++) target[i] = bytes[i];")
            }
            let (outcome, run) = try await Emulator.run(build, fill: 0x5A) { try Self.scenario($0) }
            #expect(outcome.memData == 0, "on x86 (and in QEMU without the plugin) the mutant works")
            #expect(run.iramViolations >= 256, "every byte store is seen: \(run)")
            #expect(run.violations.contains { $0.contains("store=1") && $0.contains("size=1") && $0.contains("addr=0x4010f8") }, "\(run.violations)")
        }

        @Test("writing without erasing: the NOR flash model counts the bytes programmed over unerased bits, and MD5 fails")
        func writingWithoutErasing() async throws {
            let build = try await Emulator.buildMutant("no-erase") { folder in
                try Self.patch(
                    folder, "core/stub_flash.c",
                    "    if (erase_ahead(stub, (uint64_t)address + count)) return STUB_ERR_FAILED_SPI_OP;\n",
                    "    (void)erase_ahead;\n")
            }
            let (outcome, run) = try await Emulator.run(build, fill: 0x5A) { try Self.scenario($0) }
            #expect(run.unerasedBytes > 10_000, "\(run)")
            #expect(run.number("sector_erases") == 0 && run.number("block_erases") == 0)
            #expect(!outcome.md5Matches, "NOR programming only clears bits: the data is wrong")
        }

        @Test("a 6 KiB array on the stack: the painted-stack and plugin measurements exceed the budget")
        func sixKiBStackArray() async throws {
            let build = try await Emulator.buildMutant("stack-6k") { folder in
                try Self.patch(
                    folder, "core/stub_serve.c",
                    "    while (stub->exit == STUB_EXIT_NONE) {\n        uint32_t length;\n",
                    "    while (stub->exit == STUB_EXIT_NONE) {\n        volatile uint32_t scratch[1536];\n        for (uint32_t i = 0; i < 1536u; i++) scratch[i] = i;\n        uint32_t length;\n")
            }
            let (outcome, run) = try await Emulator.run(build, fill: 0x5A) { try Self.scenario($0) }
            #expect(outcome.memData == 0 && outcome.md5Matches, "functionally the mutant is fine")
            #expect(run.stack > 6 * 1024 && run.stack > Emulator.stackBudget, "\(run)")
            #expect(run.pluginStack > 6 * 1024, "\(run)")
        }
    }
}
