import Basics
import DeviceSim
import ESPImage
import ESPProtocol
import Foundation
import MeterLogger
import SerialLink
import Testing

/// The demo firmware (`firmware/demo`): built with make and the cross compiler, checked for
/// its secrets' placement, determinism and image validity, then booted on the twin.
@Suite(.serialized)
struct DemoFirmwareBuildTests {
    /// One build configuration and what its configuration block must say.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var variables: [String: String]
        var meter: MeterKind
        var options: DemoFirmwareConfig.Options
        var serial: String
        var testDescription: String { name }

        func expectedConfig(key: String = DemoFirmware.testKey) -> DemoFirmwareConfig? {
            guard let key = DeviceKey(hex: key) else { return nil }
            return DemoFirmwareConfig(meter: meter, options: options, serial: serial, key: key)
        }
    }

    static let cases: [Case] = [
        Case(name: "kmp", variables: ["AP": "1", "SERIAL": "5512345"],
             meter: .kmp, options: [.accessPoint, .autoClose], serial: "5512345"),
        Case(name: "mc66c", variables: ["EN61107": "1", "AP": "1", "THERMO_NO": "1", "NO_CRON": "1", "SERIAL": "6612345"],
             meter: .mc66c, options: [.thermoNO, .accessPoint, .autoClose, .noCron], serial: "6612345"),
        Case(name: "mc66b", variables: ["MC_66B": "1", "AP": "1", "FLOW_METER": "1", "THERMO_ON_AC_2": "1", "LED_ON_AC": "1",
                                        "AUTO_CLOSE": "0", "THERMO_NO": "0", "SERIAL": "67000001"],
             meter: .mc66b, options: [.thermoOnAC2, .ledOnAC, .accessPoint, .flowMeter], serial: "67000001"),
        Case(name: "impulse", variables: ["IMPULSE": "1", "AC_TEST": "1", "DEBUG": "1", "DEBUG_NO_METER": "1",
                                          "DEBUG_SHORT_WEB_CONFIG_TIME": "1", "DEBUG_STACK_TRACE": "1", "IMPULSE_DEV_BOARD": "1"],
             meter: .impulse, options: [.acTest, .autoClose, .debug, .debugNoMeter, .debugShortWebConfigTime, .debugStackTrace, .impulseDevBoard],
             serial: "9999999"),
    ]

    /// The setup AP password for `key`: its first 16 hex characters.
    static func apPassword(_ key: String) -> [UInt8] { Array(key.prefix(16).utf8) }

    /// The DRAM segment of an image.
    static func dramSegment(_ image: ESP8266Image) throws -> ESP8266Image.Segment {
        try #require(image.segments.first { (0x3FFE_8000...0x3FFF_FFFF).contains($0.loadAddress) })
    }

    @Test(arguments: cases)
    func buildsPlacesTheSecretsOnceAndBootsOnTheTwin(_ testCase: Case) throws {
        var variables = testCase.variables
        variables["KEY"] = DemoFirmware.testKey
        let build = try DemoFirmware.build(variables, goals: ["clean", "all", "build/boottext-host"])
        defer { build.remove() }
        try #require(build.succeeded, "make failed:\n\(build.log)")

        // The three outputs.
        let app = try build.app, irom = try build.irom, espfs = try build.espfs
        #expect(!app.isEmpty && !irom.isEmpty && !espfs.isEmpty)

        // The key bytes and the AP password: once in 0x00000.bin, never elsewhere, never logged.
        let key = DemoFirmware.keyBytes(DemoFirmware.testKey)
        let password = Self.apPassword(DemoFirmware.testKey)
        #expect(app.occurrences(of: key) == 1)
        #expect(app.occurrences(of: password) == 1)
        for other in [irom, espfs] {
            #expect(other.occurrences(of: key) == 0)
            #expect(other.occurrences(of: password) == 0)
        }
        #expect(!build.log.lowercased().contains(DemoFirmware.testKey))
        #expect(!build.log.lowercased().contains(String(DemoFirmware.testKey.prefix(16))))

        // The image: valid for us and for esptool; the block in DRAM says what was asked.
        let image = try ESP8266Image(parsing: app)
        #expect(image.checksumIsValid)
        #expect(image.length == app.count)
        let (code, info) = try DemoFirmware.run(DemoFirmware.esptool, ["--chip", "esp8266", "image-info", build.file("firmware/0x00000.bin").path], in: build.directory)
        #expect(code == 0, "\(info)")
        #expect(info.contains("(valid)"), "\(info)")
        let dram = try Self.dramSegment(image)
        let found = try #require(try DemoFirmwareConfig.find(in: dram.data))
        let expected = try #require(testCase.expectedConfig())
        #expect(found.offset == 0)  // the block's section comes first in DRAM
        #expect(found.config.meter == expected.meter)
        #expect(found.config.options == expected.options)
        #expect(found.config.serial == expected.serial)
        #expect(found.config.key.bytes == key)
        #expect(found.config.iromRange.lowerBound == 0x4021_0000)
        #expect(Int(found.config.iromRange.upperBound - found.config.iromRange.lowerBound) <= irom.count)
        #expect(found.config.encoded() == Array(dram.data[0..<DemoFirmwareConfig.blockSize]))

        // The firmware's own boot text code, run on the host, prints what the Swift side says.
        let (hostCode, hostText) = try DemoFirmware.run(build.file("build/boottext-host").path, [], in: build.directory)
        #expect(hostCode == 0)
        #expect(hostText == found.config.bootText)

        // Boot on the twin: ROM log, then the firmware's text at 74880 baud.
        let twin = ESP8266Twin()
        try twin.withFlash { flash throws(FlashMemoryError) in
            try flash.program(app, at: 0)
            try flash.program(irom, at: 0x10000)
            try flash.program(espfs, at: 0x60000)
        }
        let host = twin.connectInProcess()
        defer { twin.stop() }
        let client = TestClient(host)
        try client.flush()
        try host.setBaudRate(ESP8266.bootLogBaud)
        try host.setControlLines(dtr: false, rts: true)
        Thread.sleep(forTimeInterval: 0.02)
        try host.setControlLines(dtr: false, rts: false)
        let text = try client.readText(until: "ready\r\n", timeout: .seconds(60))
        let boot = try #require(twin.lastBoot)
        #expect(boot.imageValid)
        #expect(text == boot.log + found.config.bootText)
        #expect(text.hasPrefix("\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n"))
        #expect(boot.log.hasSuffix("csum \(hex(image.storedChecksum, digits: 2))\r\n"))
        #expect(boot.appLog == found.config.bootText)
        #expect(!boot.missingFlashCode)
        #expect(!text.lowercased().contains(String(DemoFirmware.testKey.prefix(16))))

        let identity = try #require(twin.firmwareIdentity)
        #expect(identity.serial == testCase.serial)
        #expect(identity.meter == testCase.meter)
        #expect(identity.options == testCase.options)
        #expect(identity.flags == expected.flags)
        #expect(identity.blockAddress == 0x3FFE_8000)
        #expect(identity.ssid == (testCase.meter == .impulse ? "EL_" : "KAM_") + testCase.serial)
        #expect(identity.key.bytes == key)
        #expect(identity.revealAPPassword() == String(DemoFirmware.testKey.prefix(16)))
        #expect(!"\(identity)".contains(String(DemoFirmware.testKey.prefix(16))))
        #expect(boot.firmware == identity)
    }

    @Test func sameInputsGiveTheSameBytesAndAnotherKeyChangesOnlyTheKeyBytes() throws {
        let variables = ["MC_66B": "1", "AP": "1", "SERIAL": "1234567"]
        let first = try DemoFirmware.build(variables.merging(["KEY": DemoFirmware.testKey]) { $1 })
        defer { first.remove() }
        let second = try DemoFirmware.build(variables.merging(["KEY": DemoFirmware.testKey]) { $1 })
        defer { second.remove() }
        let otherKey = try DemoFirmware.build(variables.merging(["KEY": DemoFirmware.otherKey]) { $1 })
        defer { otherKey.remove() }
        for build in [first, second, otherKey] { try #require(build.succeeded, "make failed:\n\(build.log)") }

        // Deterministic: another folder, same bytes.
        #expect(try first.app == second.app)
        #expect(try first.irom == second.irom)
        #expect(try first.espfs == second.espfs)

        // Another key: only the 16 key bytes, the 16 password characters and the checksum.
        let a = try first.app, b = try otherKey.app
        #expect(a.count == b.count)
        #expect(try first.irom == otherKey.irom)
        #expect(try first.espfs == otherKey.espfs)
        let image = try ESP8266Image(parsing: a)
        let blockStart = try Self.dramSegment(image).fileOffset + 8
        let allowed = Set(blockStart + DemoFirmwareConfig.Offset.key..<blockStart + DemoFirmwareConfig.Offset.key + 16)
            .union(blockStart + DemoFirmwareConfig.Offset.apPassword..<blockStart + DemoFirmwareConfig.Offset.apPassword + 16)
            .union([image.length - 1])
        let differing = Set(a.indices.filter { a[$0] != b[$0] })
        #expect(differing.isSubset(of: allowed))
        #expect(differing.count > 16)
    }

    @Test(arguments: [
        ("missing", nil as String?),
        ("empty", ""),
        ("short", String(DemoFirmware.testKey.dropLast())),
        ("long", DemoFirmware.testKey + "a"),
        ("not hex", String(DemoFirmware.testKey.dropLast()) + "g"),
        ("two words", "ef500c9268cf7490 16d26d6cbfaaf7bf"),
    ])
    func aBadKeyFailsWithAClearMessageThatDoesNotShowIt(_ label: String, _ key: String?) throws {
        var variables = ["AP": "1"]
        if let key { variables["KEY"] = key }
        let build = try DemoFirmware.build(variables)
        defer { build.remove() }
        #expect(!build.succeeded, "\(label)")
        #expect(build.log.contains(key == nil || key == "" ? "KEY is not set" : "KEY is malformed"), "\(build.log)")
        if let key, !key.isEmpty {
            #expect(!build.log.contains(key))
            #expect(!build.log.lowercased().contains(String(DemoFirmware.testKey.prefix(8))))
        }
        #expect(!FileManager.default.fileExists(atPath: build.file("firmware/0x00000.bin").path))
        #expect(!FileManager.default.fileExists(atPath: build.file("build/mlcf_build.h").path))
    }

    @Test func aSerialThatDoesNotFitItsSlotFails() throws {
        let build = try DemoFirmware.build(["KEY": DemoFirmware.testKey, "SERIAL": "1234567890123456"])
        defer { build.remove() }
        #expect(!build.succeeded)
        #expect(build.log.contains("SERIAL must be 1 to 15 characters"))
    }

    @Test func variablesMayComeFromTheEnvironmentAndTheLogStaysQuietEvenVerbose() throws {
        let build = try DemoFirmware.build(
            ["V": "1"],
            environment: ["KEY": DemoFirmware.otherKey.uppercased(), "IMPULSE": "1", "SERIAL": "EL-42", "AUTO_CLOSE": "0"]
        )
        defer { build.remove() }
        try #require(build.succeeded, "make failed:\n\(build.log)")
        #expect(!build.log.lowercased().contains(DemoFirmware.otherKey))
        #expect(!build.log.lowercased().contains(String(DemoFirmware.otherKey.prefix(16))))
        #expect(build.log.contains("elf2image build/app.out -o firmware/"))
        let app = try build.app
        let config = try #require(try DemoFirmwareConfig.find(in: Self.dramSegment(ESP8266Image(parsing: app)).data)).config
        #expect(config.meter == .impulse)
        #expect(config.options == [])
        #expect(config.serial == "EL-42")
        #expect(config.key.hex == DemoFirmware.otherKey)
        // The password is the lowercase text whatever case KEY came in.
        #expect(app.occurrences(of: Self.apPassword(DemoFirmware.otherKey)) == 1)
        #expect(app.occurrences(of: Array(DemoFirmware.otherKey.prefix(16).uppercased().utf8)) == 0)
    }

    @Test func cleanRemovesTheOutputs() throws {
        let build = try DemoFirmware.build(["KEY": DemoFirmware.testKey])
        defer { build.remove() }
        try #require(build.succeeded, "make failed:\n\(build.log)")
        let (code, log) = try DemoFirmware.run("/usr/bin/make", ["clean"], in: build.directory)
        #expect(code == 0, "\(log)")
        for path in ["build", "firmware/0x00000.bin", "firmware/0x10000.bin", "webpages.espfs"] {
            #expect(!FileManager.default.fileExists(atPath: build.file(path).path), "\(path)")
        }
    }

    @Test func withoutTheFlashCodeTheFirmwarePrintsNothing() throws {
        let build = try DemoFirmware.build(["KEY": DemoFirmware.testKey, "AP": "1"])
        defer { build.remove() }
        try #require(build.succeeded, "make failed:\n\(build.log)")
        let app = try build.app
        let twin = ESP8266Twin()
        try twin.withFlash { flash throws(FlashMemoryError) in try flash.program(app, at: 0) }
        let host = twin.connectInProcess()
        defer { twin.stop() }
        let client = TestClient(host)
        try client.flush()
        try host.setBaudRate(ESP8266.bootLogBaud)
        try host.setControlLines(dtr: false, rts: true)
        Thread.sleep(forTimeInterval: 0.02)
        try host.setControlLines(dtr: false, rts: false)
        let text = try client.readText(until: "csum 0x", timeout: .seconds(60))
        let extra = try client.readBytes(for: .milliseconds(200))
        let boot = try #require(twin.lastBoot)
        #expect(boot.imageValid)
        #expect(boot.missingFlashCode)
        #expect(boot.appLog.isEmpty)
        #expect(text + String(decoding: extra, as: UTF8.self) == boot.log)
        #expect(boot.firmware?.serial == "9999999")  // the block was read…
        #expect(twin.firmwareIdentity == nil)         // …but no application runs
    }
}
