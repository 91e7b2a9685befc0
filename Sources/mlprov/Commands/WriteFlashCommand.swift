import ArgumentParser
import Basics
import ESPFlasher
import ESPImage
import Foundation
import Station
import MeterLogger

struct WriteFlashCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-flash",
        abstract: "Write files to flash at offsets, as esptool's write-flash does.",
        discussion: """
            The whole set is checked before anything is sent: offsets on 4 KiB boundaries, \
            inside the flash, no overlaps, and no part's sectors inside MeterLogger's saved \
            configuration (0x76000-0x78FFF) unless --allow-protected is given. Parts go \
            through mlprov's stub, which erases exactly; with --no-stub the ROM's erase-size \
            bug is compensated, and a part whose extra ROM sector would reach the saved \
            configuration or run past the chip's end is refused. Blocks that are all 0xFF \
            are not sent.

            Example (a MeterLogger board):
              mlprov write-flash --port /dev/ttyUSB0 --baud 921600 --flash-mode dout --flash-size 1MB \\
                0x00000 0x00000.bin 0x10000 0x10000.bin 0x60000 webpages.espfs \\
                0xFC000 esp_init_data_default.bin 0xFE000 blank.bin
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var flash: FlashSettingsOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Allow erasing protected regions (MeterLogger's saved configuration).")
    var allowProtected = false

    @Argument(help: "OFFSET FILE pairs, e.g. 0x0 0x00000.bin 0x10000 0x10000.bin.")
    var offsetsAndFiles: [String]

    func validate() throws {
        guard !offsetsAndFiles.isEmpty, offsetsAndFiles.count % 2 == 0 else {
            throw ValidationError("expected OFFSET FILE pairs, got \(offsetsAndFiles.count) argument(s)")
        }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let plan = try FlashPlan(
            parts: try readParts(offsetsAndFiles), flashSize: try flash.sizeForBounds(),
            parameters: try flash.parameters(), protectedRegions: FlashLayout.meterLoggerProtectedRegions,
            allowProtected: allowProtected)
        let report = try flashPlan(plan, connection: connection, console: console)
        if output.json {
            console.json(report)
        } else {
            console.result("Wrote \(plan.totalBytes) bytes in \(plan.operations.count) part(s) in \(String(format: "%.2f", report.seconds)) s")
        }
    }
}

/// Connects, writes a checked plan, leaves the board as asked (the library's
/// `BoardConnection.flash`); the ROM's unavoidable extra erases are named first on the ROM
/// path, and again if the stub does not start.
func flashPlan(_ plan: FlashPlan, connection: ConnectionOptions, console: Console) throws(FlasherError) -> WriteReport {
    // The ROM alone cannot write what its erase bug would carry past the chip or into a
    // protected region: refused before connecting (the stub erases exactly).
    if connection.noStub, let hazard = plan.romHazard { throw .invalidPlan(hazard) }
    let renderer = ProvisioningRenderer(console: console, romOnly: connection.noStub)
    renderer.render(.planned(plan))
    let started = ContinuousClock.now  // the report's seconds include connecting
    let board = try openSession(connection, console: console)
    defer { board.close() }
    let run = try board.flash(plan, after: connection.after) { renderer.render(.flash($0)) }
    return WriteReport(
        mac: board.identity.mac, chipID: board.identity.chipID, seconds: (ContinuousClock.now - started).seconds, after: run.after.rawValue,
        loader: run.usedStub ? "stub" : "rom",
        parts: WriteReport.Part.lines(of: plan))
}

/// Reads OFFSET FILE pairs into flash parts named by their file names.
func readParts(_ pairs: [String]) throws -> [FlashPart] {
    var parts: [FlashPart] = []
    for index in stride(from: 0, to: pairs.count, by: 2) {
        let offset = try parseNumber(pairs[index], what: "offset")
        let path = pairs[index + 1]
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "cannot read \(path)", help: "check the file name and permissions")
        }
        parts.append(FlashPart(name: URL(fileURLWithPath: path).lastPathComponent, offset: offset, bytes: [UInt8](data)))
    }
    return parts
}

struct WriteReport: Encodable {
    struct Part: Encodable {
        var file: String
        var offset: String
        var bytes: Int

        /// One line per part of `plan`, in offset order.
        static func lines(of plan: FlashPlan?) -> [Part] {
            (plan?.operations ?? []).map { Part(file: $0.part.name, offset: hex($0.part.offset), bytes: $0.part.bytes.count) }
        }
    }
    var ok = true
    var mac: String
    var chipID: String
    var seconds: Double
    var after: String
    /// "stub" when mlprov's flasher stub wrote (compressed, MD5-verified), "rom" otherwise.
    var loader: String
    var parts: [Part]

    enum CodingKeys: String, CodingKey { case ok, mac, chipID = "chip_id", seconds, after, loader, parts }
}
