import ArgumentParser
import Basics
import ESPImage
import Foundation

/// Writes the deterministic MeterLogger-sized image set the demo, tests and benchmarks use.
struct SampleSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-set",
        abstract: "Write a MeterLogger-sized sample image set (five files) into a folder.",
        discussion: """
            The files have the sizes of a real KMP build and deterministic, code-like contents; \
            0x00000.bin is a valid, bootable image. Prints OFFSET FILE pairs for write-flash.

            Example: mlprov write-flash --port /dev/pts/3 $(mlprov sample-set /tmp/set)
            """,
        shouldDisplay: false)

    @Argument(help: "Folder to write the files into (created if missing).")
    var directory: String

    func run() throws {
        let folder = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var arguments: [String] = []
        for file in SampleImageSet.meterLogger() {
            let url = folder.appendingPathComponent(file.name)
            try Data(file.bytes).write(to: url)
            arguments += [hex(file.offset, digits: 5), url.path]
        }
        print(arguments.joined(separator: " "))
    }
}
