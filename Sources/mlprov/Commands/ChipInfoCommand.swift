import ESPImage
import ArgumentParser
import ESPFlasher

struct ChipInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip-info",
        abstract: "Identify the chip on a port: family, MAC address, chip id.",
        discussion: "Example: mlprov chip-info --port /dev/ttyUSB0 --json")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let console = Console()
        try console.reporting(json: output.json) {
            let (session, chip) = try openSession(connection, console: console)
            let action = try session.finish(connection.after)
            console.render(.finished(action))
            if output.json {
                console.json(ChipReport(chip: chip.chip, mac: chip.mac.description, chipID: hex(chip.chipID)))
            } else {
                console.result("Chip: \(chip.chip)\nMAC: \(chip.mac)\nChip id: \(hex(chip.chipID))")
            }
        }
    }
}

struct ReadMACCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-mac",
        abstract: "Print the board's factory MAC address.",
        discussion: "Example: mlprov read-mac --port /dev/ttyUSB0")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let console = Console()
        try console.reporting(json: output.json) {
            let (session, chip) = try openSession(connection, console: console)
            let action = try session.finish(connection.after)
            console.render(.finished(action))
            if output.json {
                console.json(ChipReport(chip: chip.chip, mac: chip.mac.description, chipID: hex(chip.chipID)))
            } else {
                console.result("MAC: \(chip.mac)")
            }
        }
    }
}

struct ChipReport: Encodable {
    var ok = true
    var chip: String
    var mac: String
    var chipID: String
    enum CodingKeys: String, CodingKey { case ok, chip, mac, chipID = "chip_id" }
}
