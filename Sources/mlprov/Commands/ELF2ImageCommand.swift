import ArgumentParser
import Basics
import ESPImage
import Foundation

struct ELF2ImageCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "elf2image",
        abstract: "Turn a linked ESP8266 firmware (ELF) into 0x00000.bin and its .irom0.text file.",
        discussion: """
            Makes the same files, byte for byte, as `esptool --chip esp8266 elf2image ELF -o DIR/` \
            (v1 images): 0x00000.bin with the header and the RAM segments (IRAM, DRAM), and the \
            flash-resident code (.irom0.text) raw in a file named by its flash offset, usually \
            0x10000.bin. The header gets QIO, 1MB, 40m unless the flash flags say otherwise.

            esptool's spelling is accepted so that a firmware Makefile can run \
            `make ESPTOOL=mlprov`: `elf2image [--chip esp8266] ELF -o PREFIX`, the flash flags also as \
            -fm/-fs/-ff and --flash_mode/--flash_size/--flash_freq, and `--version 1`/`-e 1`. PREFIX is put in front of each file name: \
            `-o firmware/` writes firmware/0x00000.bin (the folder is created if missing), \
            `-o app-` writes app-0x00000.bin; without -o the prefix is the ELF's path and "-". \
            (--chip must follow the subcommand name: `mlprov elf2image --chip esp8266 …`.)

            Examples:
              mlprov elf2image build/app.out -o firmware/
              mlprov elf2image --chip esp8266 build/app.out -o firmware/ -fm dout -fs 1MB -ff 40m
            """)

    @Argument(help: "The linked firmware, e.g. build/app.out.")
    var elf: String

    @Option(name: [.short, .long], help: "Prefix for the output files, e.g. firmware/ (default: the ELF's path and \"-\").")
    var output: String?

    @Option(name: [.customLong("flash-mode"), .customLong("fm", withSingleDash: true), .customLong("flash_mode")],
            help: "Flash mode written into the header: qio, qout, dio, dout.")
    var flashMode: String = ELF2Image.defaultFlash.mode?.name ?? "qio"

    @Option(name: [.customLong("flash-size"), .customLong("fs", withSingleDash: true), .customLong("flash_size")],
            help: "Flash size written into the header: 256KB, 512KB, 1MB, 2MB, 4MB, 2MB-c1, 4MB-c1, 8MB, 16MB.")
    var flashSize: String = ELF2Image.defaultFlash.size?.name ?? "1MB"

    @Option(name: [.customLong("flash-freq"), .customLong("ff", withSingleDash: true), .customLong("flash_freq")],
            help: "Flash frequency written into the header: 40m, 26m, 20m, 80m.")
    var flashFreq: String = ELF2Image.defaultFlash.frequency?.name ?? "40m"

    @Option(name: [.customLong("version"), .customShort("e")], help: "Image version; only 1 (the ESP8266 ROM's format) is made.")
    var imageVersion: Int = 1

    @Flag(help: "Build the image from the ELF's program headers instead of its sections (esptool's --use-segments).")
    var useSegments = false

    @Option(help: "Chip: esp8266 (accepted for esptool compatibility).")
    var chip: String = "esp8266"

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    func validate() throws {
        try validateChip(chip)
        guard imageVersion == 1 else {
            throw ValidationError("--version \(imageVersion): only version 1 images (the ESP8266 ROM's format) are made")
        }
        _ = try parameters()
    }

    var reportsJSON: Bool { json }

    func run(console: Console) async throws {
        let result = try ELF2Image.convert(
            elf: try readInput(elf), flash: try parameters(), source: useSegments ? .segments : .sections)
        for warning in result.warnings { console.info("warning: \(warning)") }
        let prefix = output ?? elf + "-"
        if prefix.hasSuffix("/") {
            do {
                try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
            } catch {
                throw CommandFailure(message: "cannot create the folder \(prefix)", help: "check the path and permissions")
            }
        }
        var written: [ELF2ImageReport.File] = []
        for file in result.files {
            let path = prefix + file.name
            try writeOutput(file.bytes, to: path)
            written.append(.init(path: path, offset: file.offset, bytes: file.bytes.count))
        }
        if json {
            console.json(ELF2ImageReport(
                entry: result.entry, mergedSections: result.mergedCount, files: written,
                segments: result.ramSegments.map { .init(address: $0.address, length: $0.data.count, sections: $0.pieces) },
                warnings: result.warnings))
        } else {
            if result.mergedCount > 0 {
                console.info("Merged \(result.mergedCount) ELF section\(result.mergedCount == 1 ? "" : "s")")
            }
            let segments = result.ramSegments.map { "\(hex($0.address)) \($0.data.count) B" }.joined(separator: ", ")
            for file in written {
                let detail = file.offset == 0
                    ? "image: entry \(hex(result.entry)), \(result.ramSegments.count) segment(s): \(segments)"
                    : "flash-resident code for \(hex(file.offset, digits: 5))"
                console.result("Wrote \(file.path) (\(file.bytes) bytes, \(detail))")
            }
        }
    }

    private func parameters() throws -> FlashParameters {
        guard let mode = FlashMode(name: flashMode) else {
            throw ValidationError("--flash-mode '\(flashMode)' is not one of: \(FlashMode.allCases.map(\.name).joined(separator: ", "))")
        }
        guard let size = FlashSize(name: flashSize) else {
            throw ValidationError("--flash-size '\(flashSize)' is not one of: \(FlashSize.allCases.map(\.name).joined(separator: ", "))")
        }
        guard let frequency = FlashFrequency(name: flashFreq) else {
            throw ValidationError("--flash-freq '\(flashFreq)' is not one of: \(FlashFrequency.allCases.map(\.name).joined(separator: ", "))")
        }
        return FlashParameters(mode: mode, size: size, frequency: frequency)
    }
}

struct ELF2ImageReport: Encodable {
    struct File: Encodable {
        var path: String
        var offset: Int
        var bytes: Int
    }
    struct Segment: Encodable {
        var address: UInt32
        var length: Int
        var sections: [String]
    }
    var ok = true
    var entry: UInt32
    var mergedSections: Int
    var files: [File]
    var segments: [Segment]
    var warnings: [String]
}
