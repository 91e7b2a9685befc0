import CZlib
import ESPProtocol

/// zlib (RFC 1950) compression for the stub's FLASH_DEFL_* writes, through the system zlib.
public enum ZlibStream {
    /// zlib's best ratio; the stub inflates at memory speed, the line is the bottleneck.
    public static let level: Int32 = 9

    /// Compresses `bytes` into one zlib stream whose window is at most `2^windowBits`
    /// bytes (9…15), so a stub with a small dictionary can inflate it.
    public static func compress(_ bytes: [UInt8], windowBits: Int) -> [UInt8] {
        precondition((9...15).contains(windowBits), "zlib window bits are 9...15")
        var stream = z_stream()
        // deflateInit2_ is the function behind zlib's deflateInit2 macro.
        let status = deflateInit2_(
            &stream, level, Z_DEFLATED, Int32(windowBits), 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed with \(status)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        var input = bytes
        let produced: Int = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate with a deflateBound-sized buffer must finish, got \(result)")
                return Int(stream.total_out)
            }
        }
        return Array(output[..<produced])
    }
}
