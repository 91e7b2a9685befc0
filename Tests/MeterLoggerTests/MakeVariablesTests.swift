import MeterLogger
import Testing

@Suite("Variants to make variables")
struct MakeVariablesTests {
    @Test("each meter kind selects its protocol with the Makefile's variable", arguments: [
        (MeterKind.kmp, ["AP=1", "THERMO_NO=0"]),
        (.mc66c, ["AP=1", "EN61107=1", "THERMO_NO=0"]),
        (.mc66b, ["AP=1", "MC_66B=1", "THERMO_NO=0"]),
        (.impulse, ["AP=1", "IMPULSE=1"]),
    ])
    func meterKinds(meter: MeterKind, arguments: [String]) {
        #expect(Variant(meter: meter).makeVariables.arguments == arguments)
    }

    @Test("each profile setting maps to exactly its make variables", arguments: [
        ("meter: kmp", ["AP=1", "THERMO_NO=0"]),
        ("meter: mc66c", ["AP=1", "EN61107=1", "THERMO_NO=0"]),
        ("meter: mc66b", ["AP=1", "MC_66B=1", "THERMO_NO=0"]),
        ("meter: impulse\n    impulse: {meter_serial: '1', meter_reading: 0, impulses_per_unit: 1000}", ["AP=1", "IMPULSE=1"]),
        ("flow_meter: true", ["AP=1", "FLOW_METER=1", "THERMO_NO=0"]),
        ("thermo: normally-open", ["AP=1", "THERMO_NO=1"]),
        ("thermo: normally-closed", ["AP=1", "THERMO_NO=0"]),
        ("thermo_on_ac_2: true", ["AP=1", "THERMO_NO=0", "THERMO_ON_AC_2=1"]),
        ("led_on_ac: true", ["AP=1", "THERMO_NO=0", "LED_ON_AC=1"]),
        ("ac_test: true", ["AP=1", "THERMO_NO=0", "AC_TEST=1"]),
        ("ap: false", ["THERMO_NO=0"]),
        ("auto_close: false", ["AP=1", "THERMO_NO=0", "AUTO_CLOSE=0"]),
        ("cron: false", ["AP=1", "THERMO_NO=0", "NO_CRON=1"]),
        ("debug: {enabled: true}", ["AP=1", "THERMO_NO=0", "DEBUG=1"]),
        ("debug: {no_meter: true}", ["AP=1", "THERMO_NO=0", "DEBUG_NO_METER=1"]),
        ("debug: {short_web_config_time: true}", ["AP=1", "THERMO_NO=0", "DEBUG_SHORT_WEB_CONFIG_TIME=1"]),
        ("debug: {stack_trace: true}", ["AP=1", "THERMO_NO=0", "DEBUG_STACK_TRACE=1"]),
        ("debug: {impulse_dev_board: true}", ["AP=1", "THERMO_NO=0", "IMPULSE_DEV_BOARD=1"]),
        ("extra_make_variables: {ZZ: top, EXT_SPI_RAM_IS_NAND: 1}", ["AP=1", "THERMO_NO=0", "EXT_SPI_RAM_IS_NAND=1", "ZZ=top"]),
        ("auto_close: true\n    cron: true\n    ap: true\n    debug: {enabled: false}", ["AP=1", "THERMO_NO=0"]),
    ])
    func profileSettings(setting: String, arguments: [String]) throws {
        let profile = try parseProfile(minimalHeader + "  - serial: 9999999\n    key: generate\n    \(setting)\n")
        #expect(profile.variant(for: profile.devices[0]).makeVariables.arguments == arguments)
    }

    @Test("everything at once comes in the documented order")
    func fullOrder() {
        let variant = Variant(
            meter: .mc66b, thermo: .normallyOpen, thermoOnAC2: true, flowMeter: true, ledOnAC: true, acTest: true,
            accessPoint: true, autoClose: false, cron: false, debug: Set(DebugFlag.allCases), extraVariables: ["B": "2", "A": "x y"]
        )
        #expect(variant.makeVariables.arguments == [
            "AP=1", "MC_66B=1", "FLOW_METER=1", "THERMO_NO=1", "THERMO_ON_AC_2=1", "LED_ON_AC=1", "AC_TEST=1", "AUTO_CLOSE=0",
            "NO_CRON=1", "DEBUG=1", "DEBUG_NO_METER=1", "DEBUG_SHORT_WEB_CONFIG_TIME=1", "DEBUG_STACK_TRACE=1", "IMPULSE_DEV_BOARD=1",
            "A=x y", "B=2",
        ])
        #expect(variant.id == "mc66b-ap-flow-thermo_no-thermo_on_ac_2-led_on_ac-ac_test-no_auto_close-no_cron-debug-debug_no_meter"
            + "-debug_short_web_config_time-debug_stack_trace-impulse_dev_board-A=x%20y-B=2")
        #expect(variant.makeVariables["THERMO_NO"] == "1")
        #expect(variant.makeVariables["KEY"] == nil)
        #expect(variant.description == variant.id)
    }

    @Test("a variant's id and variables never hold KEY or SERIAL; the secrets are a separate value")
    func secretsApart() throws {
        let key = try #require(DeviceKey(hex: exampleKey))
        let serial = try #require(MeterSerial("9999999"))
        let variant = Variant(meter: .impulse, debug: [.noMeter])
        #expect(!variant.id.contains("9999999") && !variant.id.contains(exampleKey))
        #expect(variant.makeVariables.allSatisfy { !MakeVariables.secretNames.contains($0.name) })
        let secrets = DeviceSecrets(serial: serial, key: key)
        #expect(secrets.description == "KEY=<redacted> SERIAL=9999999")
        #expect(secrets.revealedMakeVariables().arguments == ["KEY=\(exampleKey)", "SERIAL=9999999"])
    }

    @Test("ids are stable and readable", arguments: [
        (Variant(), "kmp-ap-thermo_nc"),
        (Variant(meter: .mc66c, thermo: .normallyOpen), "mc66c-ap-thermo_no"),
        (Variant(meter: .impulse, accessPoint: false), "impulse"),
        (Variant(meter: .kmp, extraVariables: ["PATH_X": "a/b:c"]), "kmp-ap-thermo_nc-PATH_X=a%2Fb%3Ac"),
    ])
    func ids(variant: Variant, id: String) {
        #expect(variant.id == id)
    }

    @Test("equal settings give equal, equally hashed variants; any difference gives another id")
    func identity() {
        #expect(Set([Variant(meter: .mc66c), VariantSettings(meter: .mc66c).resolved()]).count == 1)
        let variants = [Variant(), Variant(cron: false), Variant(debug: [.enabled]), Variant(extraVariables: ["A": "1"]), Variant(accessPoint: false)]
        #expect(Set(variants.map(\.id)).count == variants.count)
    }

    @Test("later entries of the same name replace earlier ones in place")
    func replacing() {
        let variables = MakeVariables([.init("A", "1"), .init("B", "2"), .init("A", "3")])
        #expect(variables.arguments == ["A=3", "B=2"])
        #expect(variables.description == "A=3 B=2")
    }

    @Test("the reserved names are the managed variables plus KEY and SERIAL")
    func reservedNames() {
        #expect(MakeVariables.reservedNames == [
            "AP", "EN61107", "MC_66B", "IMPULSE", "FLOW_METER", "THERMO_NO", "THERMO_ON_AC_2", "LED_ON_AC", "AC_TEST", "AUTO_CLOSE",
            "NO_CRON", "DEBUG", "DEBUG_NO_METER", "DEBUG_SHORT_WEB_CONFIG_TIME", "DEBUG_STACK_TRACE", "IMPULSE_DEV_BOARD", "KEY", "SERIAL",
        ])
    }
}

@Suite("Names derived from the serial and meter")
struct SetupNameTests {
    @Test("the setup access point is KAM_<serial> for Kamstrup meters and EL_<serial> for impulse meters", arguments: [
        (MeterKind.kmp, "KAM_9999999"), (.mc66c, "KAM_9999999"), (.mc66b, "KAM_9999999"), (.impulse, "EL_9999999"),
    ])
    func ssid(meter: MeterKind, ssid: String) throws {
        let serial = try #require(MeterSerial("9999999"))
        #expect(SetupNames.accessPointSSID(serial: serial, meter: meter) == ssid)
    }

    @Test("a serial is 1 to 10 digits up to 4294967295, kept as written")
    func serials() {
        #expect(MeterSerial("9999999")?.text == "9999999")
        #expect(MeterSerial("0612345")?.text == "0612345")
        #expect(MeterSerial("0612345")?.value == 612_345)
        #expect(MeterSerial("4294967295")?.value == 4_294_967_295)
        for bad in ["", "4294967296", "12345678901", "12a4", "-1", " 1", "1_000", "１２"] {
            #expect(MeterSerial(bad) == nil, "\(bad)")
        }
    }
}
