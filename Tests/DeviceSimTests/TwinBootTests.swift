import Basics
import DeviceSim
import ESPImage
import ESPProtocol
import Foundation
import SerialLink
import Testing

/// Reset circuit and boot ROM: DTR/RTS sequences, boot logs at 74880 baud, image checks.
struct TwinBootTests {
    /// A twin whose flash holds `image` at offset 0.
    func twin(with image: [UInt8], configuration: TwinConfiguration = TwinConfiguration()) throws -> ESP8266Twin {
        let twin = ESP8266Twin(configuration: configuration)
        try twin.withFlash { flash throws(FlashMemoryError) in try flash.program(image, at: 0) }
        return twin
    }

    /// Pulses EN through RTS with DTR off: a hard reset that boots from flash.
    func hardReset(_ host: MemoryLink) throws {
        try host.setControlLines(dtr: false, rts: true)
        Thread.sleep(forTimeInterval: 0.02)
        try host.setControlLines(dtr: false, rts: false)
    }

    @Test func validImageBootsWithTheROMLogAt74880AndRuns() throws {
        let twin = try twin(with: TestImage.build(segments: TestImage.segments))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        try client.flush()
        try host.setBaudRate(ESP8266.bootLogBaud)
        try hardReset(host)
        let text = try client.readText(until: "csum 0x")
        let sums = TestImage.expectedChecksums()
        let expected = "\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\n"
            + "load 0x40100000, len 36, room 16 \r\ntail 4\r\nchksum \(hex(sums[0], digits: 2))\r\n"
            + "load 0x3ffe8000, len 20, room 4 \r\ntail 0\r\nchksum \(hex(sums[1], digits: 2))\r\n"
            + "csum \(hex(sums[1], digits: 2))\r\n"
        #expect(text == expected)
        let boot = try #require(twin.lastBoot)
        #expect(boot.mode == .flash)
        #expect(boot.imageValid)
        #expect(boot.lineBaud == ESP8266.bootLogBaud)
        #expect(!boot.garbled)
        #expect(boot.segments.map(\.loadAddress) == [0x4010_0000, 0x3FFE_8000])
        #expect(twin.chipState == .runningApp)
    }

    @Test func corruptChecksumPrintsCsumErrAndHalts() throws {
        let twin = try twin(with: TestImage.build(segments: TestImage.segments, corruptChecksum: true))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        try client.flush()
        try host.setBaudRate(ESP8266.bootLogBaud)
        try hardReset(host)
        let text = try client.readText(until: "ets_main.c")
        // As published boot logs show: the computed checksum, then the error.
        #expect(text.hasSuffix("csum \(hex(TestImage.expectedChecksums()[1], digits: 2))\r\ncsum err\r\nets_main.c \r\n"))
        #expect(twin.lastBoot?.outcome == .checksumError)
        #expect(twin.chipState == .halted)
    }

    @Test func blankFlashHaltsWithEtsMain() throws {
        let twin = ESP8266Twin()
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        try client.flush()
        try host.setBaudRate(ESP8266.bootLogBaud)
        try hardReset(host)
        let text = try client.readText(until: "ets_main.c")
        #expect(text == "\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\nets_main.c \r\n")
        #expect(twin.lastBoot?.outcome == .noImage)
        // A halted chip ignores the ROM protocol.
        try host.setBaudRate(115_200)
        #expect(try client.sync(window: .milliseconds(200)).isEmpty)
    }

    @Test func bootLogAt115200ArrivesGarbledWithTheSameLength() throws {
        let twin = try twin(with: TestImage.build(segments: TestImage.segments))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        try client.flush()
        try hardReset(host)
        Thread.sleep(forTimeInterval: 0.1)
        let boot = try #require(twin.lastBoot)
        let bytes = try client.readBytes(count: boot.log.utf8.count)
        #expect(bytes.count == boot.log.utf8.count)
        #expect(bytes != Array(boot.log.utf8))
        #expect(bytes.contains(SLIP.end))
        #expect(boot.garbled)
        #expect(boot.lineBaud == 115_200)
        #expect(twin.chipState == .runningApp)
    }

    @Test func classicAutoResetSequenceEntersDownloadMode() throws {
        let twin = try twin(with: TestImage.build(segments: TestImage.segments), configuration: TwinConfiguration(initialBootMode: .flash))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        Thread.sleep(forTimeInterval: 0.1)
        #expect(twin.chipState == .runningApp)
        try client.flush()
        try host.setBaudRate(ESP8266.bootLogBaud)
        try host.setControlLines(dtr: false, rts: true)   // EN low
        Thread.sleep(forTimeInterval: 0.02)
        #expect(twin.chipState == .inReset)
        try host.setControlLines(dtr: true, rts: false)   // EN high, GPIO0 low
        Thread.sleep(forTimeInterval: 0.02)
        try host.setControlLines(dtr: false, rts: false)  // release GPIO0
        let text = try client.readText(until: "waiting for host")
        #expect(text == "\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n\r\nwaiting for host\r\n")
        #expect(twin.lastBoot?.mode == .download)
        #expect(twin.chipState == .download)
        try host.setBaudRate(115_200)
        #expect(try client.sync().count == 8)
    }

    @Test func settingTheLinesOneByOneStillEntersDownloadMode() throws {
        // esptool's classic reset sets DTR and RTS in separate calls and so passes through
        // "both asserted" (EN and GPIO0 high) for an instant; EN's RC delay hides it.
        let twin = ESP8266Twin(configuration: TwinConfiguration(initialBootMode: .flash))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        try host.setControlLines(dtr: false, rts: nil)
        try host.setControlLines(dtr: nil, rts: true)
        Thread.sleep(forTimeInterval: 0.02)
        try host.setControlLines(dtr: true, rts: nil)
        try host.setControlLines(dtr: nil, rts: false)
        Thread.sleep(forTimeInterval: 0.05)
        try host.setControlLines(dtr: false, rts: nil)
        try client.flush()
        #expect(try client.sync().count == 8)
        #expect(twin.lastBoot?.mode == .download)
    }

    @Test func resetDropsPartialStateAndUnlocksTheBaud() throws {
        let twin = ESP8266Twin()
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        _ = try client.sync()
        _ = try client.command(.flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x400, offset: 0x50000))
        try host.setControlLines(dtr: false, rts: true)
        #expect(twin.lockedBaud == nil)
        #expect(try client.sync(window: .milliseconds(200)).isEmpty)  // held in reset
        try host.setControlLines(dtr: true, rts: false)
        Thread.sleep(forTimeInterval: 0.02)
        try host.setControlLines(dtr: false, rts: false)
        try client.flush()
        #expect(try client.sync().count == 8)
        // The FLASH_BEGIN before the reset is gone.
        let data = try #require(try client.command(.flashData(plainPacket(3), sequence: 0)))
        #expect(data.status.failed)
    }

    /// Writes `image` at offset 0 through the protocol (one packet).
    func writeImage(_ image: [UInt8], with client: TestClient) throws {
        let padded = image + [UInt8](repeating: 0xFF, count: 0x400 - image.count)
        _ = try client.command(.flashBegin(eraseSize: ESP8266.romEraseSize(offset: 0, size: 0x400), packetCount: 1, packetSize: 0x400, offset: 0))
        #expect(try client.command(.flashData(padded, sequence: 0))?.status.failed == false)
    }

    @Test func flashEndOneRunsTheCodeInFlashWithoutABanner() throws {
        let twin = ESP8266Twin(configuration: TwinConfiguration(bootLogDelayAfterFlashEnd: .milliseconds(300)))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        _ = try client.sync()
        try writeImage(TestImage.build(segments: TestImage.segments), with: client)
        let end = Request(.flashEnd, payload: [1, 0, 0, 0])  // "1 to run user code"
        #expect(try client.command(end)?.status.failed == false)
        try host.setBaudRate(ESP8266.bootLogBaud)
        let text = try client.readText(until: "csum 0x")
        #expect(text.hasPrefix("load 0x40100000, len 36, room 16 \r\n"))
        #expect(!text.contains("ets Jan"))
        #expect(text.hasSuffix("csum \(hex(TestImage.expectedChecksums()[1], digits: 2))\r\n"))
        #expect(twin.lastBoot?.trigger == .runUserCode)
        #expect(twin.chipState == .runningApp)
        // The application does not speak the ROM protocol.
        try host.setBaudRate(115_200)
        #expect(try client.sync(window: .milliseconds(200)).isEmpty)
    }

    @Test func flashEndZeroRebootsIntoTheLatchedDownloadMode() throws {
        // A soft reset does not sample GPIO0 again: a chip that was in download mode comes
        // back in download mode, even with a valid image and GPIO0 released.
        let twin = ESP8266Twin(configuration: TwinConfiguration(bootLogDelayAfterFlashEnd: .milliseconds(300)))
        let host = twin.connectInProcess()
        let client = TestClient(host)
        defer { twin.stop() }
        _ = try client.sync()
        try writeImage(TestImage.build(segments: TestImage.segments), with: client)
        let end = Request(.flashEnd, payload: [0, 0, 0, 0])  // "0 to reboot"
        #expect(try client.command(end)?.status.failed == false)
        try host.setBaudRate(ESP8266.bootLogBaud)
        let text = try client.readText(until: "waiting for host")
        #expect(text == "\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,6)\r\n\r\nwaiting for host\r\n")
        #expect(twin.lastBoot?.trigger == .softReset)
        #expect(twin.chipState == .download)
        #expect(twin.lockedBaud == nil)
        try host.setBaudRate(115_200)
        #expect(try client.sync().count == 8)
    }
}
