import Basics
import Crypto

/// The two keys a board's MQTT messages are protected with, both derived from its KEY
/// (docs/meterlogger-build.md, "Names and keys derived from SERIAL and KEY"): SHA-256 over the
/// 16 raw key bytes (not the hex text); the first 16 bytes of the digest are the AES-128
/// key, the last 16 bytes the HMAC-SHA256 key.
///
/// Like `DeviceKey`, every way of printing it shows `<redacted>`; the keys come out only
/// through `aesKey` and `hmacKey`, asked for by name.
public struct MessageKeys: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Bytes in each of the two keys.
    public static let keyByteCount = 16

    private let aes: [UInt8]
    private let hmac: [UInt8]

    public init(deviceKey: DeviceKey) {
        let digest: [UInt8]
        do {
            digest = try SHA256.digest(deviceKey.bytes)
        } catch {
            // SHA-256 over 16 bytes fails only when libcrypto cannot allocate a context: no
            // key can be derived then, and going on with any other bytes would be wrong.
            preconditionFailure("libcrypto's SHA-256 failed: \(error)")
        }
        aes = Array(digest[0..<Self.keyByteCount])
        hmac = Array(digest[Self.keyByteCount..<2 * Self.keyByteCount])
    }

    /// The AES-128 key: the first 16 bytes of SHA-256(KEY).
    public var aesKey: [UInt8] { aes }

    /// The HMAC-SHA256 key: the last 16 bytes of SHA-256(KEY).
    public var hmacKey: [UInt8] { hmac }

    public var description: String { DeviceKey.redacted }
    public var debugDescription: String { DeviceKey.redacted }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// MeterLogger's MQTT message format, the same in both directions (docs/meterlogger-build.md, "MQTT message crypto"; the firmware's crypto.c and the server's MQTT handlers):
///
/// | bytes | content |
/// |---|---|
/// | 0 ..< 32 | HMAC-SHA256(hmac key, topic bytes ‖ IV ‖ ciphertext) |
/// | 32 ..< 48 | IV, 16 random bytes |
/// | 48 ... | AES-128-CBC(aes key, IV, cleartext ‖ 0x00), PKCS#7 padded |
///
/// A receiver checks the HMAC first, in constant time, and drops the message on a
/// mismatch; only then does it decrypt, check the padding and strip the trailing NUL.
public enum MessageCrypto {
    public static let hmacByteCount = 32
    public static let ivByteCount = 16
    /// AES's block size: the ciphertext is a whole number of these, at least one.
    public static let blockByteCount = 16
    /// The shortest message there is: HMAC, IV and one block (an empty cleartext's NUL
    /// plus 15 bytes of padding).
    public static let minimumMessageByteCount = hmacByteCount + ivByteCount + blockByteCount

    /// Seals `cleartext` for `topic` with a fresh random IV (OpenSSL's RAND_bytes).
    public static func seal(_ cleartext: [UInt8], topic: String, keys: MessageKeys) throws(MessageCryptoError) -> [UInt8] {
        try seal(cleartext, topic: topic, keys: keys, iv: crypto { () throws(CryptoError) in try SecureRandom.bytes(ivByteCount) })
    }

    /// Seals `cleartext` for `topic` with the given 16-byte IV. For test vectors only: a
    /// real message needs a fresh random IV (use `seal(_:topic:keys:)`).
    public static func seal(_ cleartext: [UInt8], topic: String, keys: MessageKeys, iv: [UInt8]) throws(MessageCryptoError) -> [UInt8] {
        guard iv.count == ivByteCount else {
            throw .cryptoFailure("the IV must be \(ivByteCount) bytes, this one has \(iv.count)")
        }
        return try crypto { () throws(CryptoError) in
            let ciphertext = try AES128CBC.apply(.encrypt, cleartext + [0], key: keys.aesKey, iv: iv, padding: true)
            return try mac(topic: topic, iv: iv, ciphertext: ciphertext, keys: keys) + iv + ciphertext
        }
    }

    /// Opens a message received on (or meant for) `topic`: checks the HMAC in constant time
    /// (CRYPTO_memcmp) before anything else, then decrypts, checks the PKCS#7 padding and
    /// strips the trailing NUL the sender appended. Returns the cleartext without it.
    public static func open(_ message: [UInt8], topic: String, keys: MessageKeys) throws(MessageCryptoError) -> [UInt8] {
        guard message.count >= minimumMessageByteCount else { throw .tooShort(message.count) }
        let mac = Array(message[0..<hmacByteCount])
        let iv = Array(message[hmacByteCount..<hmacByteCount + ivByteCount])
        let ciphertext = Array(message[(hmacByteCount + ivByteCount)...])

        let expected = try crypto { () throws(CryptoError) in try Self.mac(topic: topic, iv: iv, ciphertext: ciphertext, keys: keys) }
        guard HMACSHA256.equal(mac, expected) else { throw .badHMAC }

        // The HMAC matched, so the sender held the key: what follows are its mistakes, not
        // an attacker's probes (no padding oracle here).
        guard ciphertext.count % blockByteCount == 0 else { throw .badPadding }
        let padded = try crypto { () throws(CryptoError) in
            try AES128CBC.apply(.decrypt, ciphertext, key: keys.aesKey, iv: iv, padding: false)
        }
        guard let unpadded = removePKCS7(padded) else { throw .badPadding }
        guard unpadded.last == 0 else { throw .missingTerminator }
        return Array(unpadded.dropLast())
    }

    /// HMAC-SHA256(hmac key, topic ‖ IV ‖ ciphertext).
    private static func mac(topic: String, iv: [UInt8], ciphertext: [UInt8], keys: MessageKeys) throws(CryptoError) -> [UInt8] {
        var hmac = try HMACSHA256(key: keys.hmacKey)
        try hmac.update(Array(topic.utf8))
        try hmac.update(iv)
        try hmac.update(ciphertext)
        return try hmac.finish()
    }

    /// Runs libcrypto work, its failure turned into `.cryptoFailure` with OpenSSL's reason.
    private static func crypto<T>(_ body: () throws(CryptoError) -> T) throws(MessageCryptoError) -> T {
        do { return try body() } catch { throw .cryptoFailure(error.description) }
    }

    /// `bytes` without its PKCS#7 padding; nil when the padding is not valid (last byte 1…16,
    /// and that many bytes of that value).
    static func removePKCS7(_ bytes: [UInt8]) -> [UInt8]? {
        guard let last = bytes.last, (1...blockByteCount).contains(Int(last)), bytes.count >= Int(last) else { return nil }
        let count = Int(last)
        guard bytes.suffix(count).allSatisfy({ $0 == last }) else { return nil }
        return Array(bytes.dropLast(count))
    }

    // MARK: Hex, as the debug commands and test vectors write messages (`hexString` writes it)

    /// The bytes `text` spells in hex (either case, an even number of digits; surrounding
    /// whitespace ignored). Nil for anything else.
    public static func bytes(hex text: String) -> [UInt8]? {
        let digits = text.utf8.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        return hexBytes(String(decoding: digits, as: UTF8.self))
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }
}

/// Why a message could not be sealed or opened. Never contains a key or the cleartext.
public enum MessageCryptoError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// The message has this many bytes, fewer than HMAC, IV and one AES block (64).
    case tooShort(Int)
    /// The HMAC does not match: another key, another topic, or altered bytes.
    case badHMAC
    /// The HMAC matched but the decrypted bytes do not end in valid PKCS#7 padding.
    case badPadding
    /// The decrypted cleartext does not end in the NUL byte the sender appends.
    case missingTerminator
    /// OpenSSL failed (or was called wrongly), with its reason.
    case cryptoFailure(String)

    public var description: String {
        switch self {
        case .tooShort(let count):
            "the message is \(count) bytes, too short: a MeterLogger message has at least \(MessageCrypto.minimumMessageByteCount) "
                + "(\(MessageCrypto.hmacByteCount) bytes HMAC, \(MessageCrypto.ivByteCount) bytes IV, one \(MessageCrypto.blockByteCount)-byte AES block)"
        case .badHMAC:
            "the HMAC does not match: wrong key or topic, or the message was altered"
        case .badPadding:
            "the HMAC matches but the decrypted message has no valid PKCS#7 padding"
        case .missingTerminator:
            "the HMAC and padding are right but the cleartext does not end in the NUL byte MeterLogger appends"
        case .cryptoFailure(let reason):
            "OpenSSL failed: \(reason)"
        }
    }

    /// What to try next.
    public var help: String? {
        switch self {
        case .tooShort:
            "give the whole message (HMAC ‖ IV ‖ ciphertext), e.g. as `mlprov mqtt seal` prints it"
        case .badHMAC:
            "check the device's KEY and the exact topic the message was published on (the topic is part of the HMAC, including the unix time)"
        case .badPadding:
            "the sender holds the key but encrypted the message wrongly: it must pad with PKCS#7 after appending a NUL"
        case .missingTerminator:
            "the sender holds the key but did not append a NUL byte to the cleartext before encrypting, as MeterLogger does"
        case .cryptoFailure:
            "check that libcrypto (OpenSSL 3) is installed and working"
        }
    }
}
