import ESPProtocol

/// How long things take on the twin: bytes on the wire, flash erase and program, and the
/// USB adapter's latency; and whether the twin really waits for them.
///
/// The figures are always modelled (the twin's counters add them up); `paced` decides
/// whether the twin also sleeps so that a client sees them on its wall clock.
/// Sources: docs/esp8266-rom-protocol.md ("UART arithmetic"; "Flash chip behaviour and timings": Winbond W25Q80 datasheet typical values; "Reset and boot": the FTDI latency timer).
public struct TimingModel: Sendable, Equatable {
    /// Sleep for the modelled times (benchmarks, the demo); false for unit tests.
    public var paced: Bool
    /// Bits on the wire per byte: start bit, 8 data bits, stop bit.
    public var bitsPerByte: Int
    /// Extra delay before a reply reaches the host: an FTDI adapter holds received bytes
    /// up to its latency timer (1 ms when tuned, 16 ms by default).
    public var adapterLatency: Duration
    /// Erasing one 4 KiB sector (W25Q80 typical 45 ms).
    public var sectorErase: Duration
    /// Erasing one 64 KiB block (W25Q80 typical 150 ms).
    public var blockErase: Duration
    /// Programming one 256-byte page (W25Q80 typical 0.7 ms).
    public var pageProgram: Duration

    public static let pageSize = 256

    public init(
        paced: Bool,
        bitsPerByte: Int = 10,
        adapterLatency: Duration = .milliseconds(1),
        sectorErase: Duration = .milliseconds(45),
        blockErase: Duration = .milliseconds(150),
        pageProgram: Duration = .microseconds(700)
    ) {
        self.paced = paced
        self.bitsPerByte = bitsPerByte
        self.adapterLatency = adapterLatency
        self.sectorErase = sectorErase
        self.blockErase = blockErase
        self.pageProgram = pageProgram
    }

    /// No sleeping at all (unit tests); the counters still add up the datasheet figures.
    public static let off = TimingModel(paced: false)
    /// Bytes at the line rate, datasheet flash times and a tuned FTDI adapter (1 ms).
    public static let realistic = TimingModel(paced: true)

    /// The time `count` bytes take on a line running at `baud`.
    public func wireTime(bytes count: Int, baud: Int) -> Duration {
        guard baud > 0, count > 0 else { return .zero }
        // Nanosecond arithmetic in integers: count * bits * 1e9 / baud.
        return .nanoseconds(Int64(count) * Int64(bitsPerByte) * 1_000_000_000 / Int64(baud))
    }

    /// The time an erase plan takes.
    public func eraseTime(_ plan: ErasePlan) -> Duration {
        sectorErase * plan.sectorErases + blockErase * plan.blockErases
    }

    /// The time programming `count` bytes takes, page by page.
    public func programTime(bytes count: Int) -> Duration {
        pageProgram * Self.pages(bytes: count)
    }

    /// The number of 256-byte pages `count` bytes occupy.
    public static func pages(bytes count: Int) -> Int {
        (count + pageSize - 1) / pageSize
    }
}

/// How the ROM erases a sector-aligned range: sector by sector up to the next 64 KiB
/// boundary, then whole 64 KiB blocks, then the remaining sectors.
public struct ErasePlan: Sendable, Equatable {
    public var sectorErases: Int
    public var blockErases: Int

    public init(sectorErases: Int = 0, blockErases: Int = 0) {
        self.sectorErases = sectorErases
        self.blockErases = blockErases
    }

    /// The plan for erasing `range` (byte offsets, sector-aligned start).
    public init(erasing range: Range<Int>) {
        let sectorSize = ESP8266.flashSectorSize
        let perBlock = ESP8266.sectorsPerBlock
        var sector = range.lowerBound / sectorSize
        var remaining = (range.count + sectorSize - 1) / sectorSize
        var sectors = 0
        var blocks = 0
        while remaining > 0 && sector % perBlock != 0 {
            sectors += 1; sector += 1; remaining -= 1
        }
        blocks = remaining / perBlock
        sectors += remaining % perBlock
        self.init(sectorErases: sectors, blockErases: blocks)
    }

    /// The number of sectors the plan erases in all.
    public var sectorsCovered: Int { sectorErases + blockErases * ESP8266.sectorsPerBlock }
}
