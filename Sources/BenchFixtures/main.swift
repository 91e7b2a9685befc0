// mlprov-bench-fixtures: writes the benchmarks' fixtures, which are no part of mlprov.
//
//   mlprov-bench-fixtures sample-set FOLDER
//
// sample-set writes the deterministic MeterLogger-sized image set (TestSupport's
// SampleImageSet: five files with the sizes of a real KMP build, 0x00000.bin a valid,
// bootable image) into FOLDER (created if missing) and prints OFFSET FILE pairs for
// write-flash, e.g. `mlprov write-flash --port /dev/pts/3 $(mlprov-bench-fixtures sample-set /tmp/set)`.
import Basics
import ESPImage
import Foundation
import TestSupport

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, arguments.first == "sample-set", let directory = arguments.last else {
    FileHandle.standardError.write(Data("usage: mlprov-bench-fixtures sample-set FOLDER\n".utf8))
    exit(2)
}
do {
    let folder = URL(fileURLWithPath: directory)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var pairs: [String] = []
    for file in SampleImageSet.meterLogger() {
        let url = folder.appendingPathComponent(file.name)
        try Data(file.bytes).write(to: url)
        pairs += [hex(file.offset, digits: 5), url.path]
    }
    print(pairs.joined(separator: " "))
} catch {
    FileHandle.standardError.write(Data("mlprov-bench-fixtures: \(error)\n".utf8))
    exit(1)
}
