import ESPImage

/// Named regions of a board's flash: what lives where, which regions a normal flash writes,
/// and which must never be erased unless the user asks.
public struct FlashLayout: Equatable, Sendable {
    public struct Region: Equatable, Sendable {
        public enum Content: String, Codable, Sendable, CaseIterable {
            case appImage, irom, webPages, configuration, stackTraceDump, rfInitData, blank
        }

        public var content: Content
        public var name: String
        public var range: Range<Int>
        /// The file a flash writes here (nil for regions no file is written to).
        public var fileName: String?
        /// Whether flashing the firmware's file set writes this region.
        public var writtenByFlash: Bool { fileName != nil }
        /// Whether the region holds data the device saved that a flash must not erase.
        public var isProtected: Bool

        public var offset: Int { range.lowerBound }

        public init(content: Content, name: String, range: Range<Int>, fileName: String?, isProtected: Bool) {
            self.content = content
            self.name = name
            self.range = range
            self.fileName = fileName
            self.isProtected = isProtected
        }
    }

    public init(flashSize: FlashSize, flash: FlashParameters, regions: [Region]) {
        self.flashSize = flashSize
        self.flash = flash
        self.regions = regions
    }

    public var flashSize: FlashSize
    /// The flash settings the board's images are written with.
    public var flash: FlashParameters
    /// In offset order.
    public var regions: [Region]

    /// The regions a flash of the firmware's file set writes, in offset order.
    public var flashedRegions: [Region] { regions.filter(\.writtenByFlash) }
    /// The regions to keep when flashing or erasing.
    public var protectedRegions: [Region] { regions.filter(\.isProtected) }

    public func region(_ content: Region.Content) -> Region? {
        regions.first { $0.content == content }
    }

    /// The region holding `offset`, if any.
    public func region(containing offset: Int) -> Region? {
        regions.first { $0.range.contains(offset) }
    }

    /// MeterLogger on a 1 MB flash, written in DOUT mode at 40 MHz.
    ///
    /// Source: docs/meterlogger-build.md ("Flash layout"), read from the public MeterLogger
    /// firmware (nabovarme/MeterLogger). docs/meterlogger-build.md gives each region's start; where they give
    /// no size (the two code files, the web pages, the stack-trace area) the region runs up
    /// to the next one listed.
    public static let meterLogger = FlashLayout(
        flashSize: .size1MB,
        flash: .meterLogger,
        regions: [
            Region(content: .appImage, name: "app image (header + RAM segments)", range: 0x00000..<0x10000,
                   fileName: "0x00000.bin", isProtected: false),
            Region(content: .irom, name: "flash-resident code (.irom0.text)", range: 0x10000..<0x60000,
                   fileName: "0x10000.bin", isProtected: false),
            Region(content: .webPages, name: "web pages (espfs)", range: 0x60000..<0x76000,
                   fileName: "webpages.espfs", isProtected: false),
            Region(content: .configuration, name: "saved configuration (wifi, MQTT host, impulse counter)",
                   range: meterLoggerConfiguration, fileName: nil, isProtected: true),
            Region(content: .stackTraceDump, name: "stack-trace dump (DEBUG_STACK_TRACE builds)", range: 0x80000..<0xFC000,
                   fileName: nil, isProtected: false),
            Region(content: .rfInitData, name: "RF init data", range: 0xFC000..<0xFC000 + 128,
                   fileName: "esp_init_data_default_112th_byte_0x03.bin", isProtected: false),
            Region(content: .blank, name: "blank sector (clears the SDK system parameters)", range: 0xFE000..<0xFE000 + 4096,
                   fileName: "blank.bin", isProtected: false),
        ])

    /// MeterLogger's saved configuration: 0x76000–0x78FFF (docs/meterlogger-build.md, "Flash layout").
    public static let meterLoggerConfiguration: Range<Int> = 0x76000..<0x79000
}

extension FlashParameters {
    /// MeterLogger's boards: DOUT, 1 MB, 40 MHz (docs/meterlogger-build.md, "Flash layout").
    public static let meterLogger = FlashParameters(mode: .dout, size: .size1MB, frequency: .mhz40)
}

extension ProtectedRegion {
    /// MeterLogger's saved configuration (wifi, MQTT host, impulse counter).
    public static let meterLoggerConfiguration = ProtectedRegion(
        name: "MeterLogger saved configuration", range: FlashLayout.meterLoggerConfiguration)
}

extension FlashLayout {
    /// What a flash or an erase on a MeterLogger board leaves alone unless the user allows
    /// it: the regions flash plans take as their protected regions.
    public static let meterLoggerProtectedRegions: [ProtectedRegion] = [.meterLoggerConfiguration]
}

extension WebToolsManifest {
    /// The manifest for a MeterLogger release: one ESP8266 build with the five files at
    /// their offsets from `layout`.
    public static func meterLogger(name: String, version: String, layout: FlashLayout = .meterLogger) -> WebToolsManifest {
        let parts = layout.flashedRegions.compactMap { region in
            region.fileName.map { Part(path: $0, offset: region.offset) }
        }
        return WebToolsManifest(name: name, version: version, builds: [Build(chipFamily: esp8266, parts: parts)])
    }
}
