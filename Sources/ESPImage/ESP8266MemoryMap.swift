/// ESP8266 address space facts the image tools need: which named memory a load address
/// falls in, where the flash is mapped for code, and which load addresses are plausible.
///
/// Source: measured from esptool 5.6.0 (`esptool --chip esp8266 image-info` labels and
/// warnings, `elf2image` file split) by probing boundary addresses; the ranges agree with
/// the ESP8266 technical reference's memory map.
public enum ESP8266MemoryMap {
    /// A named address range.
    public struct Region: Equatable, Sendable {
        public var name: String
        public var range: Range<UInt32>
    }

    /// The regions esptool's image-info names (by a segment's load address only).
    public static let regions: [Region] = [
        Region(name: "DPORT", range: 0x3FF0_0000..<0x3FF0_0010),
        Region(name: "DRAM", range: 0x3FFE_8000..<0x4000_0000),
        Region(name: "IRAM", range: 0x4010_0000..<0x4010_8000),
        Region(name: "IROM", range: 0x4020_1010..<0x402E_1010),
    ]

    /// The name of the region `address` falls in, or nil outside the known regions.
    public static func regionName(for address: UInt32) -> String? {
        regions.first { $0.range.contains(address) }?.name
    }

    /// Where flash is mapped for code (`.irom0.text`): a section loaded here is not a RAM
    /// segment of the boot image but a raw file written at flash offset address − base.
    public static let flashMappedCode: Range<UInt32> = 0x4020_0000..<0x4030_0000

    /// Flash offset 0 as seen from the CPU.
    public static var flashMapBase: UInt32 { flashMappedCode.lowerBound }

    /// Load addresses a boot image segment plausibly has (image-info warns outside this
    /// window: "suspicious segment").
    public static let plausibleLoadAddresses: ClosedRange<UInt32> = 0x3FFE_0000...0x4020_0000
}
