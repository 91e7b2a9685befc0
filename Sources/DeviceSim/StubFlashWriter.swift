import ESPProtocol

/// How a flasher stub writes one announced region: it erases exactly the sectors the
/// region covers, lazily, just before it first writes into them (a whole 64 KiB block at
/// once when the block is aligned and all of it is still to be erased), then programs.
/// Nothing outside [offset rounded down, offset + size rounded up to 4 KiB) is erased: no
/// ROM erase bug. Facts: esptool's stub (`start_next_erase`/`handle_flash_data` in the
/// legacy stub, `s_ensure_flash_erased_to` in esp-flasher-stub), PROTOCOL.md.
struct StubFlashWriter: Sendable, Equatable {
    /// Where the next byte goes.
    private(set) var nextWrite: Int
    /// Bytes of the announced size still to be written.
    private(set) var remaining: Int
    /// The next sector to erase and how many sectors of the region are still unerased.
    private var nextEraseSector: Int
    private var sectorsToErase: Int

    init(offset: Int, size: Int) {
        let sectorSize = ESP8266.flashSectorSize
        nextWrite = offset
        remaining = size
        nextEraseSector = offset / sectorSize
        let end = offset + size
        sectorsToErase = size == 0 ? 0 : (end + sectorSize - 1) / sectorSize - offset / sectorSize
    }

    /// Erases what `data` needs, then programs as much of it as the announced size allows
    /// (the rest is padding, as esptool's last uncompressed block carries). Returns the work
    /// done, and the error when it failed: a sector in `failingSectors` refuses programming
    /// (`.failedSPIOperation`).
    mutating func write(_ data: [UInt8], flash: inout FlashMemory, failingSectors: Set<Int>) -> (work: ROMLoaderEngine.Work, error: StubErrorCode?) {
        var work = ROMLoaderEngine.Work()
        let count = min(data.count, remaining)
        guard count > 0 else { return (work, nil) }
        let sectorSize = ESP8266.flashSectorSize
        let lastSector = (nextWrite + count - 1) / sectorSize
        let perBlock = ESP8266.sectorsPerBlock
        while sectorsToErase > 0 && nextEraseSector <= lastSector {
            let wholeBlock = nextEraseSector % perBlock == 0 && sectorsToErase >= perBlock
            let sectors = wholeBlock ? perBlock : 1
            let range = (nextEraseSector * sectorSize)..<((nextEraseSector + sectors) * sectorSize)
            do {
                try flash.erase(range)
            } catch {
                return (work, .failedSPIOperation)
            }
            if wholeBlock { work.erase.blockErases += 1 } else { work.erase.sectorErases += 1 }
            work.erased = (work.erased?.lowerBound ?? range.lowerBound)..<range.upperBound
            nextEraseSector += sectors
            sectorsToErase -= sectors
        }
        let firstSector = nextWrite / sectorSize
        if (firstSector...lastSector).contains(where: failingSectors.contains) { return (work, .failedSPIOperation) }
        do {
            try flash.program(Array(data[0..<count]), at: nextWrite)
        } catch {
            return (work, .failedSPIOperation)
        }
        work.programmedBytes = count
        nextWrite += count
        remaining -= count
        return (work, nil)
    }
}
