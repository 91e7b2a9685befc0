import Basics
import ESPImage
import ESPProtocol

/// What the chip did the last time it came out of reset, as tests and the CLI read it.
public struct BootRecord: Sendable, Equatable {
    /// How the boot ended.
    public enum Outcome: Sendable, Equatable {
        /// Download mode: the ROM loader waits for a host.
        case waitingForHost
        /// The image's checksum matched: the application runs.
        case runningApp
        /// The image loaded but its checksum did not match: "csum err", halted.
        case checksumError
        /// No bootable image at offset 0 (blank flash, no 0xE9 magic, corrupt header): halted.
        case noImage
    }

    /// A segment the ROM loaded, as its "load" line reports it.
    public struct Segment: Sendable, Equatable {
        public var loadAddress: UInt32
        public var length: Int
    }

    /// What started the boot.
    public enum Trigger: Sendable, Equatable {
        /// Power applied (a new front connected): "rst cause:1"; GPIO0 is sampled.
        case powerOn
        /// EN pulsed (reset circuit, reset button): "rst cause:2"; GPIO0 is sampled.
        case resetPin
        /// FLASH_END(0), a soft reset: "rst cause:2", and the boot mode latched at the last
        /// hardware reset is used again (GPIO0 is not sampled).
        case softReset
        /// FLASH_END(1), "run user code": no reset, so no banner; the image is loaded.
        case runUserCode

        /// The number the ROM prints as "rst cause", nil when no banner is printed.
        public var resetCause: Int? {
            switch self {
            case .powerOn: 1
            case .resetPin, .softReset: 2
            case .runUserCode: nil
            }
        }
    }

    public var mode: TwinBootMode
    public var trigger: Trigger
    public var outcome: Outcome
    /// The text the ROM prints, as it is at 74880 baud.
    public var log: String
    /// The segments loaded from flash (boot from flash only).
    public var segments: [Segment]
    /// The image's entry point when one was loaded.
    public var entry: UInt32?
    /// The line rate when the log was sent; nil until it was sent.
    public var lineBaud: Int?
    /// Whether the host saw garbage because its line did not run at 74880 baud.
    public var garbled: Bool
    /// What the application said about itself (the demo firmware's configuration block);
    /// nil for images without one and when no application runs.
    public var firmware: FirmwareIdentity? = nil
    /// The text the application prints right after the ROM's log, at the same rate (the
    /// demo firmware leaves the UART at 74880 baud); empty when it prints nothing.
    public var appLog: String = ""
    /// The application's configuration block names `.irom0.text` code that is not in
    /// flash (e.g. `0x10000.bin` was never written): a real chip would crash there; the
    /// twin's application prints nothing.
    public var missingFlashCode: Bool = false

    /// Whether the image in flash was accepted (its checksum matched).
    public var imageValid: Bool { outcome == .runningApp }
    /// The log split into its lines, without line ends or empty lines.
    public var logLines: [String] {
        log.split(whereSeparator: \.isNewline).map(String.init)
    }
    /// Everything the chip sent on the UART after the reset: the ROM log, then the app's.
    public var uartText: String { log + appLog }
}

/// The ESP8266 boot ROM's start-up: the boot banner, download mode, or loading the image
/// at flash offset 0 and checking its checksum, with the text the ROM prints at 74880 baud
/// (docs/esp8266-rom-protocol.md, "Reset and boot" and "Image format").
///
/// The per-segment lines follow boot logs published from real boards: "load <address>,
/// len <n>, room <r> ", "tail <t>", "chksum <running checksum>", then "csum <checksum>";
/// on a mismatch "csum err" and "ets_main.c " follow. The ROM reads flash in 16-byte
/// chunks: "room" is what is left of the current chunk when a segment's data starts (16
/// for the first), "tail" is (len - room) mod 16, a segment header that does not fit in
/// what is left is reported as "ho 0 tail <t> room <r>" before a new chunk is read.
/// (Inferred from published logs; the numbers after "ho" are known from two cases only.)
public enum BootROM {
    /// The ROM's build date line.
    static let banner = " ets Jan  8 2013,rst cause:"
    /// The line the ROM prints when it halts (no image, bad checksum).
    static let haltLine = "ets_main.c \r\n"
    /// The ROM's flash read chunk.
    static let chunk = 16
    static let segmentHeaderSize = 8

    /// The boot into UART download mode (GPIO0 low).
    public static func downloadMode(trigger: BootRecord.Trigger) -> BootRecord {
        let log = header(trigger: trigger, mode: 1) + "waiting for host\r\n"
        return BootRecord(mode: .download, trigger: trigger, outcome: .waitingForHost, log: log, segments: [], entry: nil, lineBaud: nil, garbled: false)
    }

    /// The boot from flash (GPIO0 high, or "run user code"): loads each segment of the
    /// image at offset 0, printing its lines with the running checksum, then "csum" and,
    /// when the stored checksum does not match, "csum err" and a halt.
    public static func bootFromFlash(_ flash: FlashMemory, trigger: BootRecord.Trigger) -> BootRecord {
        var log = header(trigger: trigger, mode: 3)
        let image: ESP8266Image
        do {
            image = try ESP8266Image(parsing: flash.contents)
        } catch {
            log += haltLine
            return BootRecord(mode: .flash, trigger: trigger, outcome: .noImage, log: log, segments: [], entry: nil, lineBaud: nil, garbled: false)
        }
        var checksum = ESP8266Image.checksumSeed
        var segments: [BootRecord.Segment] = []
        var room = chunk  // what is left of the current 16-byte chunk
        var previousTail = 0
        var previousFitInRoom = false  // the previous segment's data fit in what was left
        for (index, segment) in image.segments.enumerated() {
            if index > 0 {
                // The segment header comes out of what is left of the chunk, or straddles it.
                if room < segmentHeaderSize {
                    log += "ho \(previousFitInRoom ? chunk - room : 0) tail \(previousTail) room \(room)\r\n"
                    room += chunk
                }
                room -= segmentHeaderSize
            }
            let length = segment.data.count
            checksum = segment.data.reduce(checksum, ^)
            segments.append(BootRecord.Segment(loadAddress: segment.loadAddress, length: length))
            log += "load \(hex(segment.loadAddress)), len \(length), room \(room) \r\n"
            let tail: Int
            if length >= room {
                tail = (length - room) % chunk
                room = chunk - tail
                previousFitInRoom = false
            } else {
                tail = 0
                room -= length
                previousFitInRoom = true
            }
            previousTail = tail
            log += "tail \(tail)\r\n"
            log += "chksum \(hex(checksum, digits: 2))\r\n"
        }
        log += "csum \(hex(checksum, digits: 2))\r\n"
        guard checksum == image.storedChecksum else {
            log += "csum err\r\n" + haltLine
            return BootRecord(mode: .flash, trigger: trigger, outcome: .checksumError, log: log, segments: segments, entry: image.entry, lineBaud: nil, garbled: false)
        }
        var record = BootRecord(mode: .flash, trigger: trigger, outcome: .runningApp, log: log, segments: segments, entry: image.entry, lineBaud: nil, garbled: false)
        // The ROM jumps to the entry point: the application's side (DemoFirmwareSide).
        let app = DemoFirmwareSide.start(image, flash: flash)
        record.firmware = app.identity
        record.appLog = app.text
        record.missingFlashCode = app.missingFlashCode
        return record
    }

    /// The banner a reset prints; none for "run user code" (no reset happens).
    private static func header(trigger: BootRecord.Trigger, mode: Int) -> String {
        guard let cause = trigger.resetCause else { return "" }
        return "\r\n" + banner + "\(cause), boot mode:(\(mode),6)\r\n\r\n"
    }
}

/// What a UART at another rate makes of bytes sent at 74880 baud: garbage of the same
/// length. Deterministic, so tests can repeat it, and with a 0xC0 every few bytes, so a
/// client's SLIP decoder has to prove it recovers from stray frame delimiters.
public enum WrongRateNoise {
    /// Every `delimiterSpacing`-th garbled byte is 0xC0.
    public static let delimiterSpacing = 6

    public static func garble(_ bytes: [UInt8], lineBaud: Int) -> [UInt8] {
        let salt = UInt8(truncatingIfNeeded: lineBaud / 100)
        return bytes.enumerated().map { index, byte in
            if index % delimiterSpacing == delimiterSpacing / 2 { return SLIP.end }
            let mixed = (byte &* 0x9D) ^ (UInt8(truncatingIfNeeded: index) &* 0x35) ^ salt
            // Keep 0xC0 where we put it on purpose only.
            return mixed == SLIP.end ? 0xC1 : mixed
        }
    }
}
