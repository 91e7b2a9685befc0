import Foundation
import MeterLogger
import Testing

@Suite("Profile errors: file:line:column: field: what is wrong (what is allowed)")
struct ProfileErrorTests {
    @Test("an unknown key is named with the keys allowed there")
    func unknownKey() {
        #expect(profileErrors(minimalHeader + """
              - serial: 1234567
                key: generate
                colour: red
            """) == [
            "site.yaml:8:5: devices[0]: unknown key \"colour\" (allowed keys: serial, key, meter, thermo, thermo_on_ac_2, ap, led_on_ac, "
                + "ac_test, auto_close, cron, flow_meter, debug, extra_make_variables, impulse)",
        ])
    }

    @Test("a misspelt key gets a suggestion")
    func misspeltKey() {
        #expect(profileErrors("""
            instalation:
              name: x
            firmware: {source: fw}
            devices: [{serial: 1, key: generate}]
            """) == [
            "site.yaml:1:1: profile: unknown key \"instalation\", did you mean \"installation\"? "
                + "(allowed keys: installation, firmware, flash, defaults, network, devices)",
            "site.yaml:1:1: profile: missing required key \"installation\" (installation: {name: …})",
        ])
    }

    @Test("a value of the wrong type is named with the type expected")
    func wrongType() {
        #expect(profileErrors(minimalHeader + """
              - serial: 1234567
                key: generate
                cron: sometimes
            """) == [
            "site.yaml:8:11: devices[0].cron: expected a boolean, found the text \"sometimes\" (true or false)",
        ])
        #expect(profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            flash:
              baud: fast
            devices:
              serial: 1
            """) == [
            "site.yaml:4:9: flash.baud: expected a whole number, found the text \"fast\" (a baud rate from 9600 to 4000000, e.g. 921600)",
            "site.yaml:6:3: devices: expected a list, found a mapping (a list of devices, each with serial and key)",
        ])
    }

    @Test("a key of the wrong length or with a non-hex character is refused without repeating it")
    func badKey() {
        #expect(profileErrors(minimalHeader + """
              - serial: 1234567
                key: ef500c9268cf749016d26d6cbfaaf7b
              - serial: 1234568
                key: ef500c9268cf749016d26d6cbfaaf7bfa
              - serial: 1234569
                key: ef500c9268cf749016d26d6cbfaaf7bg
              - serial: 1234570
                key: yes
            """) == [
            "site.yaml:7:10: devices[0].key: a key is 32 hex characters, this one has 31 (32 hex characters, or generate)",
            "site.yaml:9:10: devices[1].key: a key is 32 hex characters, this one has 33 (32 hex characters, or generate)",
            "site.yaml:11:10: devices[2].key: character 32 of the key is not a hex digit (32 hex characters, or generate)",
            "site.yaml:13:10: devices[3].key: expected text, found a boolean (32 hex characters, or generate)",
        ])
    }

    @Test("a duplicate serial names both places; serials differing only in leading zeros are the same meter")
    func duplicateSerial() {
        #expect(profileErrors(minimalHeader + """
              - serial: 1234567
                key: generate
              - serial: 7654321
                key: generate
              - serial: 1234567
                key: generate
              - serial: 01234567
                key: generate
            """) == [
            "site.yaml:10:13: devices[2].serial: serial 1234567 is already used by devices[0] at 6:13 (each device needs its own serial)",
            "site.yaml:12:13: devices[3].serial: serial 01234567 is already used by devices[0] (as 1234567) at 6:13 (each device needs its own serial)",
        ])
    }

    @Test("two devices with one key are refused")
    func duplicateKey() {
        #expect(profileErrors(minimalHeader + """
              - serial: 1
                key: \(exampleKey)
              - serial: 2
                key: \(exampleKey.uppercased())
            """) == [
            "site.yaml:9:10: devices[1].key: the same key as devices[0] at 7:10 (each device needs its own key; write generate to get a new one)",
        ])
    }

    @Test("serials must be decimal numbers of at most 10 digits")
    func badSerial() {
        #expect(profileErrors(minimalHeader + """
              - serial: 12a4
                key: generate
              - serial: 99999999999
                key: generate
              - {key: generate}
            """) == [
            "site.yaml:6:13: devices[0].serial: \"12a4\" is not a decimal number (the meter's serial: 1 to 10 digits, at most 4294967295)",
            "site.yaml:8:13: devices[1].serial: 99999999999 is too large (the meter's serial: 1 to 10 digits, at most 4294967295)",
            "site.yaml:10:5: devices[2]: missing required key \"serial\" (the meter's serial: 1 to 10 digits, at most 4294967295)",
        ])
    }

    @Test("an impulse section on a Kamstrup meter, and an impulse meter without one, are refused")
    func impulseSection() {
        #expect(profileErrors(minimalHeader + """
              - serial: 1
                key: generate
                meter: mc66c
                impulse: {meter_serial: "1", meter_reading: 0, impulses_per_unit: 1000}
              - serial: 2
                key: generate
                meter: impulse
            """) == [
            "site.yaml:9:5: devices[0].impulse: an impulse section on a mc66c meter (only with meter: impulse)",
            "site.yaml:10:5: devices[1]: missing required key \"impulse\" "
                + "(an impulse meter needs impulse: {meter_serial, meter_reading, impulses_per_unit})",
        ])
    }

    @Test("Kamstrup-only settings on an impulse meter are refused, also when the meter comes from the defaults")
    func kamstrupOnlyOnImpulse() {
        #expect(profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            defaults:
              meter: impulse
              thermo: normally-open
            devices:
              - serial: 1
                key: generate
                flow_meter: true
                thermo_on_ac_2: true
                impulse: {meter_serial: "1", meter_reading: 0, impulses_per_unit: 1000}
              - serial: 2
                key: generate
                meter: impulse
                flow_meter: false
                impulse: {meter_serial: "2", meter_reading: 0, impulses_per_unit: 1000}
            """) == [
            "site.yaml:5:3: defaults.thermo: an impulse meter has no thermo actuator, and the default meter is impulse "
                + "(only with Kamstrup meters: kmp, mc66c, mc66b)",
            "site.yaml:9:5: devices[0].flow_meter: an impulse meter cannot run as a flow meter (its meter is impulse, from defaults) "
                + "(only with Kamstrup meters: kmp, mc66c, mc66b)",
            "site.yaml:10:5: devices[0].thermo_on_ac_2: an impulse meter has no thermo actuator (its meter is impulse, from defaults) "
                + "(only with Kamstrup meters: kmp, mc66c, mc66b)",
        ])
        #expect(profileErrors(minimalHeader + """
              - serial: 1
                key: generate
                meter: impulse
                flow_meter: true
                impulse: {meter_serial: "1", meter_reading: 0, impulses_per_unit: 1000}
            """) == [
            "site.yaml:9:5: devices[0].flow_meter: an impulse meter cannot run as a flow meter (only with Kamstrup meters: kmp, mc66c, mc66b)",
        ])
    }

    @Test("the impulse section's fields are checked")
    func impulseFields() {
        #expect(profileErrors(minimalHeader + """
              - serial: 1
                key: generate
                meter: impulse
                impulse:
                  meter_serial: "1234567890123"
                  meter_reading: 12.3456
                  impulses_per_unit: 0
              - serial: 2
                key: generate
                meter: impulse
                impulse:
                  meter_serial: a/b
                  meter_reading: -1
                  impulses_per_unit: 1000.5
              - serial: 3
                key: generate
                meter: impulse
                impulse: {meter_serial: "3"}
            """) == [
            "site.yaml:10:21: devices[0].impulse.meter_serial: \"1234567890123\" is not an impulse meter serial (1 to 12 letters, digits, _ or -)",
            "site.yaml:11:22: devices[0].impulse.meter_reading: \"12.3456\" is not a meter reading (the meter's reading in kWh, at most 3 decimals, e.g. 12345.678)",
            "site.yaml:12:26: devices[0].impulse.impulses_per_unit: 0 is out of range (impulses per kWh, a whole number from 1, e.g. 1000)",
            "site.yaml:17:21: devices[1].impulse.meter_serial: \"a/b\" is not an impulse meter serial (1 to 12 letters, digits, _ or -)",
            "site.yaml:18:22: devices[1].impulse.meter_reading: \"-1\" is not a meter reading (the meter's reading in kWh, at most 3 decimals, e.g. 12345.678)",
            "site.yaml:19:26: devices[1].impulse.impulses_per_unit: expected a whole number, found the number 1000.5 (impulses per kWh, a whole number from 1, e.g. 1000)",
            "site.yaml:23:14: devices[2].impulse: missing required key \"meter_reading\" (the meter's reading in kWh, at most 3 decimals, e.g. 12345.678)",
            "site.yaml:23:14: devices[2].impulse: missing required key \"impulses_per_unit\" (impulses per kWh, a whole number from 1, e.g. 1000)",
        ])
    }

    @Test("missing required sections and fields are named where they belong")
    func missingFields() {
        #expect(profileErrors("""
            installation:
              city: Aarhus
            flash: {mode: dout}
            """) == [
            "site.yaml:1:1: profile: missing required key \"firmware\" (firmware: {exactly one of source: <source folder>, "
                + "release: <release folder>, manifest: <manifest.json>})",
            "site.yaml:1:1: profile: missing required key \"devices\" (a list of devices, each with serial and key)",
            "site.yaml:2:3: installation: unknown key \"city\" (allowed keys: name)",
            "site.yaml:2:3: installation: missing required key \"name\" (the installation's name, e.g. name: Ryttergården block 4)",
        ])
        #expect(profileErrors(minimalHeader + "  - {serial: 1}\n") == [
            "site.yaml:6:5: devices[0]: missing required key \"key\" (32 hex characters, or generate)",
        ])
        #expect(profileErrors("installation: {name: x}\nfirmware: {source: fw}\ndevices: []\n") == [
            "site.yaml:3:10: devices: the list is empty (at least one device with serial and key)",
        ])
    }

    @Test("exactly one firmware source")
    func firmwareSources() {
        let choices = "exactly one of source: <source folder>, release: <release folder>, manifest: <manifest.json>"
        #expect(profileErrors("""
            installation: {name: x}
            firmware:
              source: fw
              release: rel
              manifest: rel/manifest.json
            devices: [{serial: 1, key: generate}]
            """) == [
            "site.yaml:4:3: firmware.release: source is already given at 3:3 (\(choices))",
            "site.yaml:5:3: firmware.manifest: source is already given at 3:3 (\(choices))",
        ])
        #expect(profileErrors("installation: {name: x}\nfirmware: {}\ndevices: [{serial: 1, key: generate}]\n") == [
            "site.yaml:2:11: firmware: no firmware source given (\(choices))",
        ])
    }

    @Test("unknown choices list the allowed values")
    func badChoices() {
        #expect(profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            flash: {mode: qiox, size: 3MB, freq: 41m}
            defaults: {meter: mc601, thermo: open}
            devices: [{serial: 1, key: generate}]
            """) == [
            "site.yaml:3:15: flash.mode: unknown value \"qiox\" (one of qio, qout, dio, dout)",
            "site.yaml:3:27: flash.size: unknown value \"3MB\" (one of 256KB, 512KB, 1MB, 2MB, 2MB-c1, 4MB, 4MB-c1, 8MB, 16MB)",
            "site.yaml:3:38: flash.freq: unknown value \"41m\" (one of 40m, 26m, 20m, 80m)",
            "site.yaml:4:19: defaults.meter: unknown value \"mc601\" (one of kmp, mc66c, mc66b, impulse)",
            "site.yaml:4:34: defaults.thermo: unknown value \"open\" (one of normally-open, normally-closed)",
        ])
    }

    @Test("extra make variables must be make-like names the profile does not manage, with one-line values")
    func extraVariables() {
        #expect(profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            defaults:
              extra_make_variables:
                AP: 1
                KEY: abc
                DEBUG_STACK_TRACE: 1
                lower: 1
                9LIVES: 1
                SWITCH: true
                OK_NAME: "two\\nlines"
                FINE: 3
            devices: [{serial: 1, key: generate}]
            """) == [
            "site.yaml:5:5: defaults.extra_make_variables.AP: AP is managed by the profile (set it with ap)",
            "site.yaml:6:5: defaults.extra_make_variables.KEY: KEY is managed by the profile (set it with the device's key)",
            "site.yaml:7:5: defaults.extra_make_variables.DEBUG_STACK_TRACE: DEBUG_STACK_TRACE is managed by the profile (set it with debug.stack_trace)",
            "site.yaml:8:5: defaults.extra_make_variables.lower: \"lower\" is not a make variable name (capital letters, digits and _, not starting with a digit)",
            "site.yaml:9:5: defaults.extra_make_variables.9LIVES: \"9LIVES\" is not a make variable name (capital letters, digits and _, not starting with a digit)",
            "site.yaml:10:13: defaults.extra_make_variables.SWITCH: expected text, found the boolean true (text or a number; write 1 or 0 for a switch)",
            "site.yaml:11:14: defaults.extra_make_variables.OK_NAME: the value contains a line break or control character (a single line of text)",
        ])
    }

    @Test("an extra make variable's value cannot reach make's or the shell's expansion")
    func extraVariableValuesAreInert() {
        #expect(profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            defaults:
              extra_make_variables:
                RUNS: "$(shell touch /tmp/mlprov-owned)"
                TICKS: "`id`"
                SPACED: "a b"
                QUOTED: "it's"
                PLAIN: -DFOO=1,2:3/4+5.6_x
            devices: [{serial: 1, key: generate}]
            """) == [
            "site.yaml:5:11: defaults.extra_make_variables.RUNS: the value contains \"$\", which make or the shell would expand (letters, digits and _ . , : / + - =)",
            "site.yaml:6:12: defaults.extra_make_variables.TICKS: the value contains \"`\", which make or the shell would expand (letters, digits and _ . , : / + - =)",
            "site.yaml:7:13: defaults.extra_make_variables.SPACED: the value contains \" \", which make or the shell would expand (letters, digits and _ . , : / + - =)",
            "site.yaml:8:13: defaults.extra_make_variables.QUOTED: the value contains \"'\", which make or the shell would expand (letters, digits and _ . , : / + - =)",
        ])
    }

    @Test("the network section: SSID length, one password source, broker host and port")
    func network() {
        #expect(profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            network:
              ssid: This SSID is far too long for wifi
              password_env: 1PASSWORD
              password_file: pw.txt
              mqtt:
                host: "broker..local"
                port: 0
            devices: [{serial: 1, key: generate}]
            """) == [
            "site.yaml:4:9: network.ssid: the SSID has 34 bytes (the site network's name, 1 to 32 bytes)",
            "site.yaml:5:17: network.password_env: \"1PASSWORD\" is not an environment variable name "
                + "(an environment variable's name: letters, digits and _, not starting with a digit)",
            "site.yaml:6:3: network.password_file: password_env is already given at 5:3 (one of password_env: VARIABLE or password_file: path)",
            "site.yaml:8:11: network.mqtt.host: \"broker..local\" is not a host name (a host name or an IPv4 address)",
            "site.yaml:9:11: network.mqtt.port: 0 is out of range (a TCP port from 1 to 65535; default 1883)",
        ])
        #expect(profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            network:
              ssid: Site
            devices: [{serial: 1, key: generate}]
            """) == [
            "site.yaml:4:3: network: missing required key \"password_env\" (the wifi password's source: password_env: VARIABLE or password_file: path)",
            "site.yaml:4:3: network: missing required key \"mqtt\" (mqtt: {host: …, port: 1883})",
        ])
    }

    @Test("a password written into the profile is refused with the reason, and never repeated")
    func inlinePassword() {
        let errors = profileErrors("""
            installation: {name: x}
            firmware: {source: fw}
            network:
              ssid: Site
              password: correct-horse-battery
              mqtt: {host: 192.168.1.10}
            devices: [{serial: 1, key: generate}]
            """)
        #expect(errors == [
            "site.yaml:5:3: network.password: a password is never written into a profile, which gets shared and committed "
                + "(password_env: VARIABLE or password_file: path)",
        ])
        #expect(!errors.joined().contains("correct-horse"))
    }

    @Test("malformed YAML gives the parser's line and column")
    func malformedYAML() {
        #expect(profileErrors("installation:\n  name: [x\nfirmware: {source: fw}\n") == [
            "site.yaml:3:9: YAML: did not find expected ',' or ']' (while parsing a flow sequence at 2:9)",
        ])
        #expect(profileErrors("installation:\n  name: x\n name: y\n") == [
            "site.yaml:3:2: YAML: did not find expected key (while parsing a block mapping at 1:1)",
        ])
        #expect(profileErrors("installation: {name: x}\ninstallation: {name: y}\n") == [
            "site.yaml:1:1: YAML: the key \"installation\" appears more than once in one mapping (write each key once)",
        ])
    }

    @Test("merge keys and keys that are not text are refused")
    func oddKeys() {
        #expect(profileErrors(minimalHeader + """
              - &first {serial: 1, key: generate}
              - <<: *first
                serial: 2
                1: one
            """) == [
            "site.yaml:7:5: devices[1]: unknown key \"<<\" (allowed keys: serial, key, meter, thermo, thermo_on_ac_2, ap, led_on_ac, "
                + "ac_test, auto_close, cron, flow_meter, debug, extra_make_variables, impulse)",
            "site.yaml:7:5: devices[1]: missing required key \"key\" (32 hex characters, or generate)",
            "site.yaml:9:5: devices[1]: a key must be text, found the number 1 (allowed keys: serial, key, meter, thermo, thermo_on_ac_2, "
                + "ap, led_on_ac, ac_test, auto_close, cron, flow_meter, debug, extra_make_variables, impulse)",
        ])
    }

    @Test("an empty file, or one that is not a mapping, is refused")
    func notAProfile() {
        #expect(profileErrors("") == [
            "site.yaml:1:1: profile: the profile is empty (a mapping with installation, firmware and devices, see profiles/README.md)",
        ])
        #expect(profileErrors("- a\n- b\n") == [
            "site.yaml:1:1: profile: expected a mapping, found a list "
                + "(a mapping with installation, firmware, devices and optionally flash, defaults, network)",
        ])
    }

    @Test("every problem is reported at once, in file order")
    func manyErrors() {
        let errors = profileErrors("""
            installation:
              name: ""
            firmware: {source: fw}
            flash: {baud: 100}
            defaults: {cron: 1}
            devices:
              - serial: 1
                key: abc
                colour: blue
              - serial: 1
                key: generate
            """)
        #expect(errors == [
            "site.yaml:2:9: installation.name: the name is empty (the installation's name)",
            "site.yaml:4:15: flash.baud: 100 is out of range (a baud rate from 9600 to 4000000, e.g. 921600)",
            "site.yaml:5:18: defaults.cron: expected a boolean, found the number 1 (true or false)",
            "site.yaml:8:10: devices[0].key: a key is 32 hex characters, this one has 3 (32 hex characters, or generate)",
            "site.yaml:9:5: devices[0]: unknown key \"colour\" (allowed keys: serial, key, meter, thermo, thermo_on_ac_2, ap, led_on_ac, "
                + "ac_test, auto_close, cron, flow_meter, debug, extra_make_variables, impulse)",
            "site.yaml:10:13: devices[1].serial: serial 1 is already used by devices[0] at 7:13 (each device needs its own serial)",
        ])
    }

    @Test("the error value carries each issue's kind, place and field")
    func issueValues() throws {
        do {
            _ = try parseProfile(minimalHeader + "  - {serial: 1, key: generate, meter: gas}\n")
            Issue.record("the profile loaded")
        } catch {
            let issue = try #require(error.issues.first)
            #expect(error.issues.count == 1)
            #expect(issue.kind == .invalidValue)
            #expect(issue.file == "site.yaml")
            #expect(issue.location == SourceLocation(line: 6, column: 39))
            #expect(issue.path == "devices[0].meter")
            #expect(issue.message == "unknown value \"gas\"")
            #expect(issue.allowed == "one of kmp, mc66c, mc66b, impulse")
        }
    }

    @Test("a file that cannot be read is named, with the reason", arguments: [
        ("/nonexistent/site.yaml", "no such file"), (NSTemporaryDirectory(), "it is a folder"),
    ])
    func unreadableFile(path: String, reason: String) {
        do {
            _ = try InstallationProfile.load(path: path)
            Issue.record("\(path) loaded")
        } catch {
            #expect(error.issues.map(\.kind) == [.unreadable])
            #expect(error.description == "\(path):1:1: profile: cannot read the file: \(reason) (a YAML installation profile, see profiles/README.md)")
        }
    }
}
