import TestSupport
import ESPImage
import ESPProtocol
import Testing

/// Decodes `stream` fed in pieces of the given sizes (cycled), collecting every item.
private func decode(_ stream: [UInt8], chunkSizes: [Int]) -> [SLIPDecoder.Item] {
    var decoder = SLIPDecoder()
    var items: [SLIPDecoder.Item] = []
    var start = 0
    var turn = 0
    while start < stream.count {
        let end = min(start + chunkSizes[turn % chunkSizes.count], stream.count)
        items += decoder.feed(stream[start..<end])
        start = end
        turn += 1
    }
    return items
}

private func decodeAll(_ stream: [UInt8]) -> [SLIPDecoder.Item] {
    var decoder = SLIPDecoder()
    return decoder.feed(stream)
}

/// Payloads that stress the escaping: random, all specials, alternating, edge lengths.
private func testPayloads(seed: UInt64) -> [[UInt8]] {
    var rng = SplitMix64(seed: seed)
    var payloads: [[UInt8]] = [
        [0xC0], [0xDB], [0xDB, 0xDC], [0xDB, 0xDD], [0xC0, 0xC0], [0xDB, 0xDB],
        [UInt8](repeating: 0xC0, count: 100),
        [UInt8](repeating: 0xDB, count: 100),
        (0..<100).map { $0 % 2 == 0 ? 0xC0 : 0xDB },
        Array(0...255),
    ]
    for _ in 0..<200 {
        let count = Int.random(in: 1...600, using: &rng)
        payloads.append(Bool.random(using: &rng) ? rng.bytes(count) : rng.slipHeavyBytes(count))
    }
    return payloads
}

@Suite("SLIP framing")
struct SLIPEncodingTests {
    @Test("encode escapes 0xC0 as DB DC and 0xDB as DB DD and frames the packet with C0")
    func escapesAndFrames() {
        #expect(SLIP.encode([0x01, 0xC0, 0x02, 0xDB, 0x03]) == [0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0x03, 0xC0])
    }

    @Test("encode leaves every other byte alone, including DC and DD")
    func leavesOrdinaryBytes() {
        let ordinary = (0...255).map(UInt8.init).filter { $0 != 0xC0 && $0 != 0xDB }
        #expect(SLIP.encode(ordinary) == [0xC0] + ordinary + [0xC0])
        #expect(SLIP.encode([0xDB, 0xDC]) == [0xC0, 0xDB, 0xDD, 0xDC, 0xC0])
    }

    @Test("an empty packet is just the two delimiters")
    func emptyPacket() {
        #expect(SLIP.encode([]) == [0xC0, 0xC0])
    }

    @Test("an encoded frame holds no 0xC0 between its delimiters")
    func noDelimiterInside() {
        for payload in testPayloads(seed: 1) {
            let frame = SLIP.encode(payload)
            #expect(frame.first == 0xC0 && frame.last == 0xC0)
            #expect(!frame.dropFirst().dropLast().contains(0xC0))
        }
    }

    @Test("encodedCount equals the size of encode's output")
    func encodedCountMatches() {
        for payload in testPayloads(seed: 2) + [[]] {
            #expect(SLIP.encodedCount(payload) == SLIP.encode(payload).count)
        }
        #expect(SLIP.encodedCount([UInt8](repeating: 0xC0, count: 10)) == 22)
    }
}

@Suite("SLIP decoding")
struct SLIPDecodingTests {
    @Test("decoding an encoded packet gives it back, for random and escape-heavy payloads")
    func roundTrip() {
        for payload in testPayloads(seed: 3) {
            #expect(decodeAll(SLIP.encode(payload)) == [.packet(payload)])
        }
    }

    @Test("a stream fed one byte at a time gives the same packets as fed at once")
    func oneByteAtATime() {
        let payloads = testPayloads(seed: 4)
        let stream = payloads.flatMap(SLIP.encode)
        let expected = payloads.map(SLIPDecoder.Item.packet)
        #expect(decodeAll(stream) == expected)
        #expect(decode(stream, chunkSizes: [1]) == expected)
    }

    @Test("a stream fed in random chunk sizes gives the same packets", arguments: [10, 11, 12, 13, 14] as [UInt64])
    func randomChunks(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let payloads = testPayloads(seed: seed)
        let stream = payloads.flatMap(SLIP.encode)
        let chunks = (0..<97).map { _ in Int.random(in: 1...700, using: &rng) }
        #expect(decode(stream, chunkSizes: chunks) == payloads.map(SLIPDecoder.Item.packet))
    }

    @Test("splitting a stream in two at every possible byte boundary loses nothing")
    func everySplitPoint() {
        // Escapes right at the edges, so that splits fall between DB and its partner.
        let payloads: [[UInt8]] = [[0xDB, 0x01, 0xC0], [0xC0, 0xDB, 0xC0, 0xDB], [0x10, 0x20, 0xDB]]
        let stream = payloads.flatMap(SLIP.encode)
        let expected = payloads.map(SLIPDecoder.Item.packet)
        for split in 0...stream.count {
            var decoder = SLIPDecoder()
            let items = decoder.feed(stream[..<split]) + decoder.feed(stream[split...])
            #expect(items == expected, "split at \(split)")
        }
    }

    @Test("bytes before the first 0xC0 are dropped")
    func leadingNoiseDropped() {
        let noise = Array("ets Jan  8 2013,rst cause:2, boot mode:(1,7)\r\n".utf8)
        let packet = Response.rom(.sync).encoded()
        #expect(decodeAll(noise + SLIP.encode(packet)) == [.packet(packet)])
    }

    @Test("empty runs between back-to-back delimiters are not candidates")
    func emptyRunsIgnored() {
        let packet: [UInt8] = [1, 2, 3]
        #expect(decodeAll([0xC0, 0xC0, 0xC0] + SLIP.encode(packet) + [0xC0, 0xC0]) == [.packet(packet)])
    }

    @Test("garbage between frames, even containing 0xC0, does not lose the next real frame")
    func garbageBetweenFrames() {
        let first = Response.rom(.sync, value: 0x2040_0000).encoded()
        let second = Response.rom(.readReg, value: ESP8266.chipDetectValue).encoded()
        let garbageRuns: [[UInt8]] = [
            [0x55, 0xC0, 0x01, 0x08, 0xC0, 0x7F],             // 0xC0 inside the noise
            [0xC0],                                          // a lone delimiter
            Array("load 0x40100000, len 1396, room 16 \r\n".utf8) + [0xC0, 0xDB, 0x41],  // text, delimiter, bad escape
            [0x01, 0x0A, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0],           // response-like, wrong length
        ]
        for garbage in garbageRuns {
            let items = decodeAll(SLIP.encode(first) + garbage + SLIP.encode(second))
            #expect(items.first == .packet(first))
            #expect(items.last == .packet(second))
            #expect(items.contains(.packet(second)))
            // Every other candidate is something the protocol layer rejects.
            for item in items.dropFirst().dropLast() {
                switch item {
                case .packet(let bytes):
                    #expect(Response(decoding: bytes) == nil, "garbage \(bytes) parsed as a response")
                    #expect(Request(decoding: bytes) == nil, "garbage \(bytes) parsed as a request")
                case .damaged:
                    break
                }
            }
        }
    }

    @Test("random line noise between frames never hides a real frame")
    func randomNoise() {
        var rng = SplitMix64(seed: 99)
        var stream: [UInt8] = []
        var sent: [[UInt8]] = []
        for sequence in 0..<50 {
            let packet = Response.rom(.flashData, value: UInt32(sequence)).encoded()
            sent.append(packet)
            // Noise that always ends in a delimiter, so the frame after it is framed.
            stream += SLIP.encode(packet) + rng.slipHeavyBytes(Int.random(in: 0...40, using: &rng)) + [0xC0]
        }
        let responses = decodeAll(stream).compactMap { item -> Response? in
            guard case .packet(let bytes) = item else { return nil }
            return Response(decoding: bytes)
        }
        #expect(responses.map { $0.encoded() } == sent)
    }

    @Test("DB followed by anything but DC or DD makes the frame damaged")
    func badEscape() {
        #expect(decodeAll([0xC0, 0x01, 0xDB, 0x41, 0x02, 0xC0]) == [.damaged([0x01, 0x41, 0x02])])
        #expect(decodeAll([0xC0, 0xDB, 0xDB, 0xC0]).count == 1)
        if case .packet = decodeAll([0xC0, 0xDB, 0xDB, 0xC0]).first { Issue.record("DB DB decoded as a packet") }
    }

    @Test("a frame ending right after DB is damaged")
    func danglingEscape() {
        #expect(decodeAll([0xC0, 0x01, 0xDB, 0xC0]) == [.damaged([0x01])])
    }

    @Test("a damaged frame does not spoil the next one")
    func recoversAfterDamage() {
        let good: [UInt8] = [0x01, 0xC0, 0xDB]
        #expect(decodeAll([0xC0, 0xDB, 0x00, 0xC0] + SLIP.encode(good)) == [.damaged([0x00]), .packet(good)])
    }

    @Test("reset forgets a partial frame and waits for the next delimiter")
    func resetForgetsPartialFrame() {
        var decoder = SLIPDecoder()
        #expect(decoder.feed([0xC0, 0x01, 0x02]).isEmpty)
        decoder.reset()
        #expect(decoder.feed([0x03, 0xC0]).isEmpty)
        #expect(decoder.feed([0x05, 0xC0]) == [.packet([0x05])])
    }
}
