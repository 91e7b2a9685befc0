import ESPImage
import Foundation
import MeterLogger
import Testing
import TestSupport

@Suite("MeterLogger's ESP Web Tools manifest")
struct MeterLoggerManifestTests {
    @Test("MeterLogger's manifest lists the five files at their offsets, as numbers")
    func meterLogger() throws {
        let manifest = WebToolsManifest.meterLogger(name: "MeterLogger 9999999", version: "1.2.3")
        #expect(manifest.builds.count == 1)
        let build = try #require(manifest.build())
        #expect(build.chipFamily == "ESP8266")
        #expect(build.parts == [
            .init(path: "0x00000.bin", offset: 0x00000),
            .init(path: "0x10000.bin", offset: 0x10000),
            .init(path: "webpages.espfs", offset: 0x60000),
            .init(path: "esp_init_data_default_112th_byte_0x03.bin", offset: 0xFC000),
            .init(path: "blank.bin", offset: 0xFE000),
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(manifest.json())) as? [String: Any])
        #expect(object["name"] as? String == "MeterLogger 9999999")
        #expect(object["version"] as? String == "1.2.3")
        let builds = try #require(object["builds"] as? [[String: Any]])
        let parts = try #require(builds.first?["parts"] as? [[String: Any]])
        #expect(parts.map { $0["offset"] as? Int } == [0, 65536, 393216, 1032192, 1040384])
        #expect(parts.map { $0["path"] as? String } == build.parts.map(\.path))
    }

    @Test("written and read back, a manifest is unchanged; the same manifest gives the same bytes")
    func roundTrip() throws {
        let manifest = WebToolsManifest.meterLogger(name: "KAM_9999999", version: "2025-01-01")
        let bytes = manifest.json()
        #expect(try WebToolsManifest(json: bytes) == manifest)
        #expect(WebToolsManifest.meterLogger(name: "KAM_9999999", version: "2025-01-01").json() == bytes)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"offset\" : 65536"))
    }
}

@Suite("MeterLogger flash layout")
struct FlashLayoutTests {
    private let layout = FlashLayout.meterLogger

    @Test("regions in offset order, inside 1 MB, none overlapping")
    func wellFormed() {
        #expect(layout.flashSize == .size1MB)
        #expect(layout.flash == .meterLogger)
        #expect(layout.regions.map(\.offset) == layout.regions.map(\.offset).sorted())
        for (a, b) in zip(layout.regions, layout.regions.dropFirst()) { #expect(a.range.upperBound <= b.range.lowerBound) }
        #expect(layout.regions.allSatisfy { $0.range.upperBound <= FlashSize.size1MB.bytes })
    }

    @Test("a flash writes the five files at 0x0, 0x10000, 0x60000, 0xFC000, 0xFE000")
    func flashedFiles() {
        #expect(layout.flashedRegions.map(\.offset) == [0x00000, 0x10000, 0x60000, 0xFC000, 0xFE000])
        #expect(layout.flashedRegions.map(\.fileName) == [
            "0x00000.bin", "0x10000.bin", "webpages.espfs", "esp_init_data_default_112th_byte_0x03.bin", "blank.bin",
        ])
        #expect(layout.region(.rfInitData)?.range.count == 128)
        #expect(layout.region(.blank)?.range.count == 4096)
        #expect(layout.region(.stackTraceDump)?.offset == 0x80000)
    }

    @Test("the saved configuration 0x76000-0x78FFF is the one protected region, and no file is written there")
    func protected() {
        #expect(layout.protectedRegions.map(\.range) == [0x76000..<0x79000])
        #expect(FlashLayout.meterLoggerConfiguration == 0x76000..<0x79000)
        #expect(layout.region(containing: 0x78FFF)?.content == .configuration)
        #expect(layout.region(containing: 0x79000)?.content != .configuration)
        for region in layout.flashedRegions {
            #expect(!region.range.overlaps(FlashLayout.meterLoggerConfiguration), "\(region.name)")
        }
    }

    @Test("the sample image set fits the layout's flashed regions")
    func sampleSetFits() {
        for file in SampleImageSet.meterLogger() {
            let region = layout.region(containing: file.offset)
            #expect(region?.fileName == file.name)
            #expect(file.offset + file.bytes.count <= region?.range.upperBound ?? 0)
        }
    }

    @Test("MeterLogger boards are DOUT, 1MB, 40m")
    func flashParameters() {
        #expect(FlashParameters.meterLogger == FlashParameters(mode: .dout, size: .size1MB, frequency: .mhz40))
    }

    @Test("the protected regions flash plans get are the saved configuration, by the name errors show")
    func protectedRegionsForPlans() {
        #expect(FlashLayout.meterLoggerProtectedRegions == [.meterLoggerConfiguration])
        #expect(ProtectedRegion.meterLoggerConfiguration == ProtectedRegion(name: "MeterLogger saved configuration", range: 0x76000..<0x79000))
        #expect(layout.protectedRegions.map(\.range) == FlashLayout.meterLoggerProtectedRegions.map(\.range))
    }
}
