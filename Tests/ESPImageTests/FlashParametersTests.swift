import ESPImage
import Testing

@Suite("Flash parameter names")
struct FlashParameterNameTests {
    @Test("flash modes by esptool's names, in any case")
    func modes() {
        #expect(FlashMode(name: "qio") == .qio)
        #expect(FlashMode(name: "qout") == .qout)
        #expect(FlashMode(name: "dio") == .dio)
        #expect(FlashMode(name: "dout") == .dout)
        #expect(FlashMode(name: "DOUT") == .dout)
        #expect(FlashMode(name: "keep") == nil)
        #expect(FlashMode(name: "qspi") == nil)
        #expect(FlashMode(name: "") == nil)
    }

    @Test("flash mode numbers are the header's byte 2")
    func modeValues() {
        #expect(FlashMode.allCases.map(\.rawValue) == [0, 1, 2, 3])
    }

    @Test("flash sizes by esptool's names", arguments: [
        ("256KB", FlashSize.size256KB), ("512KB", .size512KB), ("1MB", .size1MB), ("2MB", .size2MB), ("4MB", .size4MB),
        ("2MB-c1", .size2MBc1), ("4MB-c1", .size4MBc1), ("8MB", .size8MB), ("16MB", .size16MB),
        ("1mb", .size1MB), ("2mb-C1", .size2MBc1),
    ])
    func sizes(name: String, size: FlashSize) {
        #expect(FlashSize(name: name) == size)
    }

    @Test("unknown flash sizes are refused", arguments: ["3MB", "1M", "1024KB", "2MB-c2", "", "detect", "keep"])
    func unknownSizes(name: String) {
        #expect(FlashSize(name: name) == nil)
    }

    @Test("flash size nibbles are the documented ones")
    func sizeValues() {
        #expect(FlashSize.size512KB.rawValue == 0 && FlashSize.size256KB.rawValue == 1 && FlashSize.size1MB.rawValue == 2)
        #expect(FlashSize.size2MB.rawValue == 3 && FlashSize.size4MB.rawValue == 4 && FlashSize.size2MBc1.rawValue == 5)
        #expect(FlashSize.size4MBc1.rawValue == 6 && FlashSize.size8MB.rawValue == 8 && FlashSize.size16MB.rawValue == 9)
    }

    @Test("flash sizes in bytes")
    func sizeBytes() {
        #expect(FlashSize.size256KB.bytes == 262_144)
        #expect(FlashSize.size512KB.bytes == 524_288)
        #expect(FlashSize.size1MB.bytes == 1_048_576)
        #expect(FlashSize.size2MB.bytes == 2_097_152)
        #expect(FlashSize.size2MBc1.bytes == 2_097_152)
        #expect(FlashSize.size4MB.bytes == 4_194_304)
        #expect(FlashSize.size4MBc1.bytes == 4_194_304)
        #expect(FlashSize.size8MB.bytes == 8_388_608)
        #expect(FlashSize.size16MB.bytes == 16_777_216)
    }

    @Test("flash frequencies by esptool's names")
    func frequencies() {
        #expect(FlashFrequency(name: "40m") == .mhz40)
        #expect(FlashFrequency(name: "26m") == .mhz26)
        #expect(FlashFrequency(name: "20m") == .mhz20)
        #expect(FlashFrequency(name: "80m") == .mhz80)
        #expect(FlashFrequency(name: "80M") == .mhz80)
        #expect(FlashFrequency(name: "40") == nil)
        #expect(FlashFrequency(name: "60m") == nil)
        #expect(FlashFrequency(name: "keep") == nil)
    }

    @Test("frequency nibbles are the documented ones")
    func frequencyValues() {
        #expect(FlashFrequency.mhz40.rawValue == 0x0 && FlashFrequency.mhz26.rawValue == 0x1)
        #expect(FlashFrequency.mhz20.rawValue == 0x2 && FlashFrequency.mhz80.rawValue == 0xF)
    }

    @Test("every name parses back to its value")
    func namesRoundTrip() {
        for mode in FlashMode.allCases { #expect(FlashMode(name: mode.name) == mode) }
        for size in FlashSize.allCases { #expect(FlashSize(name: size.name) == size) }
        for frequency in FlashFrequency.allCases { #expect(FlashFrequency(name: frequency.name) == frequency) }
    }
}
