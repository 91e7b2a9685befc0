import Basics
import ESPImage
import Foundation
import Testing
import TestSupport

/// The `mlprov` binary's image commands, run as a Makefile or a script would run them.
@Suite("mlprov elf2image, image-info and merge-bin on the command line")
struct ImageToolsCLITests {
    @Test("elf2image ELF -o DIR/ (the Makefile's form) writes esptool's files, names and bytes")
    func elf2imageMakefileForm() async throws {
        let elf = try await FixtureBuilder.shared.elf(.withIROM)
        let folder = try temporaryDirectory("mlprov-elf2image")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("firmware").path + "/"
        let run = try await runProcess(mlprovBinary, ["elf2image", elf.path, "-o", output])
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.contains("firmware/0x00000.bin") && run.stdout.contains("firmware/0x10000.bin"))
        let ours = try filesIn(URL(fileURLWithPath: output))
        let esptool = try await esptoolElf2Image(elf)
        #expect(ours.keys.sorted() == ["0x00000.bin", "0x10000.bin"])
        #expect(ours == esptool)
    }

    @Test("elf2image --chip esp8266 with esptool's -fm/-fs/-ff spellings matches esptool with the same flags")
    func elf2imageEsptoolFlags() async throws {
        let elf = try await FixtureBuilder.shared.elf(.oddSections)
        let folder = try temporaryDirectory("mlprov-elf2image-flags")
        defer { try? FileManager.default.removeItem(at: folder) }
        let flags = ["-fm", "dout", "-fs", "1MB", "-ff", "40m"]
        let run = try await runProcess(mlprovBinary, ["elf2image", "--chip", "esp8266", elf.path, "-o", folder.path + "/"] + flags)
        #expect(run.succeeded, "\(run)")
        #expect(try filesIn(folder) == (try await esptoolElf2Image(elf, flags)))
    }

    @Test("elf2image of a broken ELF exits 1 with the error and writes nothing")
    func elf2imageBrokenELF() async throws {
        let bytes = Array(try await FixtureBuilder.shared.elfBytes(.withIROM).prefix(40))
        let folder = try temporaryDirectory("mlprov-elf2image-broken")
        defer { try? FileManager.default.removeItem(at: folder) }
        let elf = folder.appendingPathComponent("app.out")
        try Data(bytes).write(to: elf)
        let out = folder.appendingPathComponent("firmware").path + "/"
        let run = try await runProcess(mlprovBinary, ["elf2image", elf.path, "-o", out])
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains("error: ELF file truncated: the ELF header at byte 0 needs 52 bytes, 40 there"))
        #expect(!FileManager.default.fileExists(atPath: out + "0x00000.bin"))
    }

    @Test("image-info --json reports what esptool's image-info prints")
    func imageInfoJSON() async throws {
        let image = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.oddSections), flash: FlashParameters(mode: .dout, size: .size1MB, frequency: .mhz40)).image
        let folder = try temporaryDirectory("mlprov-image-info")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("0x00000.bin")
        try Data(image).write(to: file)
        let run = try await runProcess(mlprovBinary, ["image-info", file.path, "--json"])
        #expect(run.succeeded, "\(run)")
        struct Report: Decodable { var ok: Bool; var file: String; var image: ImageDescription }
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.ok && report.file == file.path)
        #expect(report.image == (try ImageDescription(describing: image)))
        let esptool = try await esptoolImageInfo(image)
        #expect(esptool.entry == report.image.entry)
        #expect(esptool.checksum == report.image.storedChecksum && esptool.checksumValid == report.image.checksumValid)
        #expect(esptool.flashMode == report.image.flashMode && esptool.flashSize == report.image.flashSize)
        #expect(esptool.segments.map { [Int($0.loadAddress), $0.length, $0.fileOffset] }
            == report.image.segments.map { [Int($0.loadAddress), $0.length, $0.fileOffset] })
    }

    @Test("image-info of something that is not an image exits 1 naming byte 0")
    func imageInfoNotAnImage() async throws {
        let elf = try await FixtureBuilder.shared.elf(.iramOnly)
        let run = try await runProcess(mlprovBinary, ["image-info", elf.path])
        #expect(run.exitCode == 1)
        #expect(run.stderr.contains("not an ESP8266 image: byte 0 is 0x7f, expected 0xe9"))
    }

    @Test("merge-bin with esptool's -fm/-fs/-ff writes esptool's bytes; an overlap exits 1 naming both files")
    func mergeBin() async throws {
        let built = try ELF2Image.convert(elf: try await FixtureBuilder.shared.elfBytes(.withIROM))
        let folder = try temporaryDirectory("mlprov-merge-bin")
        defer { try? FileManager.default.removeItem(at: folder) }
        var arguments: [String] = []
        var parts: [MergeBin.Part] = []
        for file in built.files {
            let url = folder.appendingPathComponent(file.name)
            try Data(file.bytes).write(to: url)
            arguments += [hex(file.offset, digits: 5), url.path]
            parts.append(MergeBin.Part(name: file.name, offset: file.offset, bytes: file.bytes))
        }
        let flags = ["-fm", "dout", "-fs", "1MB", "-ff", "40m"]
        let out = folder.appendingPathComponent("merged.bin").path
        let run = try await runProcess(mlprovBinary, ["merge-bin", "-o", out] + flags + arguments)
        #expect(run.succeeded, "\(run)")
        let ours = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(ours == (try await esptoolMergeBin(parts, flags).get()))

        let overlap = try await runProcess(mlprovBinary, ["merge-bin", "-o", out, "0x0", arguments[1], "0x800", arguments[3]])
        #expect(overlap.exitCode == 1)
        #expect(overlap.stderr.contains("0x00000.bin") && overlap.stderr.contains("0x10000.bin") && overlap.stderr.contains("overlaps"))
    }
}
