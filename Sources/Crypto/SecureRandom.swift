import COpenSSL

/// Bytes from OpenSSL's CSPRNG (RAND_bytes, seeded by the kernel): keys, IVs.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard status == 1 else { throw .failed("random bytes", in: "RAND_bytes") }
        return bytes
    }
}
