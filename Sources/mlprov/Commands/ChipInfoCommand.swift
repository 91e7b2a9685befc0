import ArgumentParser
import Basics
import ESPFlasher
import ESPImage

struct ChipInfoCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip-info",
        abstract: "Identify the chip on a port: family, MAC address, chip id.",
        discussion: "Example: mlprov chip-info --port /dev/ttyUSB0 --json")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        try identify(connection, output, console: console) { "Chip: \($0.chip)\nMAC: \($0.mac)\nChip id: \(hex($0.chipID))" }
    }
}

struct ReadMACCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-mac",
        abstract: "Print the board's factory MAC address.",
        discussion: "Example: mlprov read-mac --port /dev/ttyUSB0")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        try identify(connection, output, console: console) { "MAC: \($0.mac)" }
    }
}

/// Connects, reads the chip's identity, leaves the board as asked, prints `text` of it
/// (or the whole identity as JSON).
private func identify(_ connection: ConnectionOptions, _ output: OutputOptions, console: Console, text: (ChipInfo) -> String) throws {
    let board = try openSession(connection, console: console)
    defer { board.close() }
    let chip = board.chip
    console.render(.finished(try board.finish(connection.after)))
    if output.json {
        console.json(ChipReport(chip: chip.chip, mac: chip.mac.description, chipID: hex(chip.chipID)))
    } else {
        console.result(text(chip))
    }
}

struct ChipReport: Encodable {
    var ok = true
    var chip: String
    var mac: String
    var chipID: String
    enum CodingKeys: String, CodingKey { case ok, chip, mac, chipID = "chip_id" }
}
