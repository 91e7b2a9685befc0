import ESPImage
import Foundation
import MeterLogger
import Testing

@Suite("The example profiles in profiles/")
struct ExampleProfileTests {
    @Test("the district heating example loads: five Kamstrup boards of three kinds")
    func districtHeating() throws {
        let path = profilesFolder.appendingPathComponent("district-heating-block.yaml").path
        let profile = try InstallationProfile.load(path: path)
        #expect(profile.name == "Ryttergården, block 4")
        #expect(profile.file == path)
        #expect(profile.firmware == .sourceTree(profilesFolder.deletingLastPathComponent().appendingPathComponent("firmware/demo").standardizedFileURL))
        #expect(profile.flash == FlashSettings(mode: .dout, size: .size1MB, frequency: .mhz40, baud: 921_600))
        #expect(profile.network?.ssid == "Ryttergaarden-Varme")
        #expect(profile.network?.password == .environment("RYTTERGAARDEN_WIFI_PASSWORD"))
        #expect(profile.network?.mqtt == MQTTBroker(host: "mqtt.varme.example.net", port: 1883))
        #expect(profile.devices.map(\.serial.text) == ["6512301", "6512302", "5902114", "5811087", "6512399"])
        #expect(profile.devices.map { profile.variant(for: $0).id } == [
            "kmp-ap-thermo_nc",
            "kmp-ap-thermo_no",
            "mc66c-ap-thermo_nc",
            "mc66b-ap-thermo_nc-thermo_on_ac_2-no_cron",
            "kmp-ap-flow-thermo_nc-no_auto_close",
        ])
        #expect(profile.devices[0].key == .generate)
        #expect(profile.devices[1].key.givenKey?.hex == "0f3c9a51d27e48b6a1c4e2d97b305f68")
        #expect(profile.devices.map(profile.setupSSID(for:)) == ["KAM_6512301", "KAM_6512302", "KAM_5902114", "KAM_5811087", "KAM_6512399"])
        #expect(profile.variants.count == 5)
    }

    @Test("the impulse site example loads: two impulse boards with their meters, one heat meter that inherits no impulse setting")
    func impulseSite() throws {
        let profile = try InstallationProfile.load(path: profilesFolder.appendingPathComponent("impulse-site.yaml").path)
        #expect(profile.name == "Hjortshøj andelsgård, el")
        #expect(profile.firmware == .release(profilesFolder.deletingLastPathComponent().appendingPathComponent("release/2024-11").standardizedFileURL))
        #expect(profile.flash == FlashSettings())
        #expect(profile.network?.password == .file(profilesFolder.appendingPathComponent("secrets/andelsgaard-wifi.txt")))
        #expect(profile.network?.mqtt == MQTTBroker(host: "10.40.0.2", port: 1883))
        #expect(profile.devices.map { profile.variant(for: $0).id } == ["impulse-ap-led_on_ac", "impulse-ap-led_on_ac", "kmp-ap-thermo_no"])
        #expect(profile.devices[0].impulse == ImpulseMeterSetup(
            meterSerial: "21034567", meterReading: MeterReading(thousandths: 12_345_678), impulsesPerUnit: 1000))
        #expect(profile.devices[1].impulse?.meterReading == MeterReading(thousandths: 804_500))
        #expect(profile.devices[2].impulse == nil)
        #expect(profile.devices.map(profile.setupSSID(for:)) == ["EL_7100001", "EL_7100002", "KAM_6601123"])
        #expect(profile.variants.map(\.id) == ["impulse-ap-led_on_ac", "kmp-ap-thermo_no"])
    }

    @Test("a device is found by its serial, leading zeros or not")
    func deviceBySerial() throws {
        let profile = try InstallationProfile.load(path: profilesFolder.appendingPathComponent("impulse-site.yaml").path)
        #expect(profile.device(serial: "7100002")?.serial.text == "7100002")
        #expect(profile.device(serial: "07100002")?.serial.text == "7100002")
        #expect(profile.device(serial: "7100009") == nil)
        #expect(profile.device(serial: "x") == nil)
    }
}
