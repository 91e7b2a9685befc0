import CStubHost
import CZlib
import ESPFlasher
import ESPImage
import Foundation
import SerialLink
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// mlprov's own flasher stub (firmware/stub): its C core, built for the host (CStubHost)
/// behind a pseudo-terminal, speaks firmware/stub/PROTOCOL.md. (That the committed image is
/// what the sources build to is ESPProtocolTests' FlasherStubImageTests.)
@Suite("Flasher stub", .serialized)
struct FlasherStubBuildTests {
    // MARK: - The protocol, on the host

    @Test("greets with OHAI; SYNC gets eight replies with value 0; READ_REG reads the chip-detect word")
    func greetingSyncAndRegisters() throws {
        let stub = try HostStub(flashSize: 0x10000)
        defer { stub.stop() }
        #expect(try stub.client.frame() == Array("OHAI".utf8))
        try stub.client.send(0x08, [0x07, 0x07, 0x12, 0x20] + [UInt8](repeating: 0x55, count: 32))
        for _ in 0..<8 {
            let reply = try stub.client.reply(0x08)
            #expect(reply.value == 0 && reply.status == 0)
        }
        try stub.client.send(0x0A, le32(0x4000_1000))
        #expect(try stub.client.reply(0x0A).value == 0xFFF0_C101)
        try stub.client.send(0x09, le32(0x6000_0100) + le32(0x1234_5678) + le32(0xFFFF_FFFF) + le32(0))
        #expect(try stub.client.reply(0x09).status == 0)
        try stub.client.send(0x0A, le32(0x6000_0100))
        #expect(try stub.client.reply(0x0A).value == 0x1234_5678)
        try stub.client.send(0x55, [])
        #expect(try stub.client.reply(0x55).error == 0xFF, "an unknown command is not implemented")
    }

    @Test("FLASH_DEFL_* writes land byte-identical, erase exactly the sectors written, and MD5 agrees", arguments: [9, 0])
    func deflateWriteAndMD5(level: Int32) throws {
        var random = SplitMix64(seed: 0x5EED + UInt64(level))
        // Random bytes (stored or literal-heavy), a long zero run and text: several block kinds.
        let image = random.bytes(60_000) + [UInt8](repeating: 0, count: 50_000) + Array(String(repeating: "MeterLogger ", count: 3_500).utf8)
        let offset = 0x2F000
        let stub = try HostStub(flashSize: 0x10_0000, fill: 0x5A)
        defer { stub.stop() }
        _ = try stub.client.frame()

        let compressed = zlibCompress(image, level: level)
        let blockSize = 0x4000
        let blocks = stride(from: 0, to: compressed.count, by: blockSize).map { Array(compressed[$0..<min($0 + blockSize, compressed.count)]) }
        try stub.client.send(0x10, le32(UInt32(image.count)) + le32(UInt32(blocks.count)) + le32(UInt32(blockSize)) + le32(UInt32(offset)))
        #expect(try stub.client.reply(0x10).status == 0)
        for (sequence, block) in blocks.enumerated() {
            try stub.client.sendData(0x11, block, sequence: sequence)
            let reply = try stub.client.reply(0x11)
            #expect(reply.status == 0, "block \(sequence): error \(reply.error)")
        }
        try stub.client.send(0x13, le32(UInt32(offset)) + le32(UInt32(image.count)) + le32(0) + le32(0))
        let md5 = try stub.client.reply(0x13)
        #expect(md5.status == 0 && md5.data == md5Digest(image))
        try stub.client.send(0x12, le32(1))
        #expect(try stub.client.reply(0x12).status == 0)

        let counters = stub.counters()
        let flash = stub.stop()
        let end = offset + image.count
        let sectorEnd = (end + 0xFFF) & ~0xFFF
        #expect(byteDifference(flash[offset..<end], image, base: offset) == nil)
        #expect(flash[end..<sectorEnd].allSatisfy { $0 == 0xFF }, "the rest of the last sector is erased")
        #expect(flash[..<offset].allSatisfy { $0 == 0x5A } && flash[sectorEnd...].allSatisfy { $0 == 0x5A }, "nothing outside the written sectors changes")
        // 0x2F000: one sector; 0x30000 and 0x40000: whole blocks; 0x50000…: sectors.
        #expect(counters.block_erases == 2)
        #expect(counters.sector_erases == UInt64(1 + (sectorEnd - 0x50000) / 0x1000))
        #expect(counters.unerased_writes == 0, "nothing is programmed over unerased flash")
    }

    @Test("a block with a bad checksum is refused with 0xC1; a corrupt stream ends in 0xC7")
    func checksumAndInflateErrors() throws {
        var random = SplitMix64(seed: 7)
        let image = random.bytes(40_000)
        let stub = try HostStub(flashSize: 0x10_0000)
        defer { stub.stop() }
        _ = try stub.client.frame()
        var compressed = zlibCompress(image, level: 6)

        try stub.client.send(0x10, le32(UInt32(image.count)) + le32(1) + le32(0x4000) + le32(0))
        #expect(try stub.client.reply(0x10).status == 0)
        let first = Array(compressed[..<0x4000])
        try stub.client.sendData(0x11, first, sequence: 0, checksum: UInt32(loaderChecksum(first) ^ 0x01))
        #expect(try stub.client.reply(0x11).error == 0xC1)

        // Corrupt a byte inside the deflate data: the inflater or the Adler-32 check fails.
        compressed[20_000] ^= 0xFF
        try stub.client.send(0x10, le32(UInt32(image.count)) + le32(3) + le32(0x4000) + le32(0))
        #expect(try stub.client.reply(0x10).status == 0)
        var errors: [UInt8] = []
        for (sequence, start) in stride(from: 0, to: compressed.count, by: 0x4000).enumerated() {
            try stub.client.sendData(0x11, Array(compressed[start..<min(start + 0x4000, compressed.count)]), sequence: sequence)
            errors.append(try stub.client.reply(0x11).error)
        }
        try stub.client.send(0x12, le32(1))
        errors.append(try stub.client.reply(0x12).error)
        #expect(errors.last == 0xC7, "replies: \(errors)")

        // A zlib header that is not one.
        try stub.client.send(0x10, le32(16)) // too short: bad data length
        #expect(try stub.client.reply(0x10).error == 0xC0)
        try stub.client.send(0x12, le32(1))
        #expect(try stub.client.reply(0x12).error == 0xC6, "no session: not in flash mode")
    }

    @Test("plain FLASH_DATA of SLIP-heavy bytes, READ_FLASH with acknowledgements, ERASE_REGION")
    func plainWriteReadFlashAndEraseRegion() throws {
        var random = SplitMix64(seed: 99)
        let image = random.slipHeavyBytes(9_000)
        let stub = try HostStub(flashSize: 0x8_0000, fill: 0x11)
        defer { stub.stop() }
        _ = try stub.client.frame()

        try stub.client.send(0x02, le32(UInt32(image.count)) + le32(3) + le32(0x1000) + le32(0x1_0000))
        #expect(try stub.client.reply(0x02).status == 0)
        for (sequence, start) in stride(from: 0, to: image.count, by: 0x1000).enumerated() {
            var block = Array(image[start..<min(start + 0x1000, image.count)])
            block += [UInt8](repeating: 0xFF, count: 0x1000 - block.count) // padded as esptool pads
            try stub.client.sendData(0x03, block, sequence: sequence)
            #expect(try stub.client.reply(0x03).status == 0)
        }
        try stub.client.sendData(0x03, [UInt8](repeating: 0, count: 16), sequence: 3)
        #expect(try stub.client.reply(0x03).error == 0xC9, "a block beyond the size is too much data")
        try stub.client.send(0x04, le32(1))
        #expect(try stub.client.reply(0x04).status == 0)

        // READ_FLASH from an unaligned offset: packets of 1000 bytes, at most 2 unacknowledged.
        let readOffset = 0x1_0003, readLength = 7_777
        try stub.client.send(0xD2, le32(UInt32(readOffset)) + le32(UInt32(readLength)) + le32(1000) + le32(2))
        #expect(try stub.client.reply(0xD2).status == 0)
        var received: [UInt8] = []
        while received.count < readLength {
            received += try stub.client.frame()
            try stub.client.sendRaw(le32(UInt32(received.count)))
        }
        let digest = try stub.client.frame()
        #expect(byteDifference(received, image[3..<(3 + readLength)]) == nil)
        #expect(digest == md5Digest(received))

        try stub.client.send(0xD1, le32(0x1_1000) + le32(0x1000))
        #expect(try stub.client.reply(0xD1).status == 0)
        try stub.client.send(0xD1, le32(0x1_1001) + le32(0x1000))
        #expect(try stub.client.reply(0xD1).error == 0xC0, "unaligned regions are refused")

        // CHANGE_BAUDRATE answers first, then moves; FLASH_END 0 reboots (the stub leaves).
        try stub.client.send(0x0F, le32(921_600) + le32(115_200))
        #expect(try stub.client.reply(0x0F).status == 0)
        try stub.client.send(0x02, le32(0) + le32(0) + le32(0x1000) + le32(0))
        #expect(try stub.client.reply(0x02).status == 0)
        try stub.client.send(0x04, le32(0))
        #expect(try stub.client.reply(0x04).status == 0)
        #expect(stub.waitExit() == Int32(STUB_HOST_REBOOTED))
        #expect(stub.counters().baud == 921_600)

        let flash = stub.stop()
        #expect(byteDifference(flash[0x1_0000..<0x1_1000], image[..<0x1000], base: 0x1_0000) == nil)
        #expect(flash[0x1_1000..<0x1_2000].allSatisfy { $0 == 0xFF }, "ERASE_REGION erased the sector written before")
        #expect(byteDifference(flash[0x1_2000..<(0x1_0000 + image.count)], image[0x2000...], base: 0x1_2000) == nil)
        #expect(flash[(0x1_0000 + image.count)..<0x1_3000].allSatisfy { $0 == 0xFF }, "the padding is not written")
        #expect(flash[..<0x1_0000].allSatisfy { $0 == 0x11 } && flash[0x1_3000...].allSatisfy { $0 == 0x11 })
    }

    // MARK: - Review findings (each fails on the stub before its fix)

    @Test("CHANGE_BAUDRATE scales the UART divider the ROM measured by old/new baud; without an old baud it uses the 52 MHz clock")
    func baudDividerKeepsTheMeasuredCrystalError() throws {
        let stub = try HostStub(flashSize: 0x1_0000)
        defer { stub.stop() }
        _ = try stub.client.frame()
        let clockDivider: UInt32 = 0x6000_0014
        // A crystal 4 % slow: the ROM's autobaud at 115200 measured 470 instead of 451.
        try stub.client.send(0x09, le32(clockDivider) + le32(470) + le32(0xFFFF_FFFF) + le32(0))
        #expect(try stub.client.reply(0x09).status == 0)
        try stub.client.send(0x0F, le32(921_600) + le32(115_200))
        #expect(try stub.client.reply(0x0F).status == 0)
        try stub.client.send(0x0A, le32(clockDivider))
        #expect(try stub.client.reply(0x0A).value == 59, "470 × 115200 / 921600 = 58.75, rounded")
        #expect(stub.counters().baud == 921_600)

        try stub.client.send(0x0F, le32(460_800) + le32(0))
        #expect(try stub.client.reply(0x0F).status == 0)
        try stub.client.send(0x0A, le32(clockDivider))
        #expect(try stub.client.reply(0x0A).value == 113, "52 MHz / 460800 = 112.8, rounded")

        try stub.client.send(0x0F, le32(0) + le32(460_800))
        #expect(try stub.client.reply(0x0F).error == 0xC0, "baud 0 has no divider")
        try stub.client.send(0x0A, le32(clockDivider))
        #expect(try stub.client.reply(0x0A).value == 113, "a refused change leaves the divider alone")
    }

    @Test("ranges beyond the flash size (16 MiB until SPI_SET_PARAMS, then its total) are BAD_DATA_LEN for every command")
    func rangesAreBoundedByTheConfiguredFlashSize() throws {
        let stub = try HostStub(flashSize: 0x10_0000, fill: 0x33)
        defer { stub.stop() }
        _ = try stub.client.frame()
        func begin(_ opcode: UInt8, offset: UInt32, size: UInt32) throws -> UInt8 {
            try stub.client.send(opcode, le32(size) + le32(1) + le32(0x4000) + le32(offset) + le32(0))
            return try stub.client.reply(opcode).error
        }
        // The default: 16 MiB.
        #expect(try begin(0x02, offset: 0x100_0000, size: 0x1000) == 0xC0)
        #expect(try begin(0x10, offset: 0xFF_F000, size: 0x1001) == 0xC0)
        #expect(try begin(0x10, offset: 0xFFFF_F000, size: 0x2000) == 0xC0, "a range that wraps past 4 GiB")
        #expect(try begin(0x10, offset: 0xFF_F000, size: 0x1000) == 0, "the last sector of 16 MiB")

        // SPI_SET_PARAMS: id, total, block, sector, page, status mask.
        try stub.client.send(0x0B, le32(0) + le32(0x10_0000) + le32(0x1_0000) + le32(0x1000) + le32(0x100) + le32(0xFFFF))
        #expect(try stub.client.reply(0x0B).status == 0)
        #expect(try begin(0x02, offset: 0x10_0000, size: 1) == 0xC0)
        #expect(try begin(0x10, offset: 0xFF_000, size: 0x1001) == 0xC0)
        #expect(try begin(0x02, offset: 0xFF_000, size: 0x1000) == 0)
        try stub.client.send(0xD1, le32(0x10_0000) + le32(0x1000))
        #expect(try stub.client.reply(0xD1).error == 0xC0)
        try stub.client.send(0xD1, le32(0xF_0000) + le32(0x2_0000))
        #expect(try stub.client.reply(0xD1).error == 0xC0)
        try stub.client.send(0x13, le32(0xF_F000) + le32(0x1001) + le32(0) + le32(0))
        #expect(try stub.client.reply(0x13).error == 0xC0)
        try stub.client.send(0xD2, le32(0xF_FFFF) + le32(2) + le32(0x1000) + le32(1))
        #expect(try stub.client.reply(0xD2).error == 0xC0)
        // The last byte is still readable.
        try stub.client.send(0x13, le32(0xF_FFFF) + le32(1) + le32(0) + le32(0))
        let md5 = try stub.client.reply(0x13)
        #expect(md5.status == 0 && md5.data == md5Digest([0x33]))
        #expect(stub.counters().sector_erases == 0 && stub.counters().block_erases == 0, "nothing was erased")
        #expect(stub.stop().allSatisfy { $0 == 0x33 })
    }

    @Test("a plain FLASH_DATA block whose length is not a multiple of 4 is BAD_DATA_LEN unless it is the last")
    func unalignedPlainBlockOnlyAtTheEnd() throws {
        var random = SplitMix64(seed: 4)
        let image = random.bytes(0xFFE)
        let stub = try HostStub(flashSize: 0x10_0000)
        defer { stub.stop() }
        _ = try stub.client.frame()
        try stub.client.send(0x02, le32(UInt32(image.count)) + le32(4) + le32(0x400) + le32(0x2_0000))
        #expect(try stub.client.reply(0x02).status == 0)
        try stub.client.sendData(0x03, Array(image[..<0x3FE]), sequence: 0)
        #expect(try stub.client.reply(0x03).error == 0xC0, "a short block in the middle")
        for (sequence, start) in stride(from: 0, to: image.count, by: 0x400).enumerated() {
            try stub.client.sendData(0x03, Array(image[start..<min(start + 0x400, image.count)]), sequence: sequence)
            #expect(try stub.client.reply(0x03).status == 0, "block \(sequence)")
        }
        try stub.client.send(0x04, le32(1))
        #expect(try stub.client.reply(0x04).status == 0)
        try stub.client.send(0x13, le32(0x2_0000) + le32(UInt32(image.count)) + le32(0) + le32(0))
        #expect(try stub.client.reply(0x13).data == md5Digest(image))
    }

    @Test("READ_FLASH: a frame that is no acknowledgement ends the stream with the digest and is served next")
    func readFlashEndsAtAFrameThatIsNoAcknowledgement() throws {
        var random = SplitMix64(seed: 5)
        let image = random.bytes(0x1_0000)
        let stub = try HostStub(flashSize: 0x1_0000)
        defer { stub.stop() }
        _ = try stub.client.frame()
        try stub.client.send(0x02, le32(UInt32(image.count)) + le32(4) + le32(0x4000) + le32(0))
        #expect(try stub.client.reply(0x02).status == 0)
        for (sequence, start) in stride(from: 0, to: image.count, by: 0x4000).enumerated() {
            try stub.client.sendData(0x03, Array(image[start..<(start + 0x4000)]), sequence: sequence)
            #expect(try stub.client.reply(0x03).status == 0)
        }

        try stub.client.send(0xD2, le32(0x100) + le32(5000) + le32(1000) + le32(1))
        #expect(try stub.client.reply(0xD2).status == 0)
        let first = try stub.client.frame()
        #expect(byteDifference(first, image[0x100..<0x4E8]) == nil)
        // A client that gave up syncs instead of acknowledging.
        try stub.client.send(0x08, [0x07, 0x07, 0x12, 0x20] + [UInt8](repeating: 0x55, count: 32))
        #expect(try stub.client.frame() == md5Digest(first), "the digest of what was sent ends the stream")
        for _ in 0..<8 { #expect(try stub.client.reply(0x08).status == 0) }

        // A failing flash read inside a stream ends it with a failed READ_FLASH reply. The
        // stub believes in 16 MiB, the host array holds 64 KiB.
        try stub.client.send(0xD2, le32(0xF000) + le32(0x2000) + le32(0x1000) + le32(1))
        #expect(try stub.client.reply(0xD2).status == 0)
        let inside = try stub.client.frame()
        #expect(byteDifference(inside, image[0xF000...]) == nil)
        try stub.client.sendRaw(le32(UInt32(inside.count)))
        #expect(try stub.client.reply(0xD2).error == 0xC4)
        try stub.client.send(0x0A, le32(0x4000_1000))
        #expect(try stub.client.reply(0x0A).value == 0xFFF0_C101, "back in the command loop")
    }

    @Test("SLIP: a frame that ends inside an escape (DB C0) is dropped")
    func truncatedEscapeIsDropped() throws {
        let stub = try HostStub(flashSize: 0x1_0000)
        defer { stub.stop() }
        _ = try stub.client.frame()
        // A whole READ_REG request, then DB and the frame end.
        let request: [UInt8] = [0x00, 0x0A, 4, 0] + le32(0) + le32(0x4000_1000)
        try stub.client.port.write([0xC0] + request + [0xDB, 0xC0])
        try stub.client.send(0x0A, le32(0x6000_0100))
        let reply = try stub.client.reply(0x0A)
        #expect(reply.value != 0xFFF0_C101, "the truncated frame got no reply")
        #expect(reply.value == 0)
    }
}

// MARK: - Helpers


/// The loader's data checksum, by hand: 0xEF XOR every data byte.
private func loaderChecksum(_ data: [UInt8]) -> UInt8 {
    data.reduce(0xEF, ^)
}

/// zlib's compress2 (RFC 1950 stream, 32 KiB window) at `level`.
private func zlibCompress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
    var length = compressBound(uLong(bytes.count))
    var output = [UInt8](repeating: 0, count: Int(length))
    let status = compress2(&output, &length, bytes, uLong(bytes.count), level)
    precondition(status == Z_OK, "compress2 failed: \(status)")
    return Array(output[..<Int(length)])
}

/// The host stub on the master side of a fresh pseudo-terminal, with a client on the slave.
final class HostStub {
    let client: StubWireClient
    private var handle: OpaquePointer?
    private let flash: UnsafeMutableBufferPointer<UInt8>
    private let masterFD: Int32

    init(flashSize: Int, fill: UInt8 = 0xFF) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        try #require(openpty(&master, &slave, &name, nil, nil) == 0)
        defer { close(slave) }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        masterFD = master
        client = StubWireClient(port: try SerialPort(path: path))
        flash = .allocate(capacity: flashSize)
        flash.initialize(repeating: fill)
        handle = stub_host_start(master, flash.baseAddress, flashSize)
        try #require(handle != nil)
    }

    func counters() -> stub_host_counters {
        var counters = stub_host_counters()
        if let handle { stub_host_get_counters(handle, &counters) }
        return counters
    }

    func waitExit() -> Int32 {
        guard let handle else { return -1 }
        return stub_host_wait_exit(handle, 5_000)
    }

    /// Stops the stub and returns its flash (idempotent).
    @discardableResult
    func stop() -> [UInt8] {
        if let handle {
            stub_host_stop(handle)
            self.handle = nil
            client.port.close()
            close(masterFD)
        }
        return Array(flash)
    }

    deinit {
        stop()
        flash.deallocate()
    }
}


