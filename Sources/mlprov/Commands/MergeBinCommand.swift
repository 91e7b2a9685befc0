import ArgumentParser
import Basics
import ESPImage
import Foundation

struct MergeBinCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-bin",
        abstract: "Merge files meant for flash offsets into one file, as esptool's merge-bin does.",
        discussion: """
            The output is byte-identical to `esptool --chip esp8266 merge-bin` (raw format): parts \
            in offset order, gaps filled with 0xFF, starting at --target-offset (default 0) and \
            ending with the last part unless --pad-to-size is given. Parts that share a 4 KiB \
            sector are refused, naming both files. The image at offset 0 gets the flash flags \
            written into its header when it is a valid v1 image; "keep" (the default) leaves a \
            setting as the image has it. esptool's -fm/-fs/-ff spellings are accepted.

            Example (a whole MeterLogger flash, written later with one write-flash at 0x0):
              mlprov merge-bin -o meterlogger.bin --flash-mode dout --flash-size 1MB --flash-freq 40m \\
                0x00000 0x00000.bin 0x10000 0x10000.bin 0x60000 webpages.espfs \\
                0xFC000 esp_init_data_default_112th_byte_0x03.bin 0xFE000 blank.bin
            """)

    @Option(name: [.short, .long], help: "The merged file to write.")
    var output: String

    @OptionGroup var flash: FlashSettingsOptions

    @Option(name: .customLong("fm", withSingleDash: true), help: .hidden)
    var flashModeAlias: String?
    @Option(name: .customLong("fs", withSingleDash: true), help: .hidden)
    var flashSizeAlias: String?
    @Option(name: .customLong("ff", withSingleDash: true), help: .hidden)
    var flashFreqAlias: String?

    @Option(name: [.customShort("t"), .long], help: "Flash offset the merged file will be written at (parts below it are refused).")
    var targetOffset: String = "0"

    @Option(help: "Pad the output with 0xFF up to this flash size, e.g. 1MB or 4MB (never truncates).")
    var padToSize: String?

    @Option(help: .hidden)
    var chip: String = "esp8266"

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    @Argument(help: "OFFSET FILE pairs, e.g. 0x0 0x00000.bin 0x10000 0x10000.bin.")
    var offsetsAndFiles: [String]

    func validate() throws {
        try validateChip(chip)
        guard !offsetsAndFiles.isEmpty, offsetsAndFiles.count % 2 == 0 else {
            throw ValidationError("expected OFFSET FILE pairs, got \(offsetsAndFiles.count) argument(s)")
        }
        _ = try parameters()
        _ = try padSize()
    }

    var reportsJSON: Bool { json }

    func run(console: Console) async throws {
        var parts: [MergeBin.Part] = []
        for index in stride(from: 0, to: offsetsAndFiles.count, by: 2) {
            let offset = try parseNumber(offsetsAndFiles[index], what: "offset")
            let path = offsetsAndFiles[index + 1]
            parts.append(MergeBin.Part(name: path, offset: offset, bytes: try readInput(path)))
        }
        let result = try MergeBin.merge(
            parts, flash: try parameters(), targetOffset: try parseNumber(targetOffset, what: "--target-offset"),
            padToSize: try padSize())
        try writeOutput(result.bytes, to: output)
        switch result.headerPatch {
        case .untouched: break
        case .patched(let part, let from, let to):
            if from != to { console.info("Flash settings of \(part) set to \(hex(to[0], digits: 2)) \(hex(to[1], digits: 2))") }
        case .notAnImage(let part, let reason):
            console.info("warning: \(part) at 0x0 is not a valid ESP8266 image (\(reason)), so its flash settings were not changed")
        }
        if json {
            console.json(MergeBinReport(
                output: output, bytes: result.bytes.count, targetOffset: result.targetOffset,
                parts: result.parts.map { .init(file: $0.name, offset: $0.offset, bytes: $0.bytes.count) }))
        } else {
            console.result("Wrote \(result.bytes.count) bytes to \(output), to flash at \(hex(result.targetOffset))")
        }
    }

    private func parameters() throws -> FlashParameters {
        var options = flash
        if let flashModeAlias { options.flashMode = flashModeAlias }
        if let flashSizeAlias { options.flashSize = flashSizeAlias }
        if let flashFreqAlias { options.flashFreq = flashFreqAlias }
        return try options.parameters()
    }

    /// --pad-to-size as bytes: a flash size name (1MB, 4MB, …) or a number.
    private func padSize() throws -> Int? {
        guard let padToSize else { return nil }
        if let size = FlashSize(name: padToSize) { return size.bytes }
        let text = padToSize.lowercased()
        for (suffix, scale) in [("mb", 1 << 20), ("kb", 1 << 10)] where text.hasSuffix(suffix) {
            if let value = Int(text.dropLast(2)), value > 0 { return value * scale }
        }
        return try parseNumber(padToSize, what: "--pad-to-size")
    }
}

struct MergeBinReport: Encodable {
    struct Part: Encodable {
        var file: String
        var offset: Int
        var bytes: Int
    }
    var ok = true
    var output: String
    var bytes: Int
    var targetOffset: Int
    var parts: [Part]
}
