import ESPFlasher
import Foundation
import Testing
import TestSupport

extension StubEmulation {
    /// The stub's protocol scenarios (the ones Tests/ESPFlasherTests runs against CStubHost on
    /// x86), here against the real cross-compiled stub on an emulated LX106 with the fake
    /// mask ROM. Flash contents are checked through the stub itself (MD5, READ_FLASH) and the
    /// ROM's flash-model counters; every run also asserts no IRAM byte access, nothing
    /// programmed over unerased bits, the HAL contract, the stack budget and how it ended.
    @Suite("The stub on an emulated LX106: protocol")
    struct StubProtocolEmulationTests {
        static let sync: [UInt8] = [0x07, 0x07, 0x12, 0x20] + [UInt8](repeating: 0x55, count: 32)

        @Test("greets with OHAI; SYNC gets eight replies with value 0; READ_REG reads the chip-detect word and UART registers; MEM_DATA to IRAM in words")
        func greetingSyncRegistersAndMemData() async throws {
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build) { path in
                // The greeting was the run's first output, exactly one OHAI frame (Emulator.run).
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                try client.send(0x08, Self.sync)
                for _ in 0..<8 {
                    let reply = try client.reply(0x08)
                    #expect(reply.value == 0 && reply.status == 0)
                }
                try client.send(0x0A, le32(0x4000_1000))
                #expect(try client.reply(0x0A).value == 0xFFF0_C101)
                try client.send(0x09, le32(0x6000_0100) + le32(0x1234_5678) + le32(0xFFFF_FFFF) + le32(0))
                #expect(try client.reply(0x09).status == 0)
                try client.send(0x0A, le32(0x6000_0100))
                #expect(try client.reply(0x0A).value == 0x1234_5678)
                try client.send(0x0A, le32(0x6000_0024))
                #expect(try client.reply(0x0A).value & 0x7F == 80, "CONF1 holds the stub's RX threshold")
                try client.send(0x0A, le32(0x3FF0_0050))
                #expect(try client.reply(0x0A).value == 0x5600_0000, "an efuse word reaches the model")
                try client.send(0x55, [])
                #expect(try client.reply(0x55).error == 0xFF, "an unknown command is not implemented")
                // MEM_BEGIN/MEM_DATA into free IRAM above the stub: word stores only.
                var random = SplitMix64(seed: 3)
                let code = random.bytes(256)
                try client.send(0x05, le32(256) + le32(1) + le32(256) + le32(0x4010_F800))
                #expect(try client.reply(0x05).status == 0)
                try client.sendData(0x07, code, sequence: 0)
                #expect(try client.reply(0x07).status == 0)
                for (index, word) in stride(from: 0, to: 256, by: 64).enumerated() {
                    try client.send(0x0A, le32(0x4010_F800 + UInt32(word)))
                    let value = try client.reply(0x0A).value
                    #expect(le32(value) == Array(code[word..<(word + 4)]), "IRAM word \(index)")
                }
            }
            run.expectClean(.eof)
            #expect(run.number("traps") > 0 && run.number("interrupts") > 0)
        }

        @Test("FLASH_DEFL_* writes compressed streams (levels 9 and 0) that MD5 agrees with; exactly the sectors written are erased", arguments: [9, 0])
        func deflateWriteAndMD5(level: Int32) async throws {
            var random = SplitMix64(seed: 0x5EED + UInt64(level))
            let image = random.bytes(60_000) + [UInt8](repeating: 0, count: 50_000) + Array(String(repeating: "MeterLogger ", count: 3_500).utf8)
            let offset = 0x2F000
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build, flashSize: 0x10_0000, fill: 0x5A) { path in
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                let compressed = zlib(image, level: level)
                let blockSize = 0x4000
                let blocks = stride(from: 0, to: compressed.count, by: blockSize).map { Array(compressed[$0..<min($0 + blockSize, compressed.count)]) }
                try client.send(0x10, le32(UInt32(image.count)) + le32(UInt32(blocks.count)) + le32(UInt32(blockSize)) + le32(UInt32(offset)))
                #expect(try client.reply(0x10).status == 0)
                for (sequence, block) in blocks.enumerated() {
                    try client.sendData(0x11, block, sequence: sequence)
                    let reply = try client.reply(0x11)
                    #expect(reply.status == 0, "block \(sequence): error \(reply.error)")
                }
                try client.send(0x13, le32(UInt32(offset)) + le32(UInt32(image.count)) + le32(0) + le32(0))
                let md5 = try client.reply(0x13)
                #expect(md5.status == 0 && md5.data == md5Digest(image))
                try client.send(0x12, le32(1))
                #expect(try client.reply(0x12).status == 0)
                // Outside the written sectors the flash is untouched; the rest of the last sector is erased.
                let end = offset + image.count, sectorEnd = (end + 0xFFF) & ~0xFFF
                try client.send(0x13, le32(UInt32(end)) + le32(UInt32(sectorEnd - end)) + le32(0) + le32(0))
                #expect(try client.reply(0x13).data == md5Digest([UInt8](repeating: 0xFF, count: sectorEnd - end)))
                try client.send(0x13, le32(0) + le32(UInt32(offset)) + le32(0) + le32(0))
                #expect(try client.reply(0x13).data == md5Digest([UInt8](repeating: 0x5A, count: offset)))
            }
            run.expectClean(.eof)
            let sectorEnd = (0x2F000 + image.count + 0xFFF) & ~0xFFF
            #expect(run.number("block_erases") == 2)
            #expect(run.number("sector_erases") == 1 + (sectorEnd - 0x50000) / 0x1000)
        }

        @Test("a block with a bad checksum is refused with 0xC1; a corrupt stream ends in 0xC7; no session is 0xC6")
        func checksumAndInflateErrors() async throws {
            var random = SplitMix64(seed: 7)
            let image = random.bytes(40_000)
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build) { path in
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                var compressed = zlib(image, level: 6)
                try client.send(0x10, le32(UInt32(image.count)) + le32(1) + le32(0x4000) + le32(0))
                #expect(try client.reply(0x10).status == 0)
                let first = Array(compressed[..<0x4000])
                try client.sendData(0x11, first, sequence: 0, checksum: UInt32(first.reduce(0xEF, ^) ^ 0x01))
                #expect(try client.reply(0x11).error == 0xC1)
                compressed[20_000] ^= 0xFF
                try client.send(0x10, le32(UInt32(image.count)) + le32(3) + le32(0x4000) + le32(0))
                #expect(try client.reply(0x10).status == 0)
                var errors: [UInt8] = []
                for (sequence, start) in stride(from: 0, to: compressed.count, by: 0x4000).enumerated() {
                    try client.sendData(0x11, Array(compressed[start..<min(start + 0x4000, compressed.count)]), sequence: sequence)
                    errors.append(try client.reply(0x11).error)
                }
                try client.send(0x12, le32(1))
                errors.append(try client.reply(0x12).error)
                #expect(errors.last == 0xC7, "replies: \(errors)")
                try client.send(0x10, le32(16))
                #expect(try client.reply(0x10).error == 0xC0)
                try client.send(0x12, le32(1))
                #expect(try client.reply(0x12).error == 0xC6)
            }
            run.expectClean(.eof)
        }

        @Test("plain FLASH_DATA of SLIP-heavy bytes, READ_FLASH with acknowledgements, ERASE_REGION, CHANGE_BAUDRATE, FLASH_END 0 reboots")
        func plainWriteReadFlashEraseBaudAndReboot() async throws {
            var random = SplitMix64(seed: 99)
            let image = (0..<9_000).map { index -> UInt8 in
                let specials: [UInt8] = [0xC0, 0xDB, 0xDC, 0xDD]
                return index % 3 == 0 ? specials[index % 4] : UInt8(truncatingIfNeeded: random.next())
            }
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build, flashSize: 0x8_0000, fill: 0x11, endsByItself: true) { path in
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                try client.send(0x02, le32(UInt32(image.count)) + le32(3) + le32(0x1000) + le32(0x1_0000))
                #expect(try client.reply(0x02).status == 0)
                for (sequence, start) in stride(from: 0, to: image.count, by: 0x1000).enumerated() {
                    var block = Array(image[start..<min(start + 0x1000, image.count)])
                    block += [UInt8](repeating: 0xFF, count: 0x1000 - block.count)
                    try client.sendData(0x03, block, sequence: sequence)
                    #expect(try client.reply(0x03).status == 0)
                }
                try client.sendData(0x03, [UInt8](repeating: 0, count: 16), sequence: 3)
                #expect(try client.reply(0x03).error == 0xC9)
                try client.send(0x04, le32(1))
                #expect(try client.reply(0x04).status == 0)

                let readOffset = 0x1_0003, readLength = 7_777
                try client.send(0xD2, le32(UInt32(readOffset)) + le32(UInt32(readLength)) + le32(1000) + le32(2))
                #expect(try client.reply(0xD2).status == 0)
                var received: [UInt8] = []
                while received.count < readLength {
                    received += try client.frame()
                    try client.sendRaw(le32(UInt32(received.count)))
                }
                let digest = try client.frame()
                #expect(byteDifference(received, image[3..<(3 + readLength)]) == nil)
                #expect(digest == md5Digest(received))

                try client.send(0xD1, le32(0x1_1000) + le32(0x1000))
                #expect(try client.reply(0xD1).status == 0)
                try client.send(0xD1, le32(0x1_1001) + le32(0x1000))
                #expect(try client.reply(0xD1).error == 0xC0)
                try client.send(0x13, le32(0x1_1000) + le32(0x1000) + le32(0) + le32(0))
                #expect(try client.reply(0x13).data == md5Digest([UInt8](repeating: 0xFF, count: 0x1000)), "ERASE_REGION erased the sector")
                try client.send(0x13, le32(0x1_2000) + le32(UInt32(image.count - 0x2000)) + le32(0) + le32(0))
                #expect(try client.reply(0x13).data == md5Digest(Array(image[0x2000...])))

                // CHANGE_BAUDRATE: answered at the old rate, then the divider (ROM autobaud 451) scales.
                try client.send(0x0F, le32(921_600) + le32(115_200))
                #expect(try client.reply(0x0F).status == 0)
                try client.send(0x0A, le32(0x6000_0014))
                #expect(try client.reply(0x0A).value == (451 * 115_200 + 460_800) / 921_600)
                try client.send(0x02, le32(0) + le32(0) + le32(0x1000) + le32(0))
                #expect(try client.reply(0x02).status == 0)
                try client.send(0x04, le32(0))
                #expect(try client.reply(0x04).status == 0)
            }
            run.expectClean(.reboot)
        }

        @Test("ranges beyond the flash size (16 MiB until SPI_SET_PARAMS, then its total) are BAD_DATA_LEN; nothing is erased")
        func rangesAreBoundedByTheConfiguredFlashSize() async throws {
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build, flashSize: 0x10_0000, fill: 0x33) { path in
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                func begin(_ opcode: UInt8, offset: UInt32, size: UInt32) throws -> UInt8 {
                    try client.send(opcode, le32(size) + le32(1) + le32(0x4000) + le32(offset) + le32(0))
                    return try client.reply(opcode).error
                }
                #expect(try begin(0x02, offset: 0x100_0000, size: 0x1000) == 0xC0)
                #expect(try begin(0x10, offset: 0xFFFF_F000, size: 0x2000) == 0xC0)
                try client.send(0x0B, le32(0) + le32(0x10_0000) + le32(0x1_0000) + le32(0x1000) + le32(0x100) + le32(0xFFFF))
                #expect(try client.reply(0x0B).status == 0)
                #expect(try begin(0x02, offset: 0x10_0000, size: 1) == 0xC0)
                #expect(try begin(0x02, offset: 0xFF_000, size: 0x1000) == 0)
                try client.send(0xD1, le32(0xF_0000) + le32(0x2_0000))
                #expect(try client.reply(0xD1).error == 0xC0)
                try client.send(0xD2, le32(0xF_FFFF) + le32(2) + le32(0x1000) + le32(1))
                #expect(try client.reply(0xD2).error == 0xC0)
                try client.send(0x13, le32(0xF_FFFF) + le32(1) + le32(0) + le32(0))
                let md5 = try client.reply(0x13)
                #expect(md5.status == 0 && md5.data == md5Digest([0x33]))
            }
            run.expectClean(.eof)
            #expect(run.number("sector_erases") == 0 && run.number("block_erases") == 0)
        }

        @Test("READ_FLASH: a SYNC instead of an acknowledgement ends the stream with the digest and is served next")
        func readFlashEndsAtAFrameThatIsNoAcknowledgement() async throws {
            var random = SplitMix64(seed: 5)
            let image = random.bytes(0x1_0000)
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build, flashSize: 0x10_0000) { path in
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                try client.send(0x02, le32(UInt32(image.count)) + le32(4) + le32(0x4000) + le32(0))
                #expect(try client.reply(0x02).status == 0)
                for (sequence, start) in stride(from: 0, to: image.count, by: 0x4000).enumerated() {
                    try client.sendData(0x03, Array(image[start..<(start + 0x4000)]), sequence: sequence)
                    #expect(try client.reply(0x03).status == 0)
                }
                try client.send(0xD2, le32(0x100) + le32(5000) + le32(1000) + le32(1))
                #expect(try client.reply(0xD2).status == 0)
                let first = try client.frame()
                #expect(byteDifference(first, image[0x100..<0x4E8]) == nil)
                try client.send(0x08, Self.sync)
                #expect(try client.frame() == md5Digest(first))
                for _ in 0..<8 { #expect(try client.reply(0x08).status == 0) }
                try client.send(0x0A, le32(0x4000_1000))
                #expect(try client.reply(0x0A).value == 0xFFF0_C101, "back in the command loop")
            }
            run.expectClean(.eof)
        }

        @Test("SLIP: a frame that ends inside an escape (DB C0) is dropped")
        func truncatedEscapeIsDropped() async throws {
            let build = try await Emulator.build()
            let (_, run) = try await Emulator.run(build) { path in
                let client = try StubWireClient(path: path)
                defer { client.port.close() }
                let request: [UInt8] = [0x00, 0x0A, 4, 0] + le32(0) + le32(0x4000_1000)
                try client.port.write([0xC0] + request + [0xDB, 0xC0])
                try client.send(0x0A, le32(0x6000_0100))
                let reply = try client.reply(0x0A)
                #expect(reply.value != 0xFFF0_C101, "the truncated frame got no reply")
            }
            run.expectClean(.eof)
        }
    }
}

/// A zlib stream at `level` (ESPFlasher's compressor at level 9; stored blocks for 0 by hand).
func zlib(_ bytes: [UInt8], level: Int32) -> [UInt8] {
    if level != 0 { return ZlibStream.compress(bytes, windowBits: 15) }
    // Stored deflate blocks (RFC 1951 §3.2.4) in a zlib wrapper with its Adler-32.
    var out: [UInt8] = [0x78, 0x01]
    var index = 0
    repeat {
        let count = min(65_535, bytes.count - index)
        let last: UInt8 = index + count == bytes.count ? 1 : 0
        out += [last, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
        out += bytes[index..<(index + count)]
        index += count
    } while index < bytes.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in bytes {
        a = (a + UInt32(byte)) % 65_521
        b = (b + a) % 65_521
    }
    let adler = b << 16 | a
    return out + [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
}
