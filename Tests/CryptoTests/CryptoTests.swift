import Basics
import Crypto
import Testing

/// Published test vectors (FIPS 180-2, RFC 1321, RFC 4231, NIST SP 800-38A), and the
/// streaming forms agreeing with the one-shot ones.
@Suite("Crypto over libcrypto")
struct CryptoTypeTests {
    @Test("SHA-256 of \"abc\" and of nothing, whole and in parts")
    func sha256() throws {
        #expect(try hexString(SHA256.digest(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try hexString(SHA256.digest([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var hash = try SHA256()
        try hash.update("a")
        try hash.update(Array("bc".utf8))
        #expect(try hash.finish() == SHA256.digest(Array("abc".utf8)))
    }

    @Test("MD5 of RFC 1321's examples")
    func md5Digest() throws {
        #expect(try hexString(MD5.digest([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(try hexString(MD5.digest(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        var hash = try MD5()
        try hash.update(Array("message ".utf8))
        try hash.update(Array("digest".utf8))
        #expect(try hexString(hash.finish()) == "f96b697d7cb7938d525a2f31aaf161d0")
    }

    @Test("HMAC-SHA256 of RFC 4231's test case 2, whole and in parts; an empty key is refused")
    func hmac() throws {
        let key = Array("Jefe".utf8)
        let data = Array("what do ya want for nothing?".utf8)
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        #expect(try hexString(HMACSHA256.mac(key: key, data)) == expected)
        var mac = try HMACSHA256(key: key)
        try mac.update(Array(data[..<10]))
        try mac.update(Array(data[10...]))
        #expect(try hexString(mac.finish()) == expected)
        #expect(throws: CryptoError.self) { try HMACSHA256(key: []) }
    }

    @Test("the constant-time comparison tells equal from unequal and from another length")
    func constantTimeEqual() {
        #expect(HMACSHA256.equal([1, 2, 3], [1, 2, 3]))
        #expect(!HMACSHA256.equal([1, 2, 3], [1, 2, 4]))
        #expect(!HMACSHA256.equal([1, 2, 3], [1, 2]))
    }

    @Test("AES-128-CBC of SP 800-38A's F.2.1 block, both ways; padding added and checked")
    func aes() throws {
        let key = bytes("2b7e151628aed2a6abf7158809cf4f3c")
        let iv = bytes("000102030405060708090a0b0c0d0e0f")
        let block = bytes("6bc1bee22e409f96e93d7e117393172a")
        let sealed = try AES128CBC.apply(.encrypt, block, key: key, iv: iv, padding: false)
        #expect(hexString(sealed) == "7649abac8119b246cee98e9b12e9197d")
        #expect(try AES128CBC.apply(.decrypt, sealed, key: key, iv: iv, padding: false) == block)

        let padded = try AES128CBC.apply(.encrypt, Array("hello".utf8), key: key, iv: iv, padding: true)
        #expect(padded.count == 16)
        #expect(try AES128CBC.apply(.decrypt, padded, key: key, iv: iv, padding: true) == Array("hello".utf8))
        #expect(throws: CryptoError.self, "a block without valid padding is refused") {
            var cipher = try AES128CBC(.decrypt, key: key, iv: iv, padding: true)
            _ = try cipher.update(sealed)
            return try cipher.finish()
        }
        let refused = #expect(throws: CryptoError.self) { try AES128CBC(.encrypt, key: [1, 2, 3], iv: iv, padding: true) }
        #expect(refused?.description == "AES-128-CBC: it needs a 16-byte key and IV")
    }

    @Test("random bytes come in the length asked for and differ between calls")
    func random() throws {
        let first = try SecureRandom.bytes(32)
        let second = try SecureRandom.bytes(32)
        #expect(first.count == 32 && second.count == 32)
        #expect(first != second)
    }

    private func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
