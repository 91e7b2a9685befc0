import TestSupport
import ESPImage
import Foundation

/// Builds a v1 ESP8266 image by hand, from the format description alone:
/// E9, segment count, mode, size/frequency, u32 entry; per segment u32 address, u32 length,
/// bytes; zero padding so that length + 1 is a multiple of 16; 0xEF XOR all segment bytes.
func makeImage(
    segments: [(address: UInt32, data: [UInt8])],
    mode: UInt8 = 0x03, sizeFrequency: UInt8 = 0x20, entry: UInt32 = 0x4010_0004
) -> [UInt8] {
    var bytes: [UInt8] = [0xE9, UInt8(segments.count), mode, sizeFrequency] + le32(entry)
    var checksum: UInt8 = 0xEF
    for segment in segments {
        bytes += le32(segment.address) + le32(UInt32(segment.data.count)) + segment.data
        for byte in segment.data { checksum ^= byte }
    }
    while (bytes.count + 1) % 16 != 0 { bytes.append(0) }
    bytes.append(checksum)
    return bytes
}


extension FlashParameters {
    /// DOUT, 1 MB, 40 MHz: the settings of the boards mlprov flashes (MeterLogger's, which
    /// this layer does not know by name).
    static let dout1MB40MHz = FlashParameters(mode: .dout, size: .size1MB, frequency: .mhz40)
}
