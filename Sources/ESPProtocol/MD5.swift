import COpenSSL

/// MD5, the digest the stub's SPI_FLASH_MD5 and READ_FLASH report (integrity check only).
public enum MD5 {
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_md5(), nil)
        }
        precondition(ok == 1 && length == 16, "OpenSSL's MD5 failed")
        return digest
    }
}
