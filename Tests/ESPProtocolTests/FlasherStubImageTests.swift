import CStubHost
import ESPImage
import ESPProtocol
import Foundation
import Testing
import TestSupport

/// mlprov's own flasher stub image (firmware/stub, written into Sources/ESPProtocol by
/// scripts/build-stub): the committed resources and metadata are what the sources build to.
@Suite("Flasher stub image", .serialized)
struct FlasherStubImageTests {
    // MARK: - The image

    @Test("the committed image (Resources/stub-*.bin, FlasherStub+Image.swift) holds the segments a fresh cross build makes")
    func committedImageMatchesFreshBuild() async throws {
        let build = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-stub-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: build) }
        let stubFolder = packageRoot.appendingPathComponent("firmware/stub").path
        let make = try await runProcess("/usr/bin/make", ["-C", stubFolder, "BUILD=\(build.path)"])
        try #require(make.succeeded, "\(make)")
        #expect(make.stdout.contains(".text:"), "make reports the section sizes")

        let elf = try ELFFile(parsing: Array(try Data(contentsOf: build.appendingPathComponent("mlprov-stub.elf"))))
        let text = try #require(elf.section(named: ".text"))
        let data = try #require(elf.section(named: ".data"))
        let bss = try #require(elf.section(named: ".bss"))
        #expect(elf.entry == FlasherStubImage.entry)
        #expect(text.address == FlasherStubImage.text.address)
        #expect(data.address == FlasherStubImage.data.address)
        #expect(byteDifference(elf.contents(of: text), FlasherStubImage.text.bytes) == nil)
        #expect(byteDifference(elf.contents(of: data), FlasherStubImage.data.bytes) == nil)
        #expect(bss.address == FlasherStubImage.bss.address && Int(bss.size) == FlasherStubImage.bss.size)
    }

    @Test("the stub fits the memory map: IRAM 0x4010D000–0x4010FFFF, DRAM 0x3FFE8100–0x3FFFBFFF")
    func imageFitsMemoryMap() {
        let text = FlasherStubImage.text, data = FlasherStubImage.data, bss = FlasherStubImage.bss
        #expect(text.address >= 0x4010_D000 && Int(text.address) + text.bytes.count <= 0x4011_0000)
        #expect(text.bytes.count % 4 == 0, "IRAM is filled in whole words")
        #expect(FlasherStubImage.entry >= text.address && Int(FlasherStubImage.entry) < Int(text.address) + text.bytes.count)
        #expect(bss.address >= 0x3FFE_8100 && Int(bss.address) + bss.size <= Int(data.address))
        #expect(Int(data.address) + data.bytes.count <= 0x3FFF_C000, "the ROM's own data starts at 0x3FFFC000")
    }

    @Test("the limits in the image are the core's")
    func limitsMatchCore() {
        #expect(FlasherStubImage.maxBlockSize == Int(stub_host_max_block_size()))
        #expect(FlasherStubImage.maxWindowBits == Int(stub_host_max_window_bits()))
        #expect(FlasherStubImage.maxBlockSize == 0x4000 && FlasherStubImage.maxWindowBits == 15)
    }

    @Test("the embedded segments have the sizes the generator recorded, and the stub descriptor uses them")
    func embeddedResourcesAreTheBuild() {
        #expect(FlasherStubImage.text.bytes.count == FlasherStubImage.builtSizes.text)
        #expect(FlasherStubImage.data.bytes.count == FlasherStubImage.builtSizes.data)
        #expect(FlasherStub.mlprov.segments.map(\.bytes) == [FlasherStubImage.text.bytes, FlasherStubImage.data.bytes])
        #expect(FlasherStub.mlprov.entry == FlasherStubImage.entry)
    }

    @Test("scripts/build-stub --check finds the committed image up to date")
    func generatorCheckPasses() async throws {
        let build = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-stub-check-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: build) }
        let script = packageRoot.appendingPathComponent("scripts/build-stub").path
        let check = try await runProcess("/usr/bin/env", ["BUILD=\(build.path)", script, "--check"])
        #expect(check.succeeded, "\(check)")
        #expect(check.stdout.contains("up to date"))
    }
}
