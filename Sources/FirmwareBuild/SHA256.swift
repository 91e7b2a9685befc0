import COpenSSL

/// SHA-256 through OpenSSL's libcrypto, incrementally: cache keys hash whole source trees.
struct SHA256Hasher {
    private var context: OpaquePointer?

    init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    mutating func update(_ bytes: some Collection<UInt8>) {
        var array = Array(bytes)
        EVP_DigestUpdate(context, &array, array.count)
    }

    mutating func update(_ text: String) {
        update(Array(text.utf8))
    }

    /// The digest as lowercase hex; the hasher cannot be used afterwards.
    mutating func finish() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        EVP_MD_CTX_free(context)
        context = nil
        return digest.prefix(Int(length)).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }
}
