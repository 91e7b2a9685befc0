import Crypto

/// MD5 of `bytes`, for expectations (libcrypto failing here ends the test run).
public func md5Digest(_ bytes: [UInt8]) -> [UInt8] {
    try! MD5.digest(bytes)
}
