import COpenSSL

/// HMAC-SHA256, streaming (OpenSSL 3's EVP_MAC): `update` with each part of the message,
/// then `finish`. Owns its EVP_MAC and EVP_MAC_CTX and frees both when it goes away.
public struct HMACSHA256: ~Copyable {
    public static let byteCount = 32
    private static let operation = "HMAC-SHA256"
    private let mac: OpaquePointer
    private let context: OpaquePointer

    public init(key: [UInt8]) throws(CryptoError) {
        guard !key.isEmpty else { throw CryptoError(operation: Self.operation, reason: "it needs a key") }
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw .failed(Self.operation, in: "EVP_MAC_fetch") }
        guard let context = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            throw .failed(Self.operation, in: "EVP_MAC_CTX_new")
        }
        // The parameter keeps pointers to both strings: they must live through EVP_MAC_init.
        var name = Array("digest".utf8CString)
        var digest = Array("SHA256".utf8CString)
        let status = name.withUnsafeMutableBufferPointer { name in
            digest.withUnsafeMutableBufferPointer { digest in
                var parameters = [OSSL_PARAM_construct_utf8_string(name.baseAddress, digest.baseAddress, 0), OSSL_PARAM_construct_end()]
                return key.withUnsafeBufferPointer { key in EVP_MAC_init(context, key.baseAddress, key.count, &parameters) }
            }
        }
        // Every failure frees what it made: the value (and its deinit) exists only after.
        guard status == 1 else {
            let error = CryptoError.failed(Self.operation, in: "EVP_MAC_init")
            EVP_MAC_CTX_free(context)
            EVP_MAC_free(mac)
            throw error
        }
        self.mac = mac
        self.context = context
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
    }

    public mutating func update(_ bytes: [UInt8]) throws(CryptoError) {
        guard !bytes.isEmpty else { return }
        let status = bytes.withUnsafeBufferPointer { EVP_MAC_update(context, $0.baseAddress, $0.count) }
        guard status == 1 else { throw .failed(Self.operation, in: "EVP_MAC_update") }
    }

    /// The 32-byte MAC.
    public consuming func finish() throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Self.byteCount)
        var length = 0
        let status = output.withUnsafeMutableBufferPointer { EVP_MAC_final(context, $0.baseAddress, &length, $0.count) }
        guard status == 1, length == Self.byteCount else { throw .failed(Self.operation, in: "EVP_MAC_final") }
        return output
    }

    /// HMAC-SHA256 of `bytes` under `key`.
    public static func mac(key: [UInt8], _ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        var hmac = try HMACSHA256(key: key)
        try hmac.update(bytes)
        return try hmac.finish()
    }

    /// Compares two MACs in time that depends on their length only, not on where they
    /// differ (CRYPTO_memcmp).
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0 }
        }
    }
}
