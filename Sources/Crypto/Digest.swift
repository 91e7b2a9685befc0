import COpenSSL

/// SHA-256, streaming: feed it with `update`, end it with `finish` (which consumes it).
/// Owns its EVP_MD_CTX and frees it when it goes away.
public struct SHA256: ~Copyable {
    public static let byteCount = 32
    private var context: DigestContext

    public init() throws(CryptoError) {
        context = try DigestContext(EVP_sha256(), operation: "SHA-256")
    }

    public mutating func update(_ bytes: [UInt8]) throws(CryptoError) { try context.update(bytes) }
    public mutating func update(_ text: String) throws(CryptoError) { try context.update(Array(text.utf8)) }

    /// The 32-byte digest.
    public consuming func finish() throws(CryptoError) -> [UInt8] { try context.finish() }

    /// SHA-256 of `bytes`.
    public static func digest(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        var hash = try SHA256()
        try hash.update(bytes)
        return try hash.finish()
    }
}

/// MD5, the digest the flasher stub's SPI_FLASH_MD5 and READ_FLASH report (an integrity
/// check, not security). Owns its EVP_MD_CTX like `SHA256`.
public struct MD5: ~Copyable {
    public static let byteCount = 16
    private var context: DigestContext

    public init() throws(CryptoError) {
        context = try DigestContext(EVP_md5(), operation: "MD5")
    }

    public mutating func update(_ bytes: [UInt8]) throws(CryptoError) { try context.update(bytes) }

    /// The 16-byte digest.
    public consuming func finish() throws(CryptoError) -> [UInt8] { try context.finish() }

    /// MD5 of `bytes`.
    public static func digest(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        var hash = try MD5()
        try hash.update(bytes)
        return try hash.finish()
    }
}

/// One EVP_MD_CTX, set up for one algorithm; freed in deinit.
struct DigestContext: ~Copyable {
    private let context: OpaquePointer
    private let operation: String

    init(_ algorithm: OpaquePointer?, operation: String) throws(CryptoError) {
        guard let context = EVP_MD_CTX_new() else { throw .failed(operation, in: "EVP_MD_CTX_new") }
        // Every failure frees what it made: the value (and its deinit) exists only after.
        guard EVP_DigestInit_ex(context, algorithm, nil) == 1 else {
            let error = CryptoError.failed(operation, in: "EVP_DigestInit_ex")
            EVP_MD_CTX_free(context)
            throw error
        }
        self.context = context
        self.operation = operation
    }

    deinit { EVP_MD_CTX_free(context) }

    mutating func update(_ bytes: [UInt8]) throws(CryptoError) {
        let status = bytes.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        guard status == 1 else { throw .failed(operation, in: "EVP_DigestUpdate") }
    }

    /// The digest; the context takes no more input afterwards (its owners consume
    /// themselves to get here).
    mutating func finish() throws(CryptoError) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1 else { throw .failed(operation, in: "EVP_DigestFinal_ex") }
        return Array(digest.prefix(Int(length)))
    }
}
