import DeviceSim
import ESPImage
import Foundation
import MeterLogger
import Testing
import TestSupport

/// The twin joining a real mosquitto broker with the identity its booted firmware carries.
@Suite("The twin online on mosquitto")
struct TwinMQTTOnlineTests {
    static let keyHex = "ef500c9268cf749016d26d6cbfaaf7bf"

    /// A twin that booted a minimal image whose DRAM segment holds a demo firmware
    /// configuration block (no flash code, so nothing is missing): it runs "the firmware".
    static func bootedTwin(serial: String = "9999999", meter: MeterKind = .kmp) async throws -> ESP8266Twin {
        let key = try #require(DeviceKey(hex: keyHex))
        let config = DemoFirmwareConfig(meter: meter, options: [.accessPoint, .autoClose], serial: serial, key: key)
        let image = ELF2Image.imageBytes(
            entry: 0x4010_0000, flash: FlashParameters(mode: .dout, size: .size1MB, frequency: .mhz40),
            segments: [
                .init(address: 0x4010_0000, data: [UInt8](repeating: 0x55, count: 16), pieces: ["iram"]),
                .init(address: 0x3FFE_8000, data: config.encoded(), pieces: ["dram"]),
            ])
        let twin = ESP8266Twin(configuration: TwinConfiguration(initialBootMode: .flash))
        try twin.withFlash { flash throws(FlashMemoryError) in try flash.program(image, at: 0) }
        _ = twin.connectInProcess()
        let deadline = ContinuousClock.now + .seconds(60)
        while twin.firmwareIdentity == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        return twin
    }

    @Test("once booted, the twin goes online as its firmware's serial and publishes samples")
    func goesOnlineWithTheFirmwaresIdentity() async throws {
        let twin = try await Self.bootedTwin()
        defer { twin.stop() }
        let identity = try #require(twin.firmwareIdentity)
        #expect(identity.serial == "9999999")
        try await withMosquitto(users: ["9999999": "ef500c9268cf7490"]) { broker in
            let online = try await twin.goOnline(broker: broker.host, port: broker.port, settings: TwinMQTTSettings(sampleInterval: .milliseconds(50)))
            #expect(online.identity.serial == "9999999")
            #expect(online.identity.meter == .kmp)
            #expect(online.isOnline)
            let deadline = ContinuousClock.now + .seconds(60)
            while online.counters.samplesPublished < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(online.counters.samplesPublished >= 3)
            #expect(online.firmware.hardware.chipID == twin.configuration.chipID)
            await online.stop()
            #expect(!online.isOnline)
        }
    }

    @Test("a twin running no firmware with a configuration block cannot go online without an identity")
    func noIdentityNoNetwork() async throws {
        let twin = ESP8266Twin()
        await #expect(throws: TwinMQTTError.noFirmwareIdentity) {
            _ = try await twin.goOnline(broker: "127.0.0.1", port: 1)
        }
    }

    @Test("a broker that does not know the board's login refuses the twin")
    func refusedTwin() async throws {
        let twin = try await Self.bootedTwin()
        defer { twin.stop() }
        try await withMosquitto(users: ["someone-else": "password-123"]) { broker in
            await #expect(throws: TwinMQTTError.broker(.loginRefused(host: broker.host, port: broker.port))) {
                _ = try await twin.goOnline(broker: broker.host, port: broker.port)
            }
        }
    }
}
