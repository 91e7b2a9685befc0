import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import Testing
import TestSupport

/// `BoardConnection.open(link:)` over the twin's in-process link, whose DTR/RTS reach the
/// twin's reset circuit: the path the station and `mlprov flash` take for one board, with
/// the classic reset really driving EN and GPIO0.
@Suite("Board connection over an in-process link")
struct BoardConnectionTests {
    /// A twin that boots its flash at power-on (GPIO0 high): only a reset through the
    /// control lines brings it into the ROM loader.
    static func bootingTwin() throws -> ESP8266Twin {
        try TwinSessionSupport.prefilledTwin(TwinConfiguration(initialBootMode: .flash))
    }

    @Test("the classic reset brings a board running from flash into the loader; a small plan is written through the stub; a hard reset boots it")
    func classicResetThenFlash() throws {
        let twin = try Self.bootingTwin()
        defer { twin.stop() }
        let link = twin.connectInProcess(name: "slot-1")
        let powered = ContinuousClock.now + .seconds(20)
        while twin.boots.isEmpty, ContinuousClock.now < powered { Thread.sleep(forTimeInterval: 0.01) }
        #expect(twin.boots.map(\.mode) == [.flash], "powered on into its flash, not the loader")

        var events: [FlashEvent] = []
        let connection = try BoardConnection.open(link: link, port: "slot-1", reset: .classic) { events.append($0) }
        defer { connection.close() }
        #expect(connection.port == "slot-1")
        #expect(connection.identity.mac == TwinConfiguration.defaultMAC.description)
        #expect(twin.events.contains(.resetAsserted), "RTS pulled EN low")
        #expect(twin.boots.last?.mode == .download, "DTR held GPIO0 low as EN rose")
        #expect(events.contains { if case .connected = $0 { true } else { false } })

        var random = SplitMix64(seed: 0xB0A2D)
        let bytes = random.bytes(10_000)
        let offset = 0x2_0000
        let plan = try FlashPlan(
            parts: [FlashPart(name: "small.bin", offset: offset, bytes: bytes)], flashSize: .size1MB,
            protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        try connection.write(plan)
        #expect(connection.usedStub, "the default stub was started and wrote the part")
        let flash = twin.flash.read(0..<TwinSessionSupport.flashBytes)
        #expect(byteDifference(flash[offset..<(offset + bytes.count)], bytes, base: offset) == nil)
        #expect(flash[(offset + bytes.count)..<(offset + 0x3000)].allSatisfy { $0 == 0xFF }, "the rest of the part's last sector is erased")
        #expect(byteDifference(flash[..<offset], TwinSessionSupport.pattern[..<offset]) == nil, "nothing before the part changed")
        #expect(byteDifference(flash[(offset + 0x3000)...], TwinSessionSupport.pattern[(offset + 0x3000)...], base: offset + 0x3000) == nil,
                "nothing after the part's sectors changed")

        let bootsBefore = twin.boots.count
        #expect(try connection.finish(.hardReset) == .hardReset)
        let deadline = ContinuousClock.now + .seconds(20)
        while twin.boots.count == bootsBefore, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(twin.boots.count == bootsBefore + 1)
        #expect(twin.boots.last?.mode == .flash, "the hard reset (RTS pulse, GPIO0 high) boots the flash")
    }

    @Test("without a reset the same board never answers: it was the control lines that got it into the loader")
    func noResetDoesNotReachTheLoader() throws {
        let twin = try Self.bootingTwin()
        defer { twin.stop() }
        let error = #expect(throws: FlasherError.self) {
            try BoardConnection.open(link: twin.connectInProcess(name: "slot-2"), port: "slot-2", reset: .none, attempts: 2)
        }
        guard case .syncFailed(_, let attempts, _) = error else {
            Issue.record("expected syncFailed, got \(String(describing: error))")
            return
        }
        #expect(attempts == 2)
        #expect(!twin.events.contains(.resetAsserted))
    }
}
