import ESPImage
import ESPProtocol

/// Where the chip goes when it comes out of reset: the GPIO0 strapping pin, as the ROM
/// samples it (docs/esp8266-rom-protocol.md, "Reset and boot").
public enum TwinBootMode: String, Sendable, Equatable, CustomStringConvertible {
    /// GPIO0 low: the ROM's UART download mode, boot log "boot mode:(1,6)".
    case download
    /// GPIO0 high: boot the image at flash offset 0, boot log "boot mode:(3,6)".
    case flash

    public var description: String { rawValue }
}

/// Everything that makes one twin a particular board: identity, flash chip, line limits,
/// how it starts, how fast it is and what goes wrong on purpose.
public struct TwinConfiguration: Sendable {
    /// The factory MAC address; the OTP words the ROM exposes are derived from it with
    /// `ESP8266.otpWords(for:)`, so esptool's `read-mac` and `chip-id` report it.
    public var mac: MACAddress
    /// What READ_REG of `ESP8266.chipDetectRegister` returns. Another value makes the twin
    /// look like a different chip family to a client.
    public var chipDetectValue: UInt32
    /// The flash chip's capacity.
    public var flashSize: FlashSize
    /// The JEDEC id the SPI flash answers to RDID (0x9F): manufacturer << 16 | memory type
    /// << 8 | capacity. 0xEF4014 is a Winbond W25Q80 (1 MB), common on ESP-12 modules.
    public var flashJEDECID: UInt32
    /// The fastest line rate the twin's UART follows. SYNC is accepted at any rate up to it;
    /// above it the twin hears garbage and does not answer.
    public var maxBaud: Int
    /// The mode the chip comes up in at power-on (a new front), as if GPIO0 were held by a
    /// button or strap: `.download` lets clients without control lines (pseudo-terminals)
    /// talk to the ROM at once.
    public var initialBootMode: TwinBootMode
    /// How long transfers and flash operations take, and whether the twin sleeps for them.
    public var timing: TimingModel
    /// Faults armed from power-on.
    public var faults: FaultPlan
    /// Register values READ_REG returns where the twin has no model of its own (default 0).
    /// The modelled registers (chip detect, OTP, UART divider, SPI controller) ignore this.
    public var registers: [UInt32: UInt32]
    /// How long the chip waits after answering FLASH_END before it reboots or runs the
    /// code in flash, so that a client can switch its port to 74880 baud for the boot log.
    public var bootLogDelayAfterFlashEnd: Duration
    /// The delay from EN's rising edge until the chip leaves reset and samples GPIO0 (the
    /// RC network on EN). A reset sequence that passes through "EN high, GPIO0 high" for
    /// less than this (two separate DTR/RTS calls) still enters download mode, as on boards.
    public var resetReleaseDelay: Duration
    /// What the flasher stub the twin runs after MEM_END(execute) accepts (block size,
    /// inflate window); esptool's stub by default.
    public var stubLimits: StubLoaderEngine.Limits

    /// The MAC address the default twin carries (Espressif's 18:FE:34 OUI); chip id 0xA1B2C3.
    public static let defaultMAC: MACAddress = {
        guard let mac = MACAddress(bytes: [0x18, 0xFE, 0x34, 0xA1, 0xB2, 0xC3]) else {
            preconditionFailure("a MAC literal has six bytes")
        }
        return mac
    }()

    /// Winbond W25Q80DV: manufacturer 0xEF, memory type 0x40, capacity 0x14 (2^20 bytes).
    public static let winbondW25Q80: UInt32 = 0xEF4014

    public init(
        mac: MACAddress = TwinConfiguration.defaultMAC,
        chipDetectValue: UInt32 = ESP8266.chipDetectValue,
        flashSize: FlashSize = .size1MB,
        flashJEDECID: UInt32 = TwinConfiguration.winbondW25Q80,
        maxBaud: Int = 921_600,
        initialBootMode: TwinBootMode = .download,
        timing: TimingModel = .off,
        faults: FaultPlan = .none,
        registers: [UInt32: UInt32] = [:],
        bootLogDelayAfterFlashEnd: Duration = .milliseconds(30),
        resetReleaseDelay: Duration = .milliseconds(1),
        stubLimits: StubLoaderEngine.Limits = .esptool
    ) {
        self.mac = mac
        self.chipDetectValue = chipDetectValue
        self.flashSize = flashSize
        self.flashJEDECID = flashJEDECID
        self.maxBaud = maxBaud
        self.initialBootMode = initialBootMode
        self.timing = timing
        self.faults = faults
        self.registers = registers
        self.bootLogDelayAfterFlashEnd = bootLogDelayAfterFlashEnd
        self.resetReleaseDelay = resetReleaseDelay
        self.stubLimits = stubLimits
    }

    /// The OTP words for `mac`: MAC0, MAC1, MAC3 (MAC2 at 0x3FF00058 reads 0).
    public var otpWords: (mac0: UInt32, mac1: UInt32, mac3: UInt32) { ESP8266.otpWords(for: mac) }

    /// The chip id esptool prints for this twin.
    public var chipID: UInt32 {
        let words = otpWords
        return ESP8266.chipID(mac0: words.mac0, mac1: words.mac1)
    }
}
