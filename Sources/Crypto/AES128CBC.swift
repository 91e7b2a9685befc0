import COpenSSL

/// AES-128 in CBC mode, one message at a time: `update` with the input (in parts or whole),
/// then `finish`. With `padding` OpenSSL adds (encrypting) or checks and strips
/// (decrypting) PKCS#7; without it the input must be whole blocks. Owns its
/// EVP_CIPHER_CTX and frees it when it goes away.
public struct AES128CBC: ~Copyable {
    public enum Direction: Sendable { case encrypt, decrypt }

    public static let keyByteCount = 16
    public static let blockByteCount = 16
    private static let operation = "AES-128-CBC"
    private let context: OpaquePointer

    public init(_ direction: Direction, key: [UInt8], iv: [UInt8], padding: Bool) throws(CryptoError) {
        guard key.count == Self.keyByteCount, iv.count == Self.blockByteCount else {
            throw CryptoError(operation: Self.operation, reason: "it needs a 16-byte key and IV")
        }
        guard let context = EVP_CIPHER_CTX_new() else { throw .failed(Self.operation, in: "EVP_CIPHER_CTX_new") }
        // Every failure frees what it made: the value (and its deinit) exists only after.
        var failedCall: String?
        if EVP_CipherInit_ex(context, EVP_aes_128_cbc(), nil, key, iv, direction == .encrypt ? 1 : 0) != 1 {
            failedCall = "EVP_CipherInit_ex"
        } else if EVP_CIPHER_CTX_set_padding(context, padding ? 1 : 0) != 1 {
            failedCall = "EVP_CIPHER_CTX_set_padding"
        }
        if let failedCall {
            let error = CryptoError.failed(Self.operation, in: failedCall)
            EVP_CIPHER_CTX_free(context)
            throw error
        }
        self.context = context
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// What `input` turns into so far (whole blocks; the rest waits for more or `finish`).
    public mutating func update(_ input: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard !input.isEmpty else { return [] }
        var output = [UInt8](repeating: 0, count: input.count + Self.blockByteCount)
        var written: Int32 = 0
        let status = output.withUnsafeMutableBufferPointer { out in
            EVP_CipherUpdate(context, out.baseAddress, &written, input, Int32(input.count))
        }
        guard status == 1 else { throw .failed(Self.operation, in: "EVP_CipherUpdate") }
        return Array(output.prefix(Int(written)))
    }

    /// The last block(s): the padding added, or the padding checked and removed.
    public consuming func finish() throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Self.blockByteCount)
        var written: Int32 = 0
        let status = output.withUnsafeMutableBufferPointer { EVP_CipherFinal_ex(context, $0.baseAddress, &written) }
        guard status == 1 else { throw .failed(Self.operation, in: "EVP_CipherFinal_ex") }
        return Array(output.prefix(Int(written)))
    }

    /// `input` encrypted or decrypted whole.
    public static func apply(
        _ direction: Direction, _ input: [UInt8], key: [UInt8], iv: [UInt8], padding: Bool
    ) throws(CryptoError) -> [UInt8] {
        var cipher = try AES128CBC(direction, key: key, iv: iv, padding: padding)
        let head = try cipher.update(input)
        return try head + cipher.finish()
    }
}
