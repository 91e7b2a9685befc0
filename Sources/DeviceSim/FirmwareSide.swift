import Basics
import ESPImage
import MeterLogger

/// What the application the twin booted says about itself: read from the demo firmware's
/// configuration block ("MLCF", `DemoFirmwareConfig`) in the image's DRAM segment.
/// The key comes out only through `key.bytes`/`key.hex` (a `DeviceKey` prints redacted),
/// the AP password through `revealAPPassword()`; the description shows neither.
public struct FirmwareIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The configuration block as parsed.
    public let config: DemoFirmwareConfig
    /// Where the block sits in the chip's memory (DRAM).
    public let blockAddress: UInt32

    public init(config: DemoFirmwareConfig, blockAddress: UInt32) {
        self.config = config
        self.blockAddress = blockAddress
    }

    public var serial: String { config.serial }
    public var meter: MeterKind { config.meter }
    /// The flags word: meter type in bits 0–3, options above.
    public var flags: UInt32 { config.flags }
    public var options: DemoFirmwareConfig.Options { config.options }
    /// The setup AP's SSID the firmware would use.
    public var ssid: String { config.ssid }

    /// The compiled-in 16-byte key. It prints redacted; `.bytes` and `.hex` give it out.
    public var key: DeviceKey { config.key }
    /// The setup AP's password. Keep it out of logs.
    public func revealAPPassword() -> String { config.revealAPPassword() }

    public var description: String {
        "firmware identity: serial \(serial), meter \(meter.rawValue), flags \(hex(flags)) (block at \(hex(blockAddress)))"
    }
}

/// The firmware side of a boot from flash: the twin does not execute the application, it
/// recognises the demo firmware (`firmware/demo`) by the configuration block in its DRAM
/// segment and produces what that firmware prints. Images without the block run silently,
/// as before.
///
/// The demo firmware needs its `.irom0.text` code in flash (mapped through the cache at
/// 0x40200000, so `0x10000.bin` at offset 0x10000): when that range of flash is erased, a
/// real chip would take an exception there; the twin prints nothing and reports
/// `missingFlashCode`. (It checks only that the range is not blank, not what is in it.)
enum DemoFirmwareSide {
    /// The DRAM the ROM loads data segments into.
    static let dram: ClosedRange<UInt32> = 0x3FFE_8000...0x3FFF_FFFF
    /// Where the cache maps flash offset 0 (`Cache_Read_Enable(0, 0, 1)`: the first 1 MB).
    static let flashMapBase: UInt32 = 0x4020_0000
    static let flashMapSize: UInt32 = 0x10_0000

    struct Start: Sendable, Equatable {
        var identity: FirmwareIdentity?
        /// The text the application prints after the ROM log (empty when it prints none).
        var text: String
        /// The block names `.irom0.text` code that is not in flash.
        var missingFlashCode: Bool
    }

    /// What the application in `image` does once the ROM jumps to it.
    static func start(_ image: ESP8266Image, flash: FlashMemory) -> Start {
        for segment in image.segments where dram.contains(segment.loadAddress) && segment.loadAddress % 4 == 0 {
            // A block that is there but broken makes no identity; the firmware's own output
            // for such a block is not modelled.
            guard let found = try? DemoFirmwareConfig.find(in: segment.data) else { continue }
            let identity = FirmwareIdentity(config: found.config, blockAddress: segment.loadAddress + UInt32(found.offset))
            if codeIsMissing(found.config.iromRange, in: flash) {
                return Start(identity: identity, text: "", missingFlashCode: true)
            }
            return Start(identity: identity, text: found.config.bootText, missingFlashCode: false)
        }
        return Start(identity: nil, text: "", missingFlashCode: false)
    }

    /// Whether the flash behind `range` (cache addresses) is erased or outside the mapping.
    static func codeIsMissing(_ range: Range<UInt32>, in flash: FlashMemory) -> Bool {
        guard !range.isEmpty else { return false }
        guard range.lowerBound >= flashMapBase, range.upperBound <= flashMapBase + flashMapSize else { return true }
        let start = Int(range.lowerBound - flashMapBase)
        let end = Int(range.upperBound - flashMapBase)
        guard end <= flash.size else { return true }
        return flash.read(start..<end).allSatisfy { $0 == FlashMemory.erasedByte }
    }
}
