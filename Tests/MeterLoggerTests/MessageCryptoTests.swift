import Basics
import Foundation
import MeterLogger
import Testing
import TestSupport

@Suite("MQTT message keys and crypto")
struct MessageCryptoTests {
    @Test("the facts vector: SHA-256 of the raw KEY bytes splits into the AES and HMAC keys")
    func factsVector() throws {
        let keys = try exampleKeys()
        #expect(hexString(keys.aesKey) == FactsVector.aesKey)
        #expect(hexString(keys.hmacKey) == FactsVector.hmacKey)
        #expect(hexString(keys.aesKey + keys.hmacKey) == FactsVector.sha256)
    }

    @Test("seal then open gives the cleartext back for every length 0…100, block edges included")
    func roundTrip() throws {
        let keys = try exampleKeys()
        for length in 0...100 {
            let cleartext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            let sealed = try MessageCrypto.seal(cleartext, topic: sampleTopic, keys: keys)
            // cleartext ‖ NUL, padded to the next whole block (a full block when already whole).
            let blocks = (length + 1) / 16 + 1
            #expect(sealed.count == 32 + 16 + 16 * blocks, "length \(length)")
            #expect(try MessageCrypto.open(sealed, topic: sampleTopic, keys: keys) == cleartext, "length \(length)")
        }
    }

    @Test("lengths 15, 16, 31, 32 cross the NUL and padding edges as the format says")
    func blockEdges() throws {
        let keys = try exampleKeys()
        // 14 bytes + NUL + 1 pad byte = 1 block; 15 + NUL = 16 → a whole padding block follows.
        let expected = [14: 1, 15: 2, 16: 2, 30: 2, 31: 3, 32: 3, 47: 4]
        for (length, blocks) in expected {
            let sealed = try MessageCrypto.seal([UInt8](repeating: 0x41, count: length), topic: "t", keys: keys, iv: fixedIV)
            #expect(sealed.count - 48 == 16 * blocks, "length \(length)")
        }
    }

    @Test("a given IV makes sealing deterministic and sits at bytes 32..<48; the default IV is fresh each time")
    func ivHandling() throws {
        let keys = try exampleKeys()
        let first = try MessageCrypto.seal(sampleCleartext, topic: sampleTopic, keys: keys, iv: fixedIV)
        let second = try MessageCrypto.seal(sampleCleartext, topic: sampleTopic, keys: keys, iv: fixedIV)
        #expect(first == second)
        #expect(Array(first[32..<48]) == fixedIV)
        let random1 = try MessageCrypto.seal(sampleCleartext, topic: sampleTopic, keys: keys)
        let random2 = try MessageCrypto.seal(sampleCleartext, topic: sampleTopic, keys: keys)
        #expect(random1[32..<48] != random2[32..<48])
        #expect(random1 != random2)
        #expect(throws: MessageCryptoError.self) {
            try MessageCrypto.seal([], topic: "t", keys: keys, iv: [1, 2, 3])
        }
    }

    @Test("the HMAC is HMAC-SHA256(hmac key, topic ‖ IV ‖ ciphertext) and the ciphertext is AES-128-CBC with PKCS#7")
    func layoutMatchesOpenSSLDirectly() throws {
        let keys = try exampleKeys()
        let cleartext = Array("1700000000".utf8)
        let sealed = try MessageCrypto.seal(cleartext, topic: sampleTopic, keys: keys, iv: fixedIV)
        // The same bytes built block by block here: "1700000000" ‖ NUL ‖ 5 × 0x05.
        let padded = cleartext + [0] + [UInt8](repeating: 5, count: 5)
        #expect(try sealRawBlocks(padded, topic: sampleTopic, keys: keys) == sealed)
        #expect(Array(sealed[0..<32]) == hmacSHA256(keys.hmacKey, Array(sampleTopic.utf8) + Array(sealed[32...])))
    }

    @Test("flipping any bit of the HMAC, IV or ciphertext is caught by the HMAC")
    func tamperedMessage() throws {
        let keys = try exampleKeys()
        let sealed = try MessageCrypto.seal(Array("open_until=1234".utf8), topic: sampleTopic, keys: keys)
        #expect(sealed.count == 80)
        for index in sealed.indices {
            for bit in [0, 7] {
                var altered = sealed
                altered[index] ^= 1 << bit
                #expect(throws: MessageCryptoError.badHMAC, "byte \(index) bit \(bit)") {
                    try MessageCrypto.open(altered, topic: sampleTopic, keys: keys)
                }
            }
        }
        #expect(throws: MessageCryptoError.badHMAC) { try MessageCrypto.open(sealed + [0], topic: sampleTopic, keys: keys) }
        #expect(throws: MessageCryptoError.badHMAC) {
            try MessageCrypto.open(sealed + Array(sealed[64..<80]), topic: sampleTopic, keys: keys)
        }
        #expect(throws: MessageCryptoError.badHMAC) { try MessageCrypto.open(Array(sealed.dropLast()), topic: sampleTopic, keys: keys) }
    }

    @Test("another topic (even one second later) or another key fails the HMAC")
    func wrongTopicOrKey() throws {
        let keys = try exampleKeys()
        let sealed = try MessageCrypto.seal(Array("ping".utf8), topic: "/config/v2/9999999/1700000000/ping", keys: keys)
        #expect(throws: MessageCryptoError.badHMAC) {
            try MessageCrypto.open(sealed, topic: "/config/v2/9999999/1700000001/ping", keys: keys)
        }
        #expect(throws: MessageCryptoError.badHMAC) { try MessageCrypto.open(sealed, topic: "", keys: keys) }
        let otherKey = MessageKeys(deviceKey: try #require(DeviceKey(hex: "00112233445566778899aabbccddeeff")))
        #expect(throws: MessageCryptoError.badHMAC) {
            try MessageCrypto.open(sealed, topic: "/config/v2/9999999/1700000000/ping", keys: otherKey)
        }
    }

    @Test("a valid HMAC over blocks without valid PKCS#7 padding is badPadding")
    func badPadding() throws {
        let keys = try exampleKeys()
        let body = Array("hello".utf8) + [0]
        let badBlocks: [[UInt8]] = [
            body + [UInt8](repeating: 0, count: 10),                 // pad byte 0
            body + [UInt8](repeating: 0x11, count: 10),              // pad byte 17 > block size
            body + [1, 2, 3, 4, 5, 6, 7, 8, 9, 3],                   // says 3, but the 3 bytes differ
            body + [9, 9, 9, 9, 9, 9, 9, 9, 10, 10],                 // says 10, only 2 are 10
            [UInt8](repeating: 0x41, count: 16) + [UInt8](repeating: 0x20, count: 16),  // two blocks ending in 32 > 16
        ]
        for blocks in badBlocks {
            let message = try sealRawBlocks(blocks, topic: sampleTopic, keys: keys)
            #expect(throws: MessageCryptoError.badPadding, "\(blocks)") {
                try MessageCrypto.open(message, topic: sampleTopic, keys: keys)
            }
        }
        // A ciphertext that is not whole blocks, under a valid HMAC.
        let whole = try MessageCrypto.seal(Array("hello".utf8), topic: sampleTopic, keys: keys, iv: fixedIV)
        let ragged = Array(whole[48...]) + [0xAA]
        let message = hmacSHA256(keys.hmacKey, Array(sampleTopic.utf8) + fixedIV + ragged) + fixedIV + ragged
        #expect(throws: MessageCryptoError.badPadding) { try MessageCrypto.open(message, topic: sampleTopic, keys: keys) }
    }

    @Test("valid padding over a cleartext without the trailing NUL is missingTerminator")
    func missingTerminator() throws {
        let keys = try exampleKeys()
        for cleartext in [Array("hello".utf8), [], Array("exactly sixteen!".utf8), Array("fifteen chars..".utf8) + [1]] {
            let pad = 16 - cleartext.count % 16
            let blocks = cleartext + [UInt8](repeating: UInt8(pad), count: pad)
            let message = try sealRawBlocks(blocks, topic: sampleTopic, keys: keys)
            #expect(throws: MessageCryptoError.missingTerminator, "\(cleartext)") {
                try MessageCrypto.open(message, topic: sampleTopic, keys: keys)
            }
        }
        // Only the one trailing NUL is stripped: a cleartext ending in NUL keeps it.
        let withNUL = Array("ab".utf8) + [0]
        let sealed = try MessageCrypto.seal(withNUL, topic: sampleTopic, keys: keys)
        #expect(try MessageCrypto.open(sealed, topic: sampleTopic, keys: keys) == withNUL)
    }

    @Test("fewer than 64 bytes (HMAC, IV, one block) is tooShort with the length; 64 random bytes fail the HMAC")
    func tooShort() throws {
        let keys = try exampleKeys()
        for count in [0, 1, 32, 48, 63] {
            #expect(throws: MessageCryptoError.tooShort(count)) {
                try MessageCrypto.open([UInt8](repeating: 7, count: count), topic: sampleTopic, keys: keys)
            }
        }
        #expect(throws: MessageCryptoError.badHMAC) {
            try MessageCrypto.open([UInt8](repeating: 7, count: 64), topic: sampleTopic, keys: keys)
        }
    }

    @Test("every error says what failed and what to try, without any key")
    func errorTexts() throws {
        let keys = try exampleKeys()
        let errors: [MessageCryptoError] = [.tooShort(5), .badHMAC, .badPadding, .missingTerminator, .cryptoFailure("x")]
        #expect(MessageCryptoError.badHMAC.description == "the HMAC does not match: wrong key or topic, or the message was altered")
        #expect(MessageCryptoError.tooShort(5).description.contains("5 bytes"))
        #expect(MessageCryptoError.badPadding.description.contains("padding"))
        #expect(MessageCryptoError.missingTerminator.description.contains("NUL"))
        for error in errors {
            #expect(error.help?.isEmpty == false)
            for text in [error.description, error.help ?? "", String(reflecting: error)] {
                for secret in [FactsVector.key, FactsVector.aesKey, FactsVector.hmacKey, FactsVector.apPassword] {
                    #expect(!text.contains(secret))
                }
            }
        }
        _ = keys
    }

    @Test("hex: lowercase out, either case in, odd length or non-digits refused")
    func hexHelpers() {
        #expect(hexString([0x00, 0xAB, 0x7F]) == "00ab7f")
        #expect(MessageCrypto.bytes(hex: "00AB7f") == [0x00, 0xAB, 0x7F])
        #expect(MessageCrypto.bytes(hex: " 00ab\n") == [0x00, 0xAB])
        #expect(MessageCrypto.bytes(hex: "") == [])
        #expect(MessageCrypto.bytes(hex: "abc") == nil)
        #expect(MessageCrypto.bytes(hex: "zz") == nil)
        #expect(MessageCrypto.bytes(hex: "0x00") == nil)
    }
}

@Suite("The device's replay window")
struct ReplayWindowTests {
    @Test("a command up to 1800 s from the device's clock is accepted, 1801 s is refused, both directions")
    func edges() {
        let now = 1_700_000_000
        #expect(ReplayWindow.seconds == 1800)
        for offset in [0, 1, -1, 1799, -1799, 1800, -1800] {
            #expect(ReplayWindow.accepts(messageTime: now + offset, now: now), "offset \(offset)")
        }
        for offset in [1801, -1801, 3600, -86400] {
            #expect(!ReplayWindow.accepts(messageTime: now + offset, now: now), "offset \(offset)")
        }
    }

    @Test("extreme times do not overflow")
    func extremes() {
        #expect(!ReplayWindow.accepts(messageTime: Int.min, now: Int.max))
        #expect(!ReplayWindow.accepts(messageTime: Int.max, now: Int.min))
        #expect(ReplayWindow.accepts(messageTime: Int.max, now: Int.max))
        #expect(!ReplayWindow.accepts(messageTime: 0, now: Int.min))
    }
}
