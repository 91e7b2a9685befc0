import Crypto
import MeterLogger

extension DeviceKey {
    /// A fresh key from OpenSSL's CSPRNG (RAND_bytes, seeded by the kernel).
    public static func random() throws(KeyStoreError) -> DeviceKey {
        guard let bytes = try? SecureRandom.bytes(DeviceKey.byteCount), let key = DeviceKey(bytes: bytes) else {
            throw .randomSourceFailed
        }
        return key
    }
}
