import CZlib

/// A streaming zlib (RFC 1950) inflater over the system zlib, as the stub's FLASH_DEFL_DATA
/// needs it: compressed blocks go in one at a time, the bytes they complete come out.
/// zlib checks the stream's adler32 at its end itself.
///
/// A reference type because zlib's stream state is not copyable; each stub engine owns its
/// own, and the twin's lock serialises every use (hence `@unchecked Sendable`).
final class ZlibInflater: @unchecked Sendable {
    /// Why the stream cannot be inflated.
    enum Failure: Error, Equatable {
        /// The zlib header announces a window larger than the stub's dictionary.
        case windowTooLarge(bits: Int)
        /// Corrupt data, a wrong adler32, a missing dictionary or a broken header.
        case corrupt
    }

    /// The output zlib produces per call before it is handed on.
    private static let outputChunk = 32 * 1024
    /// RFC 1950: CINFO (the high nibble of the first byte) is log2(window) - 8.
    private static let windowBitsBias = 8

    private let maxWindowBits: Int
    private var stream = z_stream()
    private var initialised = false
    private var headerChecked = false
    /// Whether the stream's end (and its adler32) has been reached.
    private(set) var finished = false

    /// An inflater accepting windows up to `2^maxWindowBits` bytes (zlib: 8…15).
    init(maxWindowBits: Int) {
        self.maxWindowBits = maxWindowBits
    }

    deinit {
        if initialised { inflateEnd(&stream) }
    }

    /// Inflates `input`; returns the bytes it completes. Input after the stream's end is ignored.
    func inflate(_ input: [UInt8]) throws(Failure) -> [UInt8] {
        guard !finished, !input.isEmpty else { return [] }
        if !headerChecked {
            let bits = Int(input[0] >> 4) + Self.windowBitsBias
            if input[0] & 0x0F == UInt8(Z_DEFLATED) && bits > maxWindowBits { throw .windowTooLarge(bits: bits) }
            headerChecked = true
        }
        if !initialised {
            // inflateInit_ is the function behind zlib's inflateInit macro; it reads the
            // zlib header and accepts any window the header announces (checked above).
            guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw .corrupt }
            initialised = true
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: Self.outputChunk)
        var source = input
        var status: Int32 = Z_OK
        source.withUnsafeMutableBufferPointer { sourceBuffer in
            stream.next_in = sourceBuffer.baseAddress
            stream.avail_in = uInt(sourceBuffer.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                output += chunk[0..<produced]
                // Z_BUF_ERROR only says "no progress possible": all input used, more needed.
            } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
            stream.next_in = nil
            stream.next_out = nil
        }
        switch status {
        case Z_STREAM_END: finished = true
        case Z_OK, Z_BUF_ERROR: break
        default: throw .corrupt
        }
        return output
    }
}
