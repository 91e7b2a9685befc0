import DeviceSim
import ESPImage
import MeterLogger
import Testing

/// The demo firmware's configuration block and boot text, on the Swift side alone.
struct DemoFirmwareConfigTests {
    static let keyHex = "ef500c9268cf749016d26d6cbfaaf7bf"

    func config(
        meter: MeterKind = .kmp, options: DemoFirmwareConfig.Options = [.accessPoint, .autoClose], serial: String = "9999999"
    ) throws -> DemoFirmwareConfig {
        DemoFirmwareConfig(meter: meter, options: options, serial: serial, key: try #require(DeviceKey(hex: Self.keyHex)),
                           iromRange: 0x4021_0000..<0x4021_02DC)
    }

    @Test func bootTextMatchesTheFirmwaresFormat() throws {
        #expect(try config().bootText == "\r\nMeterLogger demo firmware\r\nmeter: kmp\r\nserial: 9999999\r\n"
            + "flags: 0x00003000\r\noptions: AP AUTO_CLOSE\r\nssid: KAM_9999999\r\nready\r\n")
        #expect(try config(meter: .impulse, options: [], serial: "EL-1").bootText
            == "\r\nMeterLogger demo firmware\r\nmeter: impulse\r\nserial: EL-1\r\nflags: 0x00000003\r\noptions: none\r\nssid: EL_EL-1\r\nready\r\n")
        let all = try config(meter: .mc66b, options: .all, serial: "123456789012345")
        #expect(all.flags == 0x001F_FF02)
        #expect(all.bootText.contains("\r\noptions: THERMO_NO THERMO_ON_AC_2 LED_ON_AC AC_TEST AP AUTO_CLOSE NO_CRON FLOW_METER "
            + "DEBUG DEBUG_NO_METER DEBUG_SHORT_WEB_CONFIG_TIME DEBUG_STACK_TRACE IMPULSE_DEV_BOARD\r\n"))
        #expect(all.bootText.contains("\r\nmeter: mc66b\r\n"))
        #expect(try config(meter: .mc66c).bootText.contains("\r\nmeter: mc66c\r\n"))
    }

    @Test func encodesTheLayoutAndParsesItBack() throws {
        let original = try config(meter: .mc66c, options: [.thermoNO, .noCron], serial: "6612345")
        let bytes = original.encoded()
        #expect(bytes.count == 72)
        #expect(Array(bytes[0..<4]) == Array("MLCF".utf8))
        #expect(bytes.readLE16(at: 4) == 1)
        #expect(bytes.readLE16(at: 6) == 72)
        #expect(bytes.readLE32(at: 8) == 0x0000_4101)
        #expect(Array(bytes[12..<28]) == Array("6612345".utf8) + [UInt8](repeating: 0, count: 9))
        #expect(Array(bytes[28..<44]) == [0xEF, 0x50, 0x0C, 0x92, 0x68, 0xCF, 0x74, 0x90, 0x16, 0xD2, 0x6D, 0x6C, 0xBF, 0xAA, 0xF7, 0xBF])
        #expect(Array(bytes[44..<61]) == Array("ef500c9268cf7490".utf8) + [0])
        #expect(Array(bytes[61..<64]) == [0, 0, 0])
        #expect(bytes.readLE32(at: 64) == 0x4021_0000)
        #expect(bytes.readLE32(at: 68) == 0x4021_02DC)
        #expect(try DemoFirmwareConfig(parsing: bytes) == original)
    }

    @Test func findSkipsStrayMagicAndReportsBrokenBlocks() throws {
        let block = try config().encoded()
        // "MLCF" as text before the block (unaligned and aligned) does not confuse the search.
        let buffer = Array("xMLCF...MLCF and more text".utf8) + [0, 0] + block + [1, 2, 3]
        let found = try #require(try DemoFirmwareConfig.find(in: buffer))
        #expect(found.offset == 28)
        #expect(found.config == (try config()))
        #expect(try DemoFirmwareConfig.find(in: [UInt8](repeating: 0x55, count: 200)) == nil)

        var wrongVersion = block
        wrongVersion[4] = 2
        #expect(throws: DemoFirmwareConfigError.unsupportedVersion(2, offset: 0)) { try DemoFirmwareConfig.find(in: wrongVersion) }
        var wrongPassword = block
        wrongPassword[50] ^= 1
        #expect(throws: DemoFirmwareConfigError.apPasswordMismatch(offset: 44)) { try DemoFirmwareConfig(parsing: wrongPassword) }
        var unknownMeter = block
        unknownMeter[8] = 7
        #expect(throws: DemoFirmwareConfigError.unknownMeterType(7, offset: 8)) { try DemoFirmwareConfig(parsing: unknownMeter) }
        var unterminated = block
        for index in 12..<28 { unterminated[index] = UInt8(ascii: "9") }
        #expect(throws: DemoFirmwareConfigError.badSerial(offset: 12)) { try DemoFirmwareConfig(parsing: unterminated) }
        #expect(throws: DemoFirmwareConfigError.truncated(offset: 0, available: 40)) { try DemoFirmwareConfig(parsing: Array(block[0..<40])) }
    }

    @Test func theKeyNeverShowsInTextDumpsOrErrors() throws {
        let config = try config()
        let password = String(Self.keyHex.prefix(16))
        var dumped = ""
        dump(config, to: &dumped)
        let identity = FirmwareIdentity(config: config, blockAddress: 0x3FFE_8000)
        var dumpedIdentity = ""
        dump(identity, to: &dumpedIdentity)
        for text in [config.description, String(reflecting: config), dumped,
                     identity.description, dumpedIdentity, config.bootText, DemoFirmwareConfigError.apPasswordMismatch(offset: 44).description] {
            #expect(!text.lowercased().contains(password), "\(text)")
            #expect(!text.lowercased().contains(String(Self.keyHex.suffix(16))), "\(text)")
        }
        #expect(config.revealAPPassword() == password)
        #expect(identity.key == config.key)
        #expect(identity.key.hex == Self.keyHex)
    }

    @Test func theAPPasswordIsTheKeysFirstSixteenHexCharactersInLowercase() throws {
        let key = try #require(DeviceKey(bytes: [UInt8](repeating: 0xAB, count: 15) + [0x0A]))
        let config = DemoFirmwareConfig(meter: .kmp, options: [], serial: "1", key: key)
        #expect(config.revealAPPassword() == "abababababababab")
        #expect(Array(config.encoded()[44..<61]) == Array("abababababababab".utf8) + [0])
    }

    @Test func imagesWithoutTheBlockBootAsBefore() throws {
        let flash = try FlashMemory(size: 1 << 20, image: TestImage.build(segments: TestImage.segments))
        let record = BootROM.bootFromFlash(flash, trigger: .resetPin)
        #expect(record.outcome == .runningApp)
        #expect(record.firmware == nil)
        #expect(record.appLog.isEmpty)
        #expect(!record.missingFlashCode)
        #expect(record.uartText == record.log)
    }

    @Test func aBlockInTheBootedImageGivesTheIdentityAndTheText() throws {
        let config = try config(meter: .impulse, options: [.debug], serial: "777")
        var dram = [UInt8](repeating: 0, count: 16) + config.encoded() + [UInt8](repeating: 0, count: 8)
        dram[0] = 1
        var flash = try FlashMemory(size: 1 << 20, image: TestImage.build(segments: [(0x4010_0000, [UInt8](repeating: 0x20, count: 40)), (0x3FFE_8000, dram)]))
        // The block names .irom0.text at flash 0x10000..<0x102DC: nothing there yet.
        var record = BootROM.bootFromFlash(flash, trigger: .resetPin)
        #expect(record.missingFlashCode)
        #expect(record.firmware?.blockAddress == 0x3FFE_8010)
        #expect(record.appLog.isEmpty)
        try flash.program([0x12, 0x34], at: 0x10100)
        record = BootROM.bootFromFlash(flash, trigger: .resetPin)
        #expect(!record.missingFlashCode)
        #expect(record.firmware?.meter == .impulse)
        #expect(record.appLog == config.bootText)
        #expect(record.uartText == record.log + config.bootText)
    }
}
