import COpenSSL
import MeterLogger

// Message-crypto vectors and a raw-OpenSSL sealer for the tests of MeterLogger and of the
// CLI: the sealer encrypts with libcrypto directly, independently of the Crypto target.

/// The published test vector (docs/meterlogger-build.md, "Names and keys derived from SERIAL and KEY").
public enum FactsVector {
    public static let key = "ef500c9268cf749016d26d6cbfaaf7bf"
    public static let sha256 = "89a5d4f82ad86bc9ec27427e246fd15481663afea8c463d93cc93c967c9b31be"
    public static let aesKey = "89a5d4f82ad86bc9ec27427e246fd154"
    public static let hmacKey = "81663afea8c463d93cc93c967c9b31be"
    public static let apPassword = "ef500c9268cf7490"
}

public func exampleKeys() throws -> MessageKeys {
    guard let key = DeviceKey(hex: FactsVector.key) else { throw VectorError.notAKey }
    return MessageKeys(deviceKey: key)
}

enum VectorError: Error { case notAKey, openSSL(String) }

public let sampleTopic = "/sample/v2/9999999/1700000000"
public let sampleCleartext = Array("heap=20000&t1=25.00 C&t2=15.00 C&tdif=10.00 K&flow1=0 l/h&effect1=0.0 kW&hr=0 h&v1=0.00 m3&e1=0 kWh&".utf8)
public let fixedIV: [UInt8] = Array(0..<16)

/// Builds a message around ciphertext blocks made here with OpenSSL directly (no padding
/// added), with a valid HMAC: what a sender holding the key but encrypting wrongly sends.
public func sealRawBlocks(_ plaintext: [UInt8], topic: String, keys: MessageKeys, iv: [UInt8] = fixedIV) throws -> [UInt8] {
    guard plaintext.count % 16 == 0 else { throw VectorError.openSSL("the plaintext is not whole blocks") }
    guard let context = EVP_CIPHER_CTX_new() else { throw VectorError.openSSL("EVP_CIPHER_CTX_new") }
    defer { EVP_CIPHER_CTX_free(context) }
    guard EVP_EncryptInit_ex(context, EVP_aes_128_cbc(), nil, keys.aesKey, iv) == 1,
          EVP_CIPHER_CTX_set_padding(context, 0) == 1 else { throw VectorError.openSSL("EVP_EncryptInit_ex") }
    var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
    var length: Int32 = 0
    guard EVP_EncryptUpdate(context, &ciphertext, &length, plaintext, Int32(plaintext.count)) == 1 else {
        throw VectorError.openSSL("EVP_EncryptUpdate")
    }
    ciphertext = Array(ciphertext[0..<Int(length)])
    return hmacSHA256(keys.hmacKey, Array(topic.utf8) + iv + ciphertext) + iv + ciphertext
}

public func hmacSHA256(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
    var mac = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    // The raw call, independent of the Crypto target; a failure leaves no MAC at all.
    guard HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &mac, &length) != nil, length == 32 else { return [] }
    return mac
}

