import Basics
import DeviceSim
import ESPImage
import Testing

/// The boot ROM's text, against the structure of boot logs published from real boards.
struct BootROMTests {
    func flash(with segments: [(address: UInt32, data: [UInt8])]) throws -> FlashMemory {
        try FlashMemory(size: 1 << 20, image: TestImage.build(segments: segments))
    }

    /// The lines without the checksums (the published images' data is not known).
    func structure(_ record: BootRecord) -> [String] {
        record.logLines.filter { !$0.hasPrefix("chksum") && !$0.hasPrefix("csum 0x") }
    }

    @Test func segmentLinesFollowTheSixteenByteChunkReader() throws {
        // Published: ets Jan 8 2013,rst cause:2, boot mode:(3,7) / load 0x40100000, len 24236,
        // room 16 / tail 12 / ho 0 tail 12 room 4 / load 0x3ffe8000, len 3008, room 12 /
        // tail 4 / load 0x3ffe8bc0, len 4816, room 4 / tail 12 (esp8266.com, topic 113).
        let record = BootROM.bootFromFlash(try flash(with: [
            (0x4010_0000, [UInt8](repeating: 1, count: 24236)),
            (0x3FFE_8000, [UInt8](repeating: 2, count: 3008)),
            (0x3FFE_8BC0, [UInt8](repeating: 3, count: 4816)),
        ]), trigger: .resetPin)
        #expect(structure(record) == [
            " ets Jan  8 2013,rst cause:2, boot mode:(3,6)",
            "load 0x40100000, len 24236, room 16 ", "tail 12",
            "ho 0 tail 12 room 4",
            "load 0x3ffe8000, len 3008, room 12 ", "tail 4",
            "load 0x3ffe8bc0, len 4816, room 4 ", "tail 12",
        ])
        #expect(record.outcome == .runningApp)
    }

    @Test func emptySegmentsKeepTheRoomAndReportTheOffset() throws {
        // Published: load 0x40100000, len 212, room 16 / tail 4 / load 0x00000000, len 0,
        // room 4 / tail 0 / ho 12 tail 0 room 4 / load 0x00000000, len 0, room 12 / tail 0
        // (bbs.espressif.com, topic 2826).
        let record = BootROM.bootFromFlash(try flash(with: [
            (0x4010_0000, [UInt8](repeating: 1, count: 212)),
            (0, []),
            (0, []),
        ]), trigger: .powerOn)
        #expect(structure(record) == [
            " ets Jan  8 2013,rst cause:1, boot mode:(3,6)",
            "load 0x40100000, len 212, room 16 ", "tail 4",
            "load 0x00000000, len 0, room 4 ", "tail 0",
            "ho 12 tail 0 room 4",
            "load 0x00000000, len 0, room 12 ", "tail 0",
        ])
    }

    @Test func runningChecksumIsPrintedPerSegmentAndAsCsum() throws {
        let record = BootROM.bootFromFlash(try flash(with: TestImage.segments), trigger: .resetPin)
        let sums = TestImage.expectedChecksums().map { hex($0, digits: 2) }
        #expect(record.logLines.filter { $0.hasPrefix("chksum") } == sums.map { "chksum \($0)" })
        #expect(record.logLines.last == "csum \(sums[1])")
    }

    @Test func blankFlashHalts() {
        let record = BootROM.bootFromFlash(FlashMemory(size: 1 << 20), trigger: .resetPin)
        #expect(record.outcome == .noImage)
        #expect(record.logLines.last == "ets_main.c ")
    }

    @Test func garbledTextKeepsItsLengthAndContainsFrameDelimiters() {
        let text = Array(BootROM.downloadMode(trigger: .resetPin).log.utf8)
        let noise = WrongRateNoise.garble(text, lineBaud: 115_200)
        #expect(noise.count == text.count)
        #expect(noise != text)
        #expect(noise.filter { $0 == 0xC0 }.count == text.count / WrongRateNoise.delimiterSpacing)
        #expect(WrongRateNoise.garble(text, lineBaud: 115_200) == noise)
    }
}
