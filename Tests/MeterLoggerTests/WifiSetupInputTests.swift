import Foundation
import MeterLogger
import Testing

@Suite("Wifi setup inputs")
struct WifiSetupInputTests {
    static let password = WifiPassword("correct horse")!

    static func field(_ body: () throws -> Void) -> WifiSetupInputError? {
        do { try body(); return nil } catch { return error as? WifiSetupInputError }
    }

    @Test("SSID: 1 to 32 bytes")
    func ssid() throws {
        #expect(try WifiSetupValidation.ssid(String(repeating: "x", count: 32)).utf8.count == 32)
        #expect(Self.field { _ = try WifiSetupValidation.ssid("") }?.field == "--ssid")
        #expect(Self.field { _ = try WifiSetupValidation.ssid(String(repeating: "æ", count: 17)) }?.description.contains("34 bytes") == true)
    }

    @Test("password: 8 to 63 printable ASCII; errors never echo it")
    func password() throws {
        for bad in ["short", String(repeating: "p", count: 64), "pässword123", "tab\there1"] {
            let error = try #require(Self.field { _ = try WifiSetupValidation.password(bad) })
            #expect(error.field == "--password-file")
            #expect(!error.description.contains(bad))
        }
        #expect(try WifiSetupValidation.password(String(repeating: "p", count: 63)).text.count == 63)
        #expect(String(describing: try WifiSetupInput(ssid: "Site", password: Self.password, mqttHost: "10.0.0.2")).contains("correct") == false)
    }

    @Test("MQTT host: a host name or an IPv4 address")
    func host() throws {
        for good in ["mqtt.example.org", "10.0.0.2", "localhost", "broker-1"] { #expect(try WifiSetupValidation.mqttHost(good) == good) }
        for bad in ["", "10.0.0.256", "1.2.3", "-bad.example", "has space", "http://x"] {
            #expect(Self.field { _ = try WifiSetupValidation.mqttHost(bad) }?.field == "--mqtt-host")
        }
    }

    @Test("impulse fields: serial ≤ 12, reading ≥ 0 with ≤ 3 decimals, impulses a positive integer")
    func impulse() throws {
        #expect(try WifiSetupValidation.impulseMeterSerial("ABCDEF-12_45") == "ABCDEF-12_45")
        #expect(Self.field { _ = try WifiSetupValidation.impulseMeterSerial("ABCDEFGHIJKLM") }?.field == "impulse.meter_serial")
        #expect(try WifiSetupValidation.meterReading("12345.678").thousandths == 12_345_678)
        #expect(try WifiSetupValidation.meterReading("0").thousandths == 0)
        for bad in ["-1", "1.2345", "1e3", "", "abc"] {
            #expect(Self.field { _ = try WifiSetupValidation.meterReading(bad) }?.field == "impulse.meter_reading")
        }
        #expect(try WifiSetupValidation.impulsesPerUnit("1000") == 1000)
        for bad in ["0", "-5", "1.5", "", "99999999999"] {
            #expect(Self.field { _ = try WifiSetupValidation.impulsesPerUnit(bad) }?.field == "impulse.impulses_per_unit")
        }
    }

    @Test("form fields and their percent-encoding")
    func form() throws {
        let impulse = ImpulseMeterSetup(meterSerial: "EM1", meterReading: MeterReading(kWh: "1.5")!, impulsesPerUnit: 800)
        let input = try WifiSetupInput(ssid: "Café Wifi", password: WifiPassword("a+b&c=d%e f")!, mqttHost: "10.0.0.2", impulse: impulse)
        #expect(input.formBody == "essid=Caf%C3%A9+Wifi&passwd=a%2Bb%26c%3Dd%25e+f&mqtthost=10.0.0.2"
            + "&impulse_meter_serial=EM1&impulse_meter_units=1500&impulses_per_unit=800")
    }
}
