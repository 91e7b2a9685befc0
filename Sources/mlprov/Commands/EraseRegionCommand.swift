import ESPImage
import ArgumentParser
import Basics
import ESPFlasher
import MeterLogger

struct EraseRegionCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase-region",
        abstract: "Erase a flash region (sector-aligned offset and size).",
        discussion: """
            The ESP8266 ROM erases through FLASH_BEGIN; its erase-size bug is compensated, and \
            where it cannot be (an odd number of sectors near a 64 KiB block start) the extra \
            sector is named before erasing. Protected regions are refused without --allow-protected.

            Example: mlprov erase-region --port /dev/ttyUSB0 0x80000 0x10000
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Flash size for the bounds check.")
    var flashSize: String = "1MB"

    @Flag(help: "Allow erasing protected regions (MeterLogger's saved configuration).")
    var allowProtected = false

    @Argument(help: "Offset, a multiple of 0x1000.") var offset: String
    @Argument(help: "Size in bytes, a multiple of 0x1000.") var size: String

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        guard let flashSize = FlashSize(name: flashSize) else {
            throw ValidationError("--flash-size '\(flashSize)' is not a flash size")
        }
        let region = try EraseRegion(
            offset: try parseNumber(offset, what: "offset"), size: try parseNumber(size, what: "size"),
            flashSize: flashSize, protectedRegions: FlashLayout.meterLoggerProtectedRegions, allowProtected: allowProtected)
        // The ROM alone (--no-stub) erases with its bug: refused where that reaches past the
        // chip or into a protected region, noted where it takes one sector more. The stub
        // (also when the ROM's stub fallback takes over) erases exactly.
        func noteROMErase() {
            if let extra = region.collateralErase {
                console.info("note: the ROM's erase bug also erases \(hex(extra.lowerBound))–\(hex(extra.upperBound - 1))")
            }
        }
        if connection.noStub {
            if let hazard = region.romHazard { throw FlasherError.invalidPlan(hazard) }
            noteROMErase()
        }
        let board = try openSession(connection, console: console)
        defer { board.close() }
        console.render(.erasing(part: "the region", range: region.offset..<(region.offset + region.size)))
        let erased = try board.erase(region) { event in
            console.render(event)
            if event == .stubFallback { noteROMErase() }
        }
        let action = try board.finish(connection.after)
        console.render(.finished(action))
        if output.json {
            console.json(EraseReport(erased: [hex(erased.lowerBound), hex(erased.upperBound)]))
        } else {
            console.result("Erased \(hex(erased.lowerBound))–\(hex(erased.upperBound - 1))")
        }
    }
}

struct EraseReport: Encodable {
    var ok = true
    var erased: [String]
}

