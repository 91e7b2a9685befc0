import TestSupport
import ESPImage
import ESPProtocol
import Testing

@Suite("Request encoding")
struct RequestEncodingTests {
    @Test("SYNC carries 07 07 12 20 and 32 × 0x55, a 36-byte payload and no checksum")
    func sync() {
        let payload: [UInt8] = [0x07, 0x07, 0x12, 0x20] + [UInt8](repeating: 0x55, count: 32)
        #expect(Request.sync().encoded() == [0x00, 0x08, 36, 0x00, 0, 0, 0, 0] + payload)
        #expect(Request.syncPayload == payload)
    }

    @Test("READ_REG carries the address little endian")
    func readReg() {
        #expect(Request.readReg(0x4000_1000).encoded() == [0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40])
    }

    @Test("WRITE_REG carries address, value, mask and delay, each little endian")
    func writeReg() {
        let request = Request.writeReg(0x6000_0200, value: 0x1122_3344, mask: 0xFFFF_0000, delayMicroseconds: 5)
        #expect(request.encoded() == [0x00, 0x09, 16, 0x00, 0, 0, 0, 0,
                                      0x00, 0x02, 0x00, 0x60,
                                      0x44, 0x33, 0x22, 0x11,
                                      0x00, 0x00, 0xFF, 0xFF,
                                      0x05, 0x00, 0x00, 0x00])
        #expect(Request.writeReg(1, value: 2).word(2) == 0xFFFF_FFFF)
        #expect(Request.writeReg(1, value: 2).word(3) == 0)
    }

    @Test("FLASH_BEGIN carries erase size, packet count, packet size and offset, each little endian")
    func flashBegin() {
        let request = Request.flashBegin(eraseSize: 0x8000, packetCount: 6, packetSize: 0x400, offset: 0x6_0000)
        #expect(request.encoded() == [0x00, 0x02, 16, 0x00, 0, 0, 0, 0,
                                      0x00, 0x80, 0x00, 0x00,
                                      0x06, 0x00, 0x00, 0x00,
                                      0x00, 0x04, 0x00, 0x00,
                                      0x00, 0x00, 0x06, 0x00])
        #expect(request.word(0) == 0x8000 && request.word(1) == 6 && request.word(2) == 0x400 && request.word(3) == 0x6_0000)
        #expect(request.word(4) == nil)
    }

    @Test("FLASH_DATA has the header (length, sequence, 0, 0) and a checksum of 0xEF XOR the data only")
    func flashData() {
        let data: [UInt8] = [0x12, 0x34, 0x56]
        // 0xEF ^ 0x12 = 0xFD, ^ 0x34 = 0xC9, ^ 0x56 = 0x9F
        let request = Request.flashData(data, sequence: 0x0102)
        #expect(request.checksum == 0x9F)
        #expect(request.encoded() == [0x00, 0x03, 19, 0x00, 0x9F, 0, 0, 0,
                                      0x03, 0x00, 0x00, 0x00,
                                      0x02, 0x01, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00,
                                      0x12, 0x34, 0x56])
    }

    @Test("FLASH_DATA of a full 0x400 packet: length field 0x410 and the XOR checksum")
    func flashDataFullPacket() {
        var rng = SplitMix64(seed: 7)
        let data = rng.bytes(0x400)
        var expected: UInt8 = 0xEF
        for byte in data { expected ^= byte }
        let encoded = Request.flashData(data, sequence: 9).encoded()
        #expect(encoded.count == 8 + 16 + 0x400)
        #expect(encoded[2] == 0x10 && encoded[3] == 0x04)
        #expect(encoded[4...7] == [expected, 0, 0, 0])
        #expect(Array(encoded[24...]) == data)
        #expect(loaderChecksum(data) == UInt32(expected))
    }

    @Test("the loader checksum of no data is the seed 0xEF")
    func checksumSeed() {
        #expect(loaderChecksum([]) == 0xEF)
        #expect(loaderChecksum([0xEF]) == 0)
    }

    @Test("MEM_DATA is built like FLASH_DATA with its own opcode")
    func memData() {
        let flash = Request.flashData([1, 2, 3], sequence: 4).encoded()
        let mem = Request.memData([1, 2, 3], sequence: 4).encoded()
        #expect(mem[1] == 0x07)
        #expect(Array(mem[2...]) == Array(flash[2...]))
    }

    @Test("FLASH_END says 0 to reboot and 1 to run the code in flash")
    func flashEnd() {
        // Espressif's protocol page and esptool's flash_finish: 0 reboots, 1 runs user code.
        #expect(Request.flashEnd(.reboot).payload == [0, 0, 0, 0])
        #expect(Request.flashEnd(.runUserCode).payload == [1, 0, 0, 0])
        #expect(Request.flashEnd(.reboot).opcode == .flashEnd)
    }

    @Test("MEM_BEGIN and MEM_END carry their words little endian")
    func memBeginEnd() {
        #expect(Request.memBegin(size: 0x1234, packetCount: 2, packetSize: 0x1800, address: 0x4010_E000).payload
            == [0x34, 0x12, 0, 0, 2, 0, 0, 0, 0x00, 0x18, 0, 0, 0x00, 0xE0, 0x10, 0x40])
        #expect(Request.memEnd(execute: true, entry: 0x4010_E004).payload == [0, 0, 0, 0, 0x04, 0xE0, 0x10, 0x40])
        #expect(Request.memEnd(execute: false, entry: 0).payload == [1, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("opcodes are named as in the protocol documentation; unknown ones by number")
    func opcodeNames() {
        #expect(Opcode.sync.description == "SYNC")
        #expect(Opcode.flashBegin.description == "FLASH_BEGIN")
        #expect(Opcode(rawValue: 0x42).description == "command 0x42")
    }
}

@Suite("Request decoding")
struct RequestDecodingTests {
    @Test("decoding an encoded request gives it back")
    func roundTrip() {
        let requests: [Request] = [
            .sync(), .readReg(0x3FF0_0050), .flashBegin(eraseSize: 0, packetCount: 0, packetSize: 0x400, offset: 0),
            .flashData([0xC0, 0xDB, 0xFF], sequence: 3), .flashEnd(.runUserCode), Request(.getSecurityInfo),
        ]
        for request in requests {
            #expect(Request(decoding: request.encoded()) == request)
        }
    }

    @Test("a header-only request with length 0 is well formed")
    func headerOnly() {
        #expect(Request(decoding: [0x00, 0x14, 0, 0, 0, 0, 0, 0]) == Request(.getSecurityInfo))
    }

    @Test("a packet whose direction byte is not 0x00 is not a request")
    func wrongDirection() {
        var packet = Request.sync().encoded()
        packet[0] = 0x01
        #expect(Request(decoding: packet) == nil)
    }

    @Test("a length field that does not match the payload is refused, either way")
    func wrongLength() {
        let packet = Request.readReg(0x4000_1000).encoded()
        var longer = packet
        longer[2] = 5
        var shorter = packet
        shorter[2] = 3
        #expect(Request(decoding: longer) == nil)
        #expect(Request(decoding: shorter) == nil)
        #expect(Request(decoding: packet + [0]) == nil)
    }

    @Test("a packet shorter than the 8-byte header is refused", arguments: 0..<8)
    func shortPacket(count: Int) {
        #expect(Request(decoding: Array([0x00, 0x08, 0, 0, 0, 0, 0, 0][..<count])) == nil)
    }
}

@Suite("FLASH_BEGIN's typed fields")
struct FlashBeginTests {
    @Test("the fields encode as FLASH_BEGIN's four words, or with FLASH_DEFL_BEGIN's opcode, and decode back")
    func roundTrip() {
        let begin = FlashBegin(size: 0x8000, packetCount: 6, packetSize: 0x400, offset: 0x6_0000)
        #expect(begin.request() == .flashBegin(eraseSize: 0x8000, packetCount: 6, packetSize: 0x400, offset: 0x6_0000))
        #expect(begin.request(.flashDeflBegin) == .flashDeflBegin(uncompressedSize: 0x8000, packetCount: 6, packetSize: 0x400, offset: 0x6_0000))
        #expect(FlashBegin(decoding: begin.request()) == begin)
        #expect(FlashBegin(decoding: begin.request(.flashDeflBegin)) == begin)
        let packet = begin.request().encoded()
        #expect(Request(decoding: packet).flatMap(FlashBegin.init(decoding:)) == begin)
    }

    @Test("another opcode, or fewer than four words, is no FLASH_BEGIN; esptool's fifth word is left to the receiver")
    func refused() {
        let words = FlashBegin(size: 0x1000, packetCount: 1, packetSize: 0x400, offset: 0).request().payload
        #expect(FlashBegin(decoding: Request(.memBegin, payload: words)) == nil)
        #expect(FlashBegin(decoding: Request(.flashBegin, payload: Array(words.prefix(12)))) == nil)
        #expect(FlashBegin(decoding: Request(.flashBegin, payload: words + [0, 0, 0, 0]))?.packetSize == 0x400)
    }
}

@Suite("Response codec")
struct ResponseCodecTests {
    @Test("a ROM reply ends with status 0, error 0 on success")
    func romSuccess() {
        #expect(Response.rom(.sync).data == [0x00, 0x00])
        #expect(Response.rom(.readReg, value: 0xFFF0_C101).encoded() == [0x01, 0x0A, 0x02, 0x00, 0x01, 0xC1, 0xF0, 0xFF, 0x00, 0x00])
    }

    @Test("a failed ROM reply ends with status 1 and the error code")
    func romFailure() {
        #expect(Response.rom(.flashData, error: .invalidChecksum).data == [0x01, 0x07])
        #expect(Response.rom(.getSecurityInfo, error: .invalidMessage).data == [0x01, 0x05])
        #expect(Response.rom(.flashBegin, body: [0xAA, 0xBB], error: .flashWriteError).data == [0xAA, 0xBB, 0x01, 0x08])
    }

    @Test("status reads the two trailing bytes; body is what comes before them")
    func statusAndBody() {
        let ok = Response.rom(.readReg, body: [0xAA, 0xBB])
        #expect(ok.status.failed == false && ok.status.code == 0)
        #expect(ok.body == [0xAA, 0xBB])
        let failed = Response.rom(.flashData, error: .flashWriteError)
        #expect(failed.status.failed == true && failed.status.code == 0x08)
        #expect(failed.body.isEmpty)
    }

    @Test("a reply too short to carry the status bytes counts as failed with no code", arguments: [[], [0x00]] as [[UInt8]])
    func tooShortFails(data: [UInt8]) {
        let status = Response(.sync, data: data).status
        #expect(status.failed == true)
        #expect(status.code == nil)
    }

    @Test("decoding an encoded reply gives it back")
    func roundTrip() {
        let replies: [Response] = [
            .rom(.sync, value: 0x2040_0000), .rom(.readReg, value: 0xFFF0_C101),
            .rom(.flashData, error: .invalidChecksum), Response(.sync, data: []),
            Response(Opcode(rawValue: 0x99), value: 0xDEAD_BEEF, data: [0xC0, 0xDB, 1, 2, 3]),
        ]
        for reply in replies {
            #expect(Response(decoding: reply.encoded()) == reply)
        }
    }

    @Test("a request is not a reply, and a reply is not a request")
    func directionMatters() {
        #expect(Response(decoding: Request.sync().encoded()) == nil)
        #expect(Request(decoding: Response.rom(.sync).encoded()) == nil)
    }

    @Test("a reply whose length field disagrees with its size, or shorter than 8 bytes, is refused")
    func malformedReplies() {
        var packet = Response.rom(.sync).encoded()
        packet[2] = 3
        #expect(Response(decoding: packet) == nil)
        #expect(Response(decoding: Response.rom(.sync).encoded() + [0x00]) == nil)
        #expect(Response(decoding: [0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]) == nil)
        #expect(Response(decoding: []) == nil)
    }
}
