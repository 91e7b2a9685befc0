import ESPImage

/// A deterministic stand-in for a MeterLogger build, with the sizes of a real KMP build
/// (docs/meterlogger-build.md, "What a real build looks like"): a bootable `0x00000.bin` with an
/// IRAM and a DRAM segment, the `.irom0.text` file, the web pages, the RF init data and the
/// blank sector. Used by the tests and, through mlprov-bench-fixtures, the benchmarks, so
/// figures are comparable.
public enum SampleImageSet {
    public typealias File = FlashPart

    /// Sizes of the KMP build measured from the public source.
    public static let appImageSize = 38_784
    public static let iromSize = 279_684
    public static let webPagesSize = 5_748
    public static let initDataSize = 128
    public static let blankSize = 4_096

    /// The five files at MeterLogger's offsets, identical for the same seed.
    public static func meterLogger(seed: UInt64 = 0x4D4C_5052_4F56) -> [File] {
        var random = SplitMix64(seed: seed)
        return [
            File(name: "0x00000.bin", offset: 0x00000, bytes: appImage(&random)),
            File(name: "0x10000.bin", offset: 0x10000, bytes: codeLike(iromSize, &random)),
            File(name: "webpages.espfs", offset: 0x60000, bytes: codeLike(webPagesSize, &random)),
            File(name: "esp_init_data_default_112th_byte_0x03.bin", offset: 0xFC000, bytes: codeLike(initDataSize, &random)),
            File(name: "blank.bin", offset: 0xFE000, bytes: [UInt8](repeating: 0xFF, count: blankSize)),
        ]
    }

    /// A valid v1 image of exactly `appImageSize` bytes: IRAM at 0x40100000, DRAM at 0x3FFE8000.
    static func appImage(_ random: inout SplitMix64) -> [UInt8] {
        let iram = codeLike(29_452, &random)
        let dram = codeLike(9_296, &random)
        var image: [UInt8] = [ESP8266Image.magic, 2, FlashMode.dout.rawValue, FlashSize.size1MB.rawValue << 4 | FlashFrequency.mhz40.rawValue]
        image.appendLE32(0x4010_0004)
        for (address, data) in [(UInt32(0x4010_0000), iram), (UInt32(0x3FFE_8000), dram)] {
            image.appendLE32(address)
            image.appendLE32(UInt32(data.count))
            image += data
        }
        let checksum = (iram + dram).reduce(ESP8266Image.checksumSeed, ^)
        while (image.count + 1) % 16 != 0 { image.append(0) }
        image.append(checksum)
        return image
    }

    /// Bytes with the texture of compiled code: mostly varied, with short runs of zeros
    /// and repeated words, and the SLIP specials 0xC0/0xDB at their natural frequency.
    static func codeLike(_ count: Int, _ random: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let roll = random.next() % 16
            let run: [UInt8]
            switch roll {
            case 0: run = [UInt8](repeating: 0, count: Int(random.next() % 12) + 1)
            case 1:
                let word = random.next()
                run = (0..<4).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } + (0..<4).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) }
            default:
                let value = random.next()
                run = (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
            }
            bytes += run.prefix(count - bytes.count)
        }
        return bytes
    }
}

/// A small, fast, deterministic generator (SplitMix64) for reproducible test data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
