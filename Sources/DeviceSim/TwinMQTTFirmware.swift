import MeterLogger

/// Who the twin is on MQTT: the serial in its topics, the key its messages are sealed
/// with, and the meter it reads (which decides its samples and whether it has `save`).
/// The key prints redacted.
public struct TwinMQTTIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The serial as it appears in topics (`%07u` for numeric serials, as the firmware
    /// prints a meter's serial; other text as it is).
    public var serial: String
    /// The serial as compiled in (the MQTT user name).
    public var serialText: String
    public var key: DeviceKey
    public var meter: MeterKind

    /// An identity given explicitly, for images without a configuration block.
    public init(serial: String, key: DeviceKey, meter: MeterKind) {
        serialText = serial
        self.serial = MeterSerial(serial).map(MeterTopics.topicSerial) ?? serial
        self.key = key
        self.meter = meter
    }

    /// The identity the booted demo firmware carries in its configuration block.
    public init(firmware: FirmwareIdentity) {
        self.init(serial: firmware.serial, key: firmware.key, meter: firmware.meter)
    }

    /// The MQTT login the twin uses: user name = the serial as compiled in, password = the
    /// setup AP password (the first 16 hex characters of KEY). Keep the password out of logs.
    /// NOT the real board's: a MeterLogger logs in with the user and password of its saved
    /// configuration, by default the compiled esp8266 login (docs/meterlogger-firmware.md,
    /// "Login and start-up"). Modelling that is the twin issue's work; until then a client
    /// must not rely on this login.
    public func defaultLogin() -> (username: String, password: String) {
        (serialText, String(key.hex.prefix(Credentials.apPasswordLength)))
    }

    public var description: String { "serial \(serial), meter \(meter.rawValue), key \(DeviceKey.redacted)" }
}

/// The hardware facts a twin's firmware reports (chip_id, flash_id, flash_size).
public struct TwinHardwareFacts: Sendable, Equatable {
    public var chipID: UInt32
    /// The JEDEC id as `spi_flash_get_id()` returns it (manufacturer in the low byte).
    public var flashID: UInt32
    public var flashSizeBytes: Int

    public init(chipID: UInt32 = 0xA1B2C3, flashID: UInt32 = 0x1440EF, flashSizeBytes: Int = 1 << 20) {
        self.chipID = chipID
        self.flashID = flashID
        self.flashSizeBytes = flashSizeBytes
    }
}

/// The MeterLogger firmware's command handling and meter readings, without any network:
/// what the twin answers to each command (`MeterCommandName`'s table gives the topics) and
/// what its samples say. Plausible values, deterministic: a valve, a cron table, wifi
/// settings, an access point, an energy counter that grows while the valve is open.
public struct TwinMeterFirmware: Sendable, Equatable {
    /// The firmware's version reply: `<sdk version>-<git version>`.
    public static let defaultVersion = "3.0.6-dev(mlprov-twin)-1.0.0"
    /// Cron jobs the firmware's table holds; further set_cron commands are not stored.
    public static let cronCapacity = 16

    public let meter: MeterKind
    public var hardware: TwinHardwareFacts
    public var version: String
    /// The unix time of the last (re)start: uptime counts from here.
    public var bootTime: Int
    public var valveOpen = false
    /// Close the valve when the energy reaches this many kWh.
    public var openUntil: Double?
    public var cronJobs: [CronJob] = []
    public var ssid = "mlprov-site"
    public var wifiPassword = "twin-site-password"
    public var accessPointStarted: Bool
    public var heap = 20_000
    public var rssi = -61
    /// The energy register, kWh (e1).
    public var energy: Double
    /// The volume register, m³ (v1; Kamstrup meters).
    public var volume: Double = 0
    /// Operating hours (hr; Kamstrup meters).
    public var hours = 0
    /// Samples published so far.
    public var samples = 0
    /// Times `save` stored the impulse counter.
    public var saves = 0

    public init(meter: MeterKind, bootTime: Int, hardware: TwinHardwareFacts = TwinHardwareFacts(), version: String = Self.defaultVersion, accessPoint: Bool = true) {
        self.meter = meter
        self.bootTime = bootTime
        self.hardware = hardware
        self.version = version
        accessPointStarted = accessPoint
        energy = meter == .impulse ? 1234.567 : 0
    }

    /// One message the firmware publishes: the topic's name level and the cleartext.
    public struct Reply: Sendable, Equatable {
        public var name: String
        public var message: String
        public init(name: String, message: String) {
            self.name = name
            self.message = message
        }
    }

    /// Acts on a command whose HMAC and time were accepted; returns what the firmware
    /// publishes in reply (nothing for a command this meter does not have or an argument
    /// the firmware would not take).
    public mutating func handle(_ name: MeterCommandName, argument: String, now: Int) -> [Reply] {
        guard name.exists(on: meter), let command = try? MeterCommand(name, argument: argument, now: now) else { return [] }
        func reply(_ message: String) -> [Reply] { [Reply(name: name.replyName, message: message)] }
        switch command.name {
        case .ping: return reply("")
        case .open:
            valveOpen = true
            return reply("open")
        case .close:
            valveOpen = false
            openUntil = nil
            return reply("close")
        case .openUntil, .openUntilDelta:
            let amount = Double(command.argument) ?? 0
            let limit = name == .openUntil ? amount : energy + amount
            openUntil = limit
            valveOpen = energy < limit
            return reply(Self.decimal(limit, places: name == .openUntil ? Self.places(command.argument) : 3))
        case .status: return reply(valveOpen ? "open" : "close")
        case .setCron:
            if let job = try? CronJob(parsing: command.argument), cronJobs.count < Self.cronCapacity { cronJobs.append(job) }
            return reply(String(cronJobs.count))
        case .cron: return reply(String(cronJobs.count))
        case .clearCron:
            cronJobs = []
            return reply("0")
        case .version: return reply(version)
        case .uptime: return reply(String(max(0, now - bootTime)))
        case .vdd: return reply("3.31")
        case .rssi: return reply(String(rssi))
        case .ssid: return reply(ssid)
        case .scan:
            return [("Loppen Public", -51, 11), (ssid, rssi, 6)].map { network in
                Reply(name: name.replyName, message: "ssid=\(network.0)&rssi=\(network.1)&channel=\(network.2)")
            }
        case .setSSID:
            ssid = command.argument
            return reply(ssid)
        case .setPassword:
            wifiPassword = command.argument
            return reply("saved")
        case .setSSIDPassword:
            let form = (try? MeterForm(parsing: command.argument)) ?? MeterForm([])
            ssid = form["ssid"] ?? ssid
            wifiPassword = form["pwd"] ?? wifiPassword
            return reply("saved")
        case .wifiStatus: return reply("connected")
        case .startAP:
            accessPointStarted = true
            return reply("started")
        case .stopAP:
            accessPointStarted = false
            return reply("stopped")
        case .apStatus: return reply(accessPointStarted ? "started" : "stopped")
        case .reconnect: return reply("reconnecting")
        case .save:
            saves += 1
            return reply("saved")
        case .mem: return reply("heap=\(heap)&")
        case .resetReason: return reply("0")
        case .networkQuality: return reply(String(min(100, max(0, 2 * (rssi + 100)))))
        case .chipID: return reply(String(hardware.chipID, radix: 16))
        case .flashID: return reply(String(hardware.flashID, radix: 16))
        case .flashSize: return reply(String(hardware.flashSizeBytes))
        case .restart:
            bootTime = now
            return reply("restarting")
        }
    }

    /// The next sample's cleartext; advances the registers (energy grows while the valve is
    /// open; an impulse meter counts steadily) and closes the valve at `openUntil`.
    public mutating func nextSample() -> String {
        samples += 1
        let sample: String
        if meter == .impulse {
            energy += 0.042
            sample = "heap=\(heap)&effect1=0.42 kW&e1=\(Self.decimal(energy, places: 3)) kWh&"
        } else {
            let flow = valveOpen ? 120 : 0
            let effect = valveOpen ? 1.4 : 0.0
            if valveOpen {
                energy += 1
                volume += 0.12
            }
            hours += 1
            sample = "heap=\(heap)&t1=25.00 C&t2=15.00 C&tdif=10.00 K&flow1=\(flow) l/h&effect1=\(Self.decimal(effect, places: 1)) kW"
                + "&hr=\(hours) h&v1=\(Self.decimal(volume, places: 2)) m3&e1=\(Self.decimal(energy, places: 0)) kWh&"
        }
        if let openUntil, energy >= openUntil {
            valveOpen = false
            self.openUntil = nil
        }
        return sample
    }

    /// `value` with `places` decimals ("1234.567", "0.0", "12").
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return sign + String(whole) }
        let digits = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: max(0, places - digits.count)) + digits
    }

    /// Decimals written in `text` ("12.50" → 2).
    static func places(_ text: String) -> Int {
        guard let dot = text.firstIndex(of: ".") else { return 0 }
        return text.distance(from: dot, to: text.endIndex) - 1
    }
}
