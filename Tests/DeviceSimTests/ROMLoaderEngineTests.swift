import DeviceSim
import ESPImage
import ESPProtocol
import Testing

/// The protocol engine alone: bytes in, outcomes out, no threads.
struct ROMLoaderEngineTests {
    let configuration = TwinConfiguration()

    func framed(_ request: Request) -> [UInt8] { SLIP.encode(request.encoded()) }

    @Test func syncLocksTheBaudAndIsAnsweredEightTimes() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        let outcomes = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        #expect(outcomes.count == 1)
        #expect(outcomes[0].replies.count == 8)
        #expect(Set(outcomes[0].replies.map(\.value)) == [ROMLoaderEngine.syncReplyValue])
        #expect(outcomes[0].replies.allSatisfy { !$0.status.failed })
        #expect(engine.lockedBaud == 115_200)
    }

    @Test func framesAtAnotherRateThanTheLockedOneAreNoise() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let outcomes = engine.receive(framed(.readReg(ESP8266.chipDetectRegister)), lineBaud: 460_800, flash: &flash)
        #expect(outcomes.first?.ignored == .lineNoise(lineBaud: 460_800))
        #expect(outcomes.first?.replies.isEmpty == true)
        engine.reset()
        #expect(engine.lockedBaud == nil)
    }

    @Test func beforeSyncOnlyTheBootRateIsUnderstood() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        let at115200 = engine.receive(framed(.readReg(ESP8266.chipDetectRegister)), lineBaud: 115_200, flash: &flash)
        #expect(at115200.first?.ignored != nil)
        let at74880 = engine.receive(framed(.readReg(ESP8266.chipDetectRegister)), lineBaud: 74_880, flash: &flash)
        #expect(at74880.first?.replies.first?.value == ESP8266.chipDetectValue)
    }

    @Test func frameCompletionPointsAreReportedPerFrame() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        let first = framed(.sync())
        let second = framed(.readReg(ESP8266.otpMAC0))
        let outcomes = engine.receive(first + second, lineBaud: 115_200, flash: &flash)
        #expect(outcomes.map(\.completedAfterBytes) == [first.count, first.count + second.count])
    }

    @Test func uartDividerFollowsTheLockedBaud() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let reply = engine.handle(packet: Request.readReg(ESP8266.uartClockDividerRegister).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(reply.replies.first?.value == 451)  // 52 MHz / 115200
    }

    @Test func spiControllerAnswersJEDECIDThroughRegisters() {
        // The register dance esptool's flash-id performs (USR command 0x9F, 24 MISO bits).
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let base: UInt32 = 0x6000_0200
        for request in [
            Request.writeReg(base + 0x20, value: 23 << 8),              // USER1: 24 MISO bits
            Request.writeReg(base + 0x1C, value: 1 << 31 | 1 << 28),    // USER: command + MISO
            Request.writeReg(base + 0x24, value: 7 << 28 | 0x9F),       // USER2: 8-bit command 0x9F
            Request.writeReg(base + 0x40, value: 0),                    // W0 cleared
            Request.writeReg(base + 0x00, value: 1 << 18),              // CMD: start user command
        ] {
            #expect(engine.handle(packet: request.encoded(), lineBaud: 115_200, flash: &flash).error == nil)
        }
        let command = engine.handle(packet: Request.readReg(base).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(command.replies.first.map { $0.value & (1 << 18) } == 0)
        let w0 = engine.handle(packet: Request.readReg(base + 0x40).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(w0.replies.first?.value == 0x14_40EF)  // EF, 40, 14 in MISO order
    }

    @Test func flashDataBeyondTheAnnouncedPacketsIsRefused() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let begin = engine.handle(packet: Request.flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x400, offset: 0x10000).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(begin.error == nil)
        let outOfRange = engine.handle(packet: Request.flashData(plainPacket(1), sequence: 1).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(outOfRange.error == .failedToAct)
        let wrongSize = engine.handle(packet: Request.flashData([1, 2, 3], sequence: 0).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(wrongSize.error == .failedToAct)
        #expect(flash.read(0x10000..<0x10400).allSatisfy { $0 == 0xFF })
    }

    @Test func flashBeginPastTheChipEndIsRefused() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let begin = engine.handle(packet: Request.flashBegin(eraseSize: 0x2000, packetCount: 8, packetSize: 0x400, offset: 0xFF000).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(begin.replies.first?.status.failed == true)
        #expect(begin.error == .failedToAct)
    }

    @Test func flashDataWithoutFlashBeginIsRefused() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let data = engine.handle(packet: Request.flashData(plainPacket(1), sequence: 0).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(data.error == .failedToAct)
    }

    @Test func failingSectorRefusesProgrammingWithFlashWriteError() {
        var faulty = configuration
        faulty.faults.failingSectors = [0x10]
        var engine = ROMLoaderEngine(configuration: faulty)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        _ = engine.handle(packet: Request.flashBegin(eraseSize: 0x1000, packetCount: 1, packetSize: 0x400, offset: 0x10000).encoded(), lineBaud: 115_200, flash: &flash)
        let data = engine.handle(packet: Request.flashData(plainPacket(1), sequence: 0).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(data.error == .flashWriteError)
        #expect(flash.read(0x10000..<0x10400).allSatisfy { $0 == 0xFF })
    }

    @Test func memUploadIsStoredAndExecuteLeavesTheLoader() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let program: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
        let outcomes = engine.receive(
            framed(.memBegin(size: 8, packetCount: 1, packetSize: 0x1800, address: 0x4010_E000))
                + framed(.memData(program, sequence: 0))
                + framed(.memEnd(execute: true, entry: 0x4010_E004))
                + framed(.sync()),  // after MEM_END(execute) this is not for the ROM
            lineBaud: 115_200, flash: &flash)
        #expect(outcomes.count == 3)
        #expect(outcomes.allSatisfy { $0.error == nil })
        #expect(outcomes.last?.followUp == .runRAM(entry: 0x4010_E004))
        #expect(engine.ram.segments.first?.address == 0x4010_E000)
        #expect(engine.ram.segments.first?.bytes == program)
        let word = engine.handle(packet: Request.readReg(0x4010_E004).encoded(), lineBaud: 115_200, flash: &flash)
        #expect(word.replies.first?.value == 0x8877_6655)
    }

    @Test func malformedRequestsGetInvalidMessageWithTheirOpcode() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        var badLength = Request.readReg(ESP8266.otpMAC0).encoded()
        badLength[2] = 9  // length field says 9, payload has 4
        let outcome = engine.handle(packet: badLength, lineBaud: 115_200, flash: &flash)
        #expect(outcome.replies.first?.opcode == .readReg)
        #expect(outcome.error == .invalidMessage)
        var badDirection = Request.readReg(ESP8266.otpMAC0).encoded()
        badDirection[0] = 0x01
        #expect(engine.handle(packet: badDirection, lineBaud: 115_200, flash: &flash).error == .invalidMessage)
    }

    @Test func damagedSLIPFramesAreIgnored() {
        var engine = ROMLoaderEngine(configuration: configuration)
        var flash = FlashMemory(size: 1 << 20)
        _ = engine.receive(framed(.sync()), lineBaud: 115_200, flash: &flash)
        let outcomes = engine.receive([0xC0, 0x00, 0x0A, 0xDB, 0x01, 0xC0], lineBaud: 115_200, flash: &flash)
        #expect(outcomes.first?.ignored == .damagedFrame)
        #expect(outcomes.first?.replies.isEmpty == true)
    }

    @Test func erasePlanGoesBySectorsToTheBlockBoundaryThenBlocks() {
        #expect(ErasePlan(erasing: 0x1000..<0x11000) == ErasePlan(sectorErases: 16, blockErases: 0))
        #expect(ErasePlan(erasing: 0x0..<0x20000) == ErasePlan(sectorErases: 0, blockErases: 2))
        #expect(ErasePlan(erasing: 0xE000..<0x23000) == ErasePlan(sectorErases: 5, blockErases: 1))
        #expect(ErasePlan(erasing: 0x0..<0x0) == ErasePlan())
    }
}
