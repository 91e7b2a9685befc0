import DeviceSim
import MeterLogger
import Testing

/// MeterLogger's MQTT domain (topics, the command table, samples) and the twin's firmware
/// behaviour behind it, without a network.
@Suite("MeterLogger MQTT domain and the twin's firmware side")
struct TwinMQTTFirmwareTests {
    static let now = 1_700_000_000

    // MARK: Topics

    @Test("command and reply topics have the seed's shape, with the serial printed %07u")
    func topics() throws {
        let serial = try #require(MeterSerial("9999999"))
        #expect(MeterTopics.topicSerial(serial) == "9999999")
        #expect(MeterTopics.topicSerial(try #require(MeterSerial("123"))) == "0000123")
        #expect(MeterTopics.commandTopic(serial: "9999999", time: Self.now, command: "ping") == "/config/v2/9999999/1700000000/ping")
        #expect(MeterTopics.deviceTopic(name: "ping", serial: "9999999", time: Self.now) == "/ping/v2/9999999/1700000000")
        #expect(MeterTopics.commandFilter(serial: "9999999") == "/config/v2/9999999/#")
        #expect(MeterTopics.deviceFilter(serial: "9999999") == "/+/v2/9999999/+")

        let command = try #require(CommandTopic("/config/v2/9999999/1700000000/open_until"))
        #expect(command == CommandTopic(serial: "9999999", time: Self.now, command: "open_until"))
        let reply = try #require(DeviceTopic("/sample/v2/9999999/1700000000"))
        #expect(reply.isSample && reply.serial == "9999999" && reply.time == Self.now)
        for bad in ["/config/v2/9999999/x/ping", "config/v2/9999999/1/ping", "/config/v1/9999999/1/ping", "/config/v2/9999999/1/"] {
            #expect(CommandTopic(bad) == nil, "\(bad)")
        }
        for bad in ["/config/v2/9999999/1700000000", "/ping/v2/9999999/-1", "/ping/v2/9999999", "/ping/v3/9999999/1"] {
            #expect(DeviceTopic(bad) == nil, "\(bad)")
        }
    }

    // MARK: Commands

    @Test("every command of the seed and the newer firmware is in the table, with its reply topic")
    func commandTable() {
        let names = Set(MeterCommandName.allCases.map(\.rawValue))
        let seed = ["ping", "open", "open_until", "open_until_delta", "close", "status", "set_cron", "cron", "clear_cron", "version",
                    "uptime", "vdd", "rssi", "ssid", "scan", "set_ssid", "set_pwd", "wifi_status", "start_ap", "stop_ap", "ap_status",
                    "reconnect", "save", "mem", "reset_reason"]
        let newer = ["set_ssid_pwd", "network_quality", "chip_id", "flash_id", "flash_size", "restart"]
        #expect(names == Set(seed + newer))
        let replies: [MeterCommandName: String] = [
            .ping: "ping", .open: "status", .close: "status", .status: "status", .openUntil: "open_until",
            .openUntilDelta: "open_until_delta", .setCron: "cron", .cron: "cron", .clearCron: "cron", .scan: "scan_result",
            .startAP: "ap_status", .stopAP: "ap_status", .apStatus: "ap_status", .save: "save", .mem: "mem", .version: "version",
        ]
        for (command, reply) in replies { #expect(command.replyName == reply, "\(command)") }
        #expect(MeterCommandName.save.exists(on: .impulse) && !MeterCommandName.save.exists(on: .kmp))
        #expect(MeterCommandName.open.exists(on: .impulse))
    }

    @Test("arguments are checked, and a bad one is named by command and field")
    func argumentValidation() throws {
        func error(_ name: String, _ argument: String?) -> MeterCommandError? {
            do {
                _ = try MeterCommand(named: name, argument: argument, now: Self.now)
                return nil
            } catch {
                return error
            }
        }
        #expect(try MeterCommand(.open, now: Self.now).argument == "1700000000")
        #expect(try MeterCommand(.close, argument: "1700000123", now: Self.now).argument == "1700000123")
        #expect(try MeterCommand(.openUntil, argument: "1500.5", now: Self.now).argument == "1500.5")
        #expect(try MeterCommand(.ping, now: Self.now).cleartext.isEmpty)
        let cron = "minute=30&hour=*&day_of_month=*&month=*&day_of_week=*&command=open"
        #expect(try MeterCommand(.setCron, argument: cron, now: Self.now).argument == cron)
        #expect(try MeterCommand(.setCron, argument: "command=close&day_of_week=1-5&month=*/2&day_of_month=1,15&hour=6&minute=0", now: Self.now).argument
            == "minute=0&hour=6&day_of_month=1,15&month=*/2&day_of_week=1-5&command=close")
        #expect(try MeterCommand(.setSSIDPassword, argument: "ssid=Loppen Public&pwd=12345678", now: Self.now).argument == "ssid=Loppen Public&pwd=12345678")

        #expect(error("frobnicate", nil) == .unknownCommand("frobnicate"))
        #expect(error("ping", "x") == .unexpectedArgument(command: "ping"))
        #expect(error("open_until", nil) == .missingArgument(command: "open_until", expected: MeterArgumentKind.kilowattHours.description))
        #expect(error("open_until", "-5")?.description.contains("open_until: field kWh") == true)
        #expect(error("open_until_delta", "5e3")?.description.contains("field kWh") == true)
        #expect(error("open", "yesterday")?.description.contains("open: field unix time") == true)
        #expect(error("set_cron", cron.replacingOccurrences(of: "hour=*", with: "hour=24")) == .invalidArgument(command: "set_cron", field: "hour", problem: "24 is outside 0–23"))
        #expect(error("set_cron", cron.replacingOccurrences(of: "command=open", with: "command=toggle"))?.description.contains("field command") == true)
        #expect(error("set_cron", "minute=30&hour=*&day_of_month=*&month=*&command=open")?.description.contains("field day_of_week: missing") == true)
        #expect(error("set_cron", cron + "&second=5")?.description.contains("field second") == true)
        #expect(error("set_cron", cron.replacingOccurrences(of: "day_of_month=*", with: "day_of_month=0"))?.description.contains("day_of_month") == true)
        #expect(error("set_cron", cron.replacingOccurrences(of: "month=*", with: "month=9-3"))?.description.contains("runs backwards") == true)
        #expect(error("set_ssid", String(repeating: "x", count: 33))?.description.contains("field ssid") == true)
        #expect(error("set_ssid", String(repeating: "x", count: 32)) == nil)
        #expect(error("set_pwd", "short")?.description.contains("set_pwd: field pwd") == true)
        #expect(error("set_pwd", String(repeating: "p", count: 64))?.description.contains("field pwd") == true)
        #expect(error("set_pwd", String(repeating: "p", count: 63)) == nil)
        #expect(error("set_ssid_pwd", "ssid=net")?.description.contains("field pwd") == true)
        #expect(error("set_ssid_pwd", "ssid=net&pwd=12345678&x=1")?.description.contains("field x") == true)
        // A rejected password is never repeated in the error.
        #expect(error("set_pwd", "sekrit")?.description.contains("sekrit") == false)
        #expect(try MeterCommand(.setPassword, argument: "correct horse", now: Self.now).description == "set_pwd <redacted>")
    }

    // MARK: Samples

    @Test("a KMP sample parses into fields with numbers and units")
    func kmpSample() throws {
        let sample = try MeterSample(parsing: "heap=20000&t1=25.00 C&t2=15.00 C&tdif=10.00 K&flow1=0 l/h&effect1=0.0 kW&hr=0 h&v1=0.00 m3&e1=0 kWh&")
        #expect(sample.fields.map(\.name) == ["heap", "t1", "t2", "tdif", "flow1", "effect1", "hr", "v1", "e1"])
        #expect(sample["heap"]?.number == 20000 && sample["heap"]?.unit == nil)
        #expect(sample["t1"]?.number == 25 && sample["t1"]?.unit == "C" && sample["t1"]?.numberText == "25.00")
        #expect(sample["flow1"]?.unit == "l/h")
        #expect(sample["v1"]?.unit == "m3")
        #expect(sample["e1"]?.unit == "kWh")
        #expect(sample.text == "heap=20000&t1=25.00 C&t2=15.00 C&tdif=10.00 K&flow1=0 l/h&effect1=0.0 kW&hr=0 h&v1=0.00 m3&e1=0 kWh&")
        #expect(throws: MeterFormError.noValue(field: "t1")) { try MeterSample(parsing: "heap=1&t1&") }
    }

    @Test("an impulse sample parses too")
    func impulseSample() throws {
        let sample = try MeterSample(parsing: "heap=20000&effect1=0.42 kW&e1=1234.567 kWh&")
        #expect(sample["e1"]?.number == 1234.567 && sample["e1"]?.unit == "kWh")
        #expect(sample["effect1"]?.number == 0.42)
    }

    // MARK: The twin's firmware

    @Test("the twin's firmware answers every command its meter has with the table's topic and shape")
    func firmwareAnswersEveryCommand() throws {
        for meter in MeterKind.allCases {
            var firmware = TwinMeterFirmware(meter: meter, bootTime: Self.now - 100)
            for name in MeterCommandName.allCases {
                let command = try MeterCommand(name, argument: Self.exampleArgument(name), now: Self.now)
                let replies = firmware.handle(name, argument: command.argument, now: Self.now)
                guard name.exists(on: meter) else {
                    #expect(replies.isEmpty, "\(meter) has no \(name)")
                    continue
                }
                #expect(!replies.isEmpty, "\(meter): \(name)")
                for reply in replies {
                    #expect(reply.name == name.replyName)
                    #expect(name.reply.problem(with: reply.message) == nil, "\(meter) \(name): \"\(reply.message)\"")
                }
            }
        }
    }

    @Test("the valve, open_until and the cron table behave like the firmware's")
    func valveAndCron() throws {
        var firmware = TwinMeterFirmware(meter: .kmp, bootTime: Self.now - 100)
        #expect(firmware.handle(.status, argument: "", now: Self.now) == [.init(name: "status", message: "close")])
        #expect(firmware.handle(.openUntilDelta, argument: "2", now: Self.now) == [.init(name: "open_until_delta", message: "2.000")])
        #expect(firmware.valveOpen)
        _ = firmware.nextSample()
        #expect(firmware.valveOpen)
        let second = try MeterSample(parsing: firmware.nextSample())
        #expect(second["e1"]?.number == 2)
        #expect(!firmware.valveOpen, "the valve closes when e1 reaches open_until")
        let job = "minute=0&hour=6&day_of_month=*&month=*&day_of_week=*&command=open"
        #expect(firmware.handle(.setCron, argument: job, now: Self.now) == [.init(name: "cron", message: "1")])
        #expect(firmware.handle(.setCron, argument: job, now: Self.now) == [.init(name: "cron", message: "2")])
        #expect(firmware.handle(.clearCron, argument: "", now: Self.now) == [.init(name: "cron", message: "0")])
        #expect(firmware.handle(.uptime, argument: "", now: Self.now) == [.init(name: "uptime", message: "100")])
        #expect(firmware.handle(.openUntil, argument: "not a number", now: Self.now).isEmpty)
        #expect(firmware.handle(.scan, argument: "", now: Self.now).count == 2)
    }

    @Test("the twin's MQTT login is the serial and the setup AP password; its identity prints no key")
    func identityAndLogin() throws {
        let key = try #require(DeviceKey(hex: "ef500c9268cf749016d26d6cbfaaf7bf"))
        let identity = TwinMQTTIdentity(serial: "123", key: key, meter: .kmp)
        #expect(identity.serial == "0000123")
        #expect(identity.defaultLogin() == ("123", "ef500c9268cf7490"))
        #expect(!identity.description.contains("ef500c"))
        #expect(TwinMQTTIdentity(serial: "EL-1", key: key, meter: .impulse).serial == "EL-1")
    }

    /// A valid argument for each command.
    static func exampleArgument(_ name: MeterCommandName) -> String? {
        switch name.argument {
        case .none, .unixTime: nil
        case .kilowattHours: "1500"
        case .cronJob: "minute=30&hour=*&day_of_month=*&month=*&day_of_week=*&command=open"
        case .ssid: "Loppen Public"
        case .password: "twin-test-password"
        case .ssidAndPassword: "ssid=Loppen Public&pwd=twin-test-password"
        }
    }
}
