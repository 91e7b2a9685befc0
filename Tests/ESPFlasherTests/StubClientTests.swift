import Basics
import ESPFlasher
import ESPImage
import Foundation
import TestSupport
import Testing

@Suite("Stub protocol requests")
struct StubRequestTests {
    @Test("FLASH_DEFL_BEGIN carries uncompressed size, block count, block size and offset (four words, as esptool packs them for a stub)")
    func deflBegin() {
        let request = Request.flashDeflBegin(uncompressedSize: 279_684, packetCount: 17, packetSize: 0x4000, offset: 0x1_0000)
        #expect(request.encoded() == [0x00, 0x10, 16, 0x00, 0, 0, 0, 0,
                                      0x84, 0x44, 0x04, 0x00,
                                      0x11, 0x00, 0x00, 0x00,
                                      0x00, 0x40, 0x00, 0x00,
                                      0x00, 0x00, 0x01, 0x00])
    }

    @Test("FLASH_DEFL_DATA has FLASH_DATA's header and checksum, with its own opcode")
    func deflData() {
        let data: [UInt8] = [0x78, 0xDA, 0x01]
        let request = Request.flashDeflData(data, sequence: 3)
        #expect(request.opcode == .flashDeflData)
        #expect(request.checksum == UInt32(0xEF ^ 0x78 ^ 0xDA ^ 0x01))
        #expect(Array(request.encoded()[8..<24]) == [3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(request.encoded().suffix(3)) == data)
    }

    @Test("SPI_FLASH_MD5, CHANGE_BAUDRATE, ERASE_REGION and READ_FLASH carry their words in order")
    func otherStubCommands() {
        #expect(Request.spiFlashMD5(address: 0x1000, size: 0x2000).payload == [0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Request.changeBaudRate(to: 921_600, from: 115_200).payload == [0x00, 0x10, 0x0E, 0x00, 0x00, 0xC2, 0x01, 0x00])
        #expect(Request.eraseRegion(offset: 0x8_0000, size: 0x1_0000).payload == [0, 0, 8, 0, 0, 0, 1, 0])
        #expect(Request.readFlash(offset: 0, length: 4096, packetSize: 4096, maxUnacked: 64).payload
            == [0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 64, 0, 0, 0])
        #expect(Request.runUserCode().encoded() == [0x00, 0xD3, 0, 0, 0, 0, 0, 0])
    }

    @Test("a stub's error codes name themselves in the error a refused command throws")
    func stubErrorNames() {
        let error = FlasherError.commandFailed(command: .flashDeflData, code: StubErrorCode.inflateError.rawValue)
        #expect(error.description == "the chip refused FLASH_DEFL_DATA: inflate error")
        #expect(FlasherError.commandFailed(command: .flashData, code: 0x07).description.hasSuffix("invalid checksum"))
    }
}

@Suite("Compression and digests for the stub")
struct StubCompressionTests {
    @Test("RFC 1321's test vectors")
    func md5Vectors() {
        #expect(hexString(md5Digest([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(hexString(md5Digest(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(hexString(md5Digest(Array("message digest".utf8))) == "f96b697d7cb7938d525a2f31aaf161d0")
    }

    @Test("the zlib header announces the window asked for (CINFO = bits - 8) and a valid FCHECK", arguments: [9, 12, 15])
    func windowInHeader(bits: Int) throws {
        var rng = SplitMix64(seed: UInt64(bits))
        let data = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: rng.next() % 7) }
        let stream = ZlibStream.compress(data, windowBits: bits)
        try #require(stream.count > 2)
        #expect(stream[0] & 0x0F == 8, "deflate method")
        #expect(Int(stream[0] >> 4) == bits - 8)
        #expect((UInt16(stream[0]) << 8 | UInt16(stream[1])) % 31 == 0)
        #expect(stream.count < data.count / 2)
    }

    @Test("Python's zlib (an independent inflater) restores what ZlibStream compressed, for a code-like image set")
    func pythonInflates() async throws {
        let folder = try temporaryDirectory("zlib")
        var rng = SplitMix64(seed: 42)
        let data = (0..<70_000).map { index in index % 5000 < 4096 ? UInt8(truncatingIfNeeded: rng.next() >> 3 & 0x3F) : 0xFF }
        let compressed = ZlibStream.compress(data, windowBits: 12)
        let input = folder.appendingPathComponent("in.z")
        try Data(compressed).write(to: input)
        let output = try await runProcess(esptoolPython, [
            "-c", "import sys, zlib, hashlib; print(hashlib.md5(zlib.decompress(open(sys.argv[1], 'rb').read())).hexdigest())", input.path,
        ])
        #expect(output.succeeded, "\(output)")
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == hexString(md5Digest(data)))
    }
}
