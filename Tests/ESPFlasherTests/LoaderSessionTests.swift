import Basics
import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import SerialLink
import TestSupport
import Testing

/// The real `LoaderSession` against the ESP8266 twin, end to end: resetting a running board
/// through DTR/RTS, identifying it, writing the MeterLogger set and rebooting into it.
struct LoaderSessionTwinTests {
    typealias Support = TwinSessionSupport

    /// Not an Espressif OUI selector: the OUI comes from MAC3. Chip id = MAC0 >> 24 | (MAC1 & 0xFFFFFF) << 8.
    static let mac = MACAddress("5c:cf:7f:0a:0b:0c")!
    static let chipID: UInt32 = 0x0A0B0C

    @Test("a running board is reset into the ROM through DTR/RTS, identified, flashed and rebooted into the new image",
          arguments: [ResetStrategy.classic, .unixTight])
    func resetFlashAndRebootInProcess(reset: ResetStrategy) throws {
        let twin = try Support.prefilledTwin(TwinConfiguration(mac: Self.mac, initialBootMode: .flash))
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        // Power-on from flash: the prefill is no image, so the board is not in the loader.
        #expect(twin.lastBoot?.mode == .flash)
        #expect(twin.chipState != .download)

        var connectEvents: [FlashEvent] = []
        try session.connect(reset: reset) { connectEvents.append($0) }
        #expect(connectEvents.first == .connecting(attempt: 1, of: LoaderSession.defaultConnectAttempts))
        #expect(twin.chipState == .download)
        #expect(twin.lockedBaud == 115_200)
        #expect(twin.lastBoot?.mode == .download)
        #expect(twin.lastBoot?.trigger == .resetPin)

        let info = try session.readChipInfo()
        #expect(info.mac == Self.mac)
        #expect(info.chipID == Self.chipID)
        #expect(info.chipID == twin.configuration.chipID)

        let parts = Support.meterLoggerParts()
        let plan = try Support.meterLoggerPlan()
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }
        Support.checkProgress(events, plan: plan)
        #expect(!events.contains { if case .retrying = $0 { true } else { false } })

        // Every part at its offset, the header patched, everything else as it was.
        let flash = twin.flash.contents
        for part in parts.dropFirst() {
            #expect(byteDifference(flash[part.range], part.bytes, base: part.offset) == nil, "\(part.name) at \(hex(part.offset))")
        }
        let image = parts[0]
        #expect(flash[2] == 0x03 && flash[3] == 0x20)
        #expect(Array(flash[0..<2]) == Array(image.bytes[0..<2]))
        #expect(byteDifference(flash[4..<image.bytes.count], image.bytes[4...], base: 4) == nil)
        // The ROM's over-erase lands only where the plan said it would (docs/esp8266-rom-protocol.md, "The ROM's erase-size bug": N + min(head, N)).
        #expect(plan.operations.map(\.collateralErase) == [nil, nil, nil, 0xFD000..<0xFE000, 0xFF000..<0x100000])
        let expected = Support.expectedFlash(parts: parts, plan: plan, over: Support.pattern)
        #expect(byteDifference(flash, expected) == nil)
        // Spot checks the model above relies on: the sector after each erase keeps the prefill.
        for range in [0x0A000..<0x0B000, 0x55000..<0x56000, 0x62000..<0x63000, 0x70000..<0xFC000] {
            #expect(byteDifference(flash[range], Support.pattern[range], base: range.lowerBound) == nil, "\(hex(range.lowerBound)) was touched")
        }

        let taken = try session.finish(.hardReset)
        #expect(taken == .hardReset)
        #expect(Support.waitUntil { twin.chipState == .runningApp }, "chip state: \(twin.chipState)")
        let boot = try #require(twin.lastBoot)
        #expect(boot.mode == .flash)
        #expect(boot.trigger == .resetPin)
        #expect(boot.outcome == .runningApp)
        #expect(boot.imageValid)
        #expect(boot.segments.map(\.loadAddress) == [0x4010_0000, 0x3FFE_8000])
        #expect(boot.segments.map(\.length) == [29_452, 9_296])
        #expect(boot.entry == 0x4010_0004)
        #expect(!boot.log.contains("csum err"))
    }

    @Test("a part with blank packets skips them with a second FLASH_BEGIN and still lands byte for byte")
    func blankPacketsAreSkippedButTheFlashIsRight() throws {
        var random = SplitMix64(seed: 0x2_0000)
        var bytes = (0..<0xA000).map { _ in UInt8(truncatingIfNeeded: random.next()) & 0xFE }
        bytes.replaceSubrange(0x2C00..<0x6800, with: repeatElement(0xFF, count: 0x6800 - 0x2C00))
        let part = FlashPart(name: "gappy.bin", offset: 0x20000, bytes: bytes)
        let plan = try FlashPlan(parts: [part], flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        // Packets 11...25 are blank; the run after the gap restarts on the sector at 0x26000.
        #expect(plan.operations[0].packetRuns == [0..<11, 24..<40])

        let twin = try Support.prefilledTwin()
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        try session.connect(reset: .none)
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }
        Support.checkProgress(events, plan: plan)
        #expect(twin.counters.count(.flashBegin) == 2)
        #expect(twin.counters.count(.flashData) == 11 + 16)
        let expected = Support.expectedFlash(parts: [part], plan: plan, over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }

    @Test("without a reset, FLASH_END(run) leaves the loader for the image already in flash")
    func finishRunStartsTheImage() throws {
        let twin = try ESP8266Twin(flashContents: Support.meterLoggerPlan().operations[0].part.bytes)
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        try session.connect(reset: .none)
        #expect(try session.finish(.run) == .run)
        #expect(Support.waitUntil { twin.chipState == .runningApp }, "chip state: \(twin.chipState)")
        #expect(twin.lastBoot?.trigger == .runUserCode)
        #expect(twin.lastBoot?.imageValid == true)
    }

    @Test("finish(.noReset) leaves the chip in the ROM loader, still answering")
    func finishNoResetStaysInTheLoader() throws {
        let twin = ESP8266Twin()
        defer { twin.stop() }
        let session = LoaderSession(link: twin.connectInProcess())
        try session.connect(reset: .none)
        #expect(try session.finish(.noReset) == .noReset)
        #expect(twin.chipState == .download)
        #expect(try session.readRegister(ESP8266.chipDetectRegister) == ESP8266.chipDetectValue)
    }
}

/// The same session over a pseudo-terminal: the real termios code, no DTR/RTS.
struct LoaderSessionPseudoTerminalTests {
    typealias Support = TwinSessionSupport

    @Test("over a pseudo-terminal at 115200 a board held in the loader is flashed, and a hard reset falls back to FLASH_END(run)")
    func flashOverPseudoTerminal() throws {
        let twin = try Support.prefilledTwin()
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        let port = try SerialPort(path: front.slavePath, baud: 115_200)
        defer { port.close() }
        let session = LoaderSession(link: port)

        try session.connect(reset: .none)
        #expect(twin.chipState == .download)
        #expect(twin.lockedBaud == 115_200)
        let info = try session.readChipInfo()
        #expect(info.mac == TwinConfiguration.defaultMAC)
        #expect(info.chipID == 0xA1B2C3)

        let plan = try Support.meterLoggerPlan()
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }
        Support.checkProgress(events, plan: plan)
        let expected = Support.expectedFlash(parts: Support.meterLoggerParts(), plan: plan, over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)

        #expect(try session.finish(.hardReset) == .run)
        #expect(Support.waitUntil { twin.chipState == .runningApp }, "chip state: \(twin.chipState)")
        #expect(twin.lastBoot?.trigger == .runUserCode)
        #expect(twin.lastBoot?.outcome == .runningApp)
    }

    @Test("a reset through DTR/RTS on a pseudo-terminal fails with controlLinesUnsupported, and no-reset still connects")
    func classicResetOnPseudoTerminalIsRefused() throws {
        let twin = ESP8266Twin()
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        let port = try SerialPort(path: front.slavePath, baud: 115_200)
        defer { port.close() }
        let session = LoaderSession(link: port)

        #expect(throws: FlasherError.link(.controlLinesUnsupported(link: front.slavePath))) {
            try session.connect(reset: .classic, attempts: 1)
        }
        #expect(throws: FlasherError.link(.controlLinesUnsupported(link: front.slavePath))) {
            try session.connect(reset: .unixTight, attempts: 1)
        }
        #expect(twin.counters.commands.isEmpty)
        try session.connect(reset: .none)
        #expect(twin.counters.count(.sync) == 1)
    }

    @Test("a port opened directly at 921600 syncs (the ROM measures the rate) and writes")
    func directHighBaudSync() throws {
        let twin = try Support.prefilledTwin(TwinConfiguration(maxBaud: 921_600))
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        let port = try SerialPort(path: front.slavePath, baud: 921_600)
        defer { port.close() }
        let session = LoaderSession(link: port)

        try session.connect(reset: .none)
        #expect(twin.lockedBaud == 921_600)
        #expect(try session.readChipInfo().mac == TwinConfiguration.defaultMAC)
        let plan = try Support.meterLoggerPlan()
        try session.write(plan)
        let expected = Support.expectedFlash(parts: Support.meterLoggerParts(), plan: plan, over: Support.pattern)
        #expect(byteDifference(twin.flash.contents, expected) == nil)
    }

    @Test("at 1500000 baud, above what the chip's UART follows, connecting fails with syncFailed")
    func tooFastForTheChip() throws {
        let twin = ESP8266Twin(configuration: TwinConfiguration(maxBaud: 921_600))
        let front = try twin.servePseudoTerminal()
        defer { front.stop() }
        let port = try SerialPort(path: front.slavePath, baud: 1_500_000)
        defer { port.close() }
        let session = LoaderSession(link: port)

        #expect(throws: FlasherError.syncFailed(link: front.slavePath, attempts: 1, baud: 1_500_000)) {
            try session.connect(reset: .none, attempts: 1)
        }
        #expect(twin.counters.count(.sync) == 0)
        #expect(twin.counters.ignoredFrames > 0)
        #expect(twin.lockedBaud == nil)
    }
}
