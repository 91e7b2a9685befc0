import COpenSSL
import MeterLogger

extension DeviceKey {
    /// A fresh key from OpenSSL's CSPRNG (RAND_bytes, seeded by the kernel).
    public static func random() throws(KeyStoreError) -> DeviceKey {
        var bytes = [UInt8](repeating: 0, count: DeviceKey.byteCount)
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard status == 1, let key = DeviceKey(bytes: bytes) else { throw .randomSourceFailed }
        return key
    }
}
