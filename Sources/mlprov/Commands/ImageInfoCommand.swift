import ArgumentParser
import Basics
import ESPImage
import Foundation

struct ImageInfoCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "image-info",
        abstract: "Describe an ESP8266 boot image: header, segments, checksum.",
        discussion: """
            Reads a v1 image (what the ROM boots from offset 0, e.g. firmware/0x00000.bin) and \
            prints the facts `esptool --chip esp8266 image-info` prints: entry point, flash \
            mode/size/frequency, each segment's load address, length, file offset and memory \
            (IRAM, DRAM, IROM), and the stored checksum against the computed one. Exits 1 when \
            the file is not an image; a wrong checksum is reported, not an error.

            Example: mlprov image-info firmware/0x00000.bin --json
            """)

    @Argument(help: "The image file, e.g. firmware/0x00000.bin.")
    var file: String

    @Option(help: .hidden)
    var chip: String = "esp8266"

    @OptionGroup var output: OutputOptions

    func validate() throws { try validateChip(chip) }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let description = try ImageDescription(describing: try readInput(file))
        if output.json {
            console.json(ImageInfoReport(file: file, image: description))
        } else {
            for line in render(description) { console.result(line) }
        }
    }

    private func render(_ image: ImageDescription) -> [String] {
        let follow = image.fileLength > image.imageLength ? ", \(image.fileLength - image.imageLength) bytes follow it" : ""
        var lines = [
            "File: \(file), \(image.fileLength) bytes (image \(image.imageLength) bytes\(follow))",
            "",
            "ESP8266 image header (v1)",
            "  Magic:       \(hex(image.magic, digits: 2))",
            "  Entry point: \(hex(image.entry))",
            "  Segments:    \(image.segmentCount)",
            "  Flash mode:  \(image.flashMode ?? "unknown") (\(hex(image.flashModeByte, digits: 2)))",
            "  Flash size:  \(image.flashSize ?? "unknown") (\(hex(image.sizeFrequencyByte >> 4, digits: 1)))",
            "  Flash freq:  \(image.flashFrequency ?? "unknown") (\(hex(image.sizeFrequencyByte & 0x0F, digits: 1)))",
            "",
            "Segment   Length   Load addr   File offs  Memory",
        ]
        for segment in image.segments {
            let index = String(segment.index)
            lines.append(
                String(repeating: " ", count: max(0, 7 - index.count)) + index + "  " + hex(segment.length, digits: 5)
                    + "  " + hex(segment.loadAddress) + "  " + hex(segment.fileOffset) + "  " + (segment.region ?? "-"))
        }
        lines.append("")
        lines.append(
            "Checksum: \(hex(image.storedChecksum, digits: 2)) "
                + (image.checksumValid ? "(valid)" : "(invalid - calculated \(hex(image.computedChecksum, digits: 2)))"))
        return lines + image.warnings.map { "warning: \($0)" }
    }
}

struct ImageInfoReport: Encodable {
    var ok = true
    var file: String
    var image: ImageDescription
}

// MARK: - Shared by the image tools (elf2image, image-info, merge-bin)

/// The image tools run on files only; like esptool they take `--chip esp8266` and ignore it.
func validateChip(_ chip: String) throws {
    guard ["esp8266", "auto"].contains(chip.lowercased()) else {
        throw ValidationError("--chip '\(chip)': this tool makes and reads ESP8266 images only (use esp8266)")
    }
}

/// The whole of a file, or a rendered failure naming it.
func readInput(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandFailure(
            message: "cannot read \(path)",
            help: FileManager.default.fileExists(atPath: path) ? "check the file's permissions" : "check the file name")
    }
    return [UInt8](data)
}

/// Writes `bytes` to `path`, or a rendered failure naming it.
func writeOutput(_ bytes: [UInt8], to path: String) throws {
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    } catch {
        throw CommandFailure(message: "cannot write \(path)", help: "check that the folder exists and is writable")
    }
}
