import ESPImage
import Foundation
import MeterLogger
import Testing

@Suite("Defaults, overrides and the resolved variant")
struct VariantResolutionTests {
    @Test("with nothing set a board is a KMP meter with a normally closed valve, AP, auto close and cron")
    func builtInDefaults() {
        let variant = VariantSettings().resolved()
        #expect(variant == Variant())
        #expect(variant.id == "kmp-ap-thermo_nc")
        #expect(variant.meter == .kmp && variant.thermo == .normallyClosed && variant.accessPoint && variant.autoClose && variant.cron)
        #expect(!variant.flowMeter && !variant.thermoOnAC2 && !variant.ledOnAC && !variant.acTest && variant.debug.isEmpty)
    }

    @Test("a device's own settings win, unset ones come from the defaults")
    func overridesOverDefaults() {
        let defaults = VariantSettings(meter: .mc66c, thermo: .normallyOpen, ledOnAC: true, cron: false)
        let device = VariantSettings(thermo: .normallyClosed, cron: true)
        #expect(device.resolved(over: defaults) == Variant(meter: .mc66c, thermo: .normallyClosed, ledOnAC: true, cron: true))
    }

    @Test("debug flags merge flag by flag and extra variables name by name")
    func mergedMappings() {
        let defaults = VariantSettings(debug: [.enabled: true, .stackTrace: true], extraVariables: ["A": "1", "B": "2"])
        let device = VariantSettings(debug: [.stackTrace: false, .noMeter: true], extraVariables: ["B": "3", "C": "4"])
        let variant = device.resolved(over: defaults)
        #expect(variant.debug == [.enabled, .noMeter])
        #expect(variant.extraVariables == ["A": "1", "B": "3", "C": "4"])
    }

    @Test("an impulse device does not inherit the defaults' valve and flow settings")
    func impulseSkipsKamstrupDefaults() {
        let defaults = VariantSettings(meter: .kmp, thermo: .normallyOpen, thermoOnAC2: true, flowMeter: true, ledOnAC: true)
        let variant = VariantSettings(meter: .impulse).resolved(over: defaults)
        #expect(variant == Variant(meter: .impulse, ledOnAC: true))
        #expect(variant.thermo == nil && !variant.thermoOnAC2 && !variant.flowMeter)
        #expect(variant.id == "impulse-ap-led_on_ac")
    }

    @Test("a variant of an impulse meter has no valve or flow settings, whatever it is given")
    func impulseVariantClearsKamstrupFields() {
        let variant = Variant(meter: .impulse, thermo: .normallyOpen, thermoOnAC2: true, flowMeter: true)
        #expect(variant == Variant(meter: .impulse))
    }

    @Test("defaults and overrides from YAML resolve per device")
    func fromYAML() throws {
        let profile = try parseProfile("""
            installation:
              name: Block 7
            firmware:
              manifest: release/manifest.json
            flash:
              mode: qio
              size: 4MB
              freq: 80m
              baud: 460800
            defaults:
              meter: mc66b
              thermo: normally-open
              auto_close: false
              debug:
                enabled: true
              extra_make_variables:
                EXT_SPI_RAM_IS_NAND: 1
            devices:
              - serial: 1000001
                key: \(exampleKey)
              - serial: 1000002
                key: generate
                meter: kmp
                auto_close: true
                debug:
                  stack_trace: true
                extra_make_variables:
                  EXT_SPI_RAM_IS_NAND: 0
              - serial: 1000003
                key: generate
                meter: impulse
                impulse:
                  meter_serial: EL-42
                  meter_reading: 0
                  impulses_per_unit: 800
            """)
        #expect(profile.firmware == .manifest(URL(fileURLWithPath: "/srv/profiles/release/manifest.json")))
        #expect(profile.flash == FlashSettings(mode: .qio, size: .size4MB, frequency: .mhz80, baud: 460_800))
        #expect(profile.flash.parameters == FlashParameters(mode: .qio, size: .size4MB, frequency: .mhz80))
        #expect(profile.network == nil)
        #expect(profile.devices.map { profile.variant(for: $0).id } == [
            "mc66b-ap-thermo_no-no_auto_close-debug-EXT_SPI_RAM_IS_NAND=1",
            "kmp-ap-thermo_no-debug-debug_stack_trace-EXT_SPI_RAM_IS_NAND=0",
            "impulse-ap-no_auto_close-debug-EXT_SPI_RAM_IS_NAND=1",
        ])
        #expect(profile.devices[2].impulse == ImpulseMeterSetup(meterSerial: "EL-42", meterReading: MeterReading(thousandths: 0), impulsesPerUnit: 800))
        #expect(profile.devices[0].location == SourceLocation(line: 19, column: 5))
    }

    @Test("absolute firmware and password paths stay as written; relative ones resolve against the profile's folder")
    func paths() throws {
        let profile = try parseProfile("""
            installation: {name: x}
            firmware: {source: /opt/MeterLogger}
            network:
              ssid: Site
              password_file: ../secrets/site.txt
              mqtt: {host: broker.local}
            devices: [{serial: 1, key: generate}]
            """)
        #expect(profile.firmware == .sourceTree(URL(fileURLWithPath: "/opt/MeterLogger")))
        #expect(profile.network?.password == .file(URL(fileURLWithPath: "/srv/secrets/site.txt")))
    }

    @Test("boolean fields take YAML's true and false")
    func booleans() throws {
        let profile = try parseProfile(minimalHeader + """
              - serial: 1
                key: generate
                ap: false
                led_on_ac: true
                ac_test: true
                cron: false
                thermo_on_ac_2: true
                flow_meter: true
            """)
        #expect(profile.variant(for: profile.devices[0]).id == "kmp-flow-thermo_nc-thermo_on_ac_2-led_on_ac-ac_test-no_cron")
    }
}
