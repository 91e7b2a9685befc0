import MeterLogger
import Testing

@Suite("Importing MeterLoggerWeb's sw_version")
struct SwVersionTests {
    @Test("real-looking version strings give the variant the server would build", arguments: [
        // <sdk version>-<git version>-<HW_MODEL>, as the board reports it on /version/v2/…
        ("2.1.0(7106d38)-1462-a35f2-MC-B-FLOW-THERMO_NO-THERMO_ON_AC_2", "mc66b-ap-flow-thermo_no-thermo_on_ac_2"),
        ("3.0.6-dev(6d1d4d1)-master-1462-a35f2-KMP-THERMO_NC-NO_AUTO_CLOSE", "kmp-ap-thermo_nc-no_auto_close"),
        ("1.5.4(baaeaebb)-1.0.2-IMPULSE", "impulse-ap"),
        ("2.2.1(cfd48f3)-v1.4.0-3-gdeadbee-dirty-MC-THERMO_NC-DEBUG_STACK_TRACE-NO_CRON", "mc66c-ap-thermo_nc-no_cron-debug_stack_trace"),
        ("2.1.0(7106d38)-build-7-NO_METER", "kmp-ap-thermo_nc-debug-debug_no_meter"),
        ("THERMO_NO-THERMO_ON_AC_2", "kmp-ap-thermo_no-thermo_on_ac_2"),
        ("FLOW-THERMO_NC", "kmp-ap-flow-thermo_nc"),
        // The server's rebuild page: <branch>-<count>-<hash>-CUSTOM-<modifiers joined by _>.
        ("master-1462-a35f2-CUSTOM-MC_66B_NO_CRON", "mc66b-ap-thermo_nc-no_cron"),
        ("master-1462-a35f2-CUSTOM-THERMO_NO_THERMO_ON_AC_2_LED_ON_AC", "kmp-ap-thermo_no-thermo_on_ac_2-led_on_ac"),
        // Flags before the version, spaces or commas between words, the other spellings.
        ("NO_AUTO_CLOSE-MC-B-1.2.3", "mc66b-ap-thermo_nc-no_auto_close"),
        ("MC THERMO_NO LED_ON_AC AC_TEST", "mc66c-ap-thermo_no-led_on_ac-ac_test"),
        ("MC_B, FLOW_METER, DEBUG", "mc66b-ap-flow-thermo_nc-debug"),
        ("EN61107-DEBUG_NO_METER", "mc66c-ap-thermo_nc-debug-debug_no_meter"),
        ("1.2.3-IMPULSE-DEBUG-NO_CRON", "impulse-ap-no_cron-debug"),
        ("", "kmp-ap-thermo_nc"),
        ("v1.2.3", "kmp-ap-thermo_nc"),
    ])
    func imports(swVersion: String, id: String) throws {
        #expect(try SwVersion.variant(from: swVersion).id == id)
    }

    @Test("an imported variant builds with the server's variables")
    func makeVariables() throws {
        let variant = try SwVersion.variant(from: "2.1.0(7106d38)-1462-a35f2-MC-B-THERMO_NC-NO_AUTO_CLOSE-NO_CRON")
        #expect(variant.makeVariables.arguments == ["AP=1", "MC_66B=1", "THERMO_NO=0", "AUTO_CLOSE=0", "NO_CRON=1"])
    }

    @Test("an unknown flag is named in the error", arguments: [
        ("2.1.0(7106d38)-1462-a35f2-MC-TURBO", "TURBO"),
        ("master-CUSTOM-MC_66B_FAST", "MC_66B_FAST"),
        ("B-THERMO_NC", "B"),
        ("1.2.3-RC1", "RC1"),
    ])
    func unknownFlag(swVersion: String, word: String) {
        #expect(throws: SwVersionError.unknownFlag(word, in: swVersion)) { try SwVersion.variant(from: swVersion) }
    }

    @Test("the unknown-flag message names the word and the known flags")
    func unknownFlagMessage() {
        let error = SwVersionError.unknownFlag("TURBO", in: "MC-TURBO")
        #expect(error.description == "sw_version \"MC-TURBO\": unknown flag \"TURBO\" (known flags: AC_TEST, CUSTOM, DEBUG, "
            + "DEBUG_NO_METER, DEBUG_STACK_TRACE, EN61107, FLOW, FLOW_METER, IMPULSE, KMP, LED_ON_AC, MC, MC_66B, MC_66C, MC_B, "
            + "NO_AUTO_CLOSE, NO_CRON, NO_METER, THERMO_NC, THERMO_NO, THERMO_ON_AC_2; "
            + "other words need a lower-case letter or a leading digit)")
    }

    @Test("contradicting flags are refused", arguments: [
        ("MC-IMPULSE", SwVersionError.conflict("MC", "IMPULSE", in: "MC-IMPULSE")),
        ("MC-B-MC", .conflict("MC_B", "MC", in: "MC-B-MC")),
        ("THERMO_NO-THERMO_NC", .conflict("THERMO_NO", "THERMO_NC", in: "THERMO_NO-THERMO_NC")),
        ("IMPULSE-FLOW", .conflict("IMPULSE", "FLOW", in: "IMPULSE-FLOW")),
        ("THERMO_NO-IMPULSE", .conflict("IMPULSE", "THERMO_NO", in: "THERMO_NO-IMPULSE")),
    ])
    func conflicts(swVersion: String, error: SwVersionError) {
        #expect(throws: error) { try SwVersion.variant(from: swVersion) }
    }

    @Test("repeating a flag is harmless")
    func repeats() throws {
        #expect(try SwVersion.variant(from: "MC-MC_66C-EN61107-THERMO_NO-THERMO_NO").id == "mc66c-ap-thermo_no")
    }

    @Test("the conflict message names both flags")
    func conflictMessage() {
        #expect(SwVersionError.conflict("MC", "IMPULSE", in: "MC-IMPULSE").description
            == "sw_version \"MC-IMPULSE\": MC and IMPULSE contradict each other")
    }
}
