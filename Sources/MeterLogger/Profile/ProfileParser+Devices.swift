import Yams

/// The `devices` list: serials, keys, per-device settings, impulse sections.
extension ProfileParser {
    func readDevices(_ top: Fields, defaults: SettingsRead?) -> [Device]? {
        guard let node = top["devices"] else {
            reader.missing("devices", in: top, allowed: "a list of devices, each with serial and key")
            return nil
        }
        guard case .sequence(let items) = node else {
            reader.wrongType(node, "devices", expected: "a list", allowed: "a list of devices, each with serial and key")
            return nil
        }
        if items.isEmpty {
            reader.report(.invalidValue, at: node, "devices", "the list is empty", allowed: "at least one device with serial and key")
        }
        var devices: [Device] = []
        var serials: [UInt32: (path: String, node: Node, serial: MeterSerial)] = [:]
        var keys: [DeviceKey: (path: String, node: Node)] = [:]
        for (index, item) in items.enumerated() {
            let path = "devices[\(index)]"
            guard let fields = reader.mapping(item, path, allowed: ProfileSchema.deviceKeys, what: "a device: serial, key and its own settings") else {
                continue
            }
            let serial = deviceSerial(fields)
            if let serial, let node = fields["serial"] {
                if let first = serials[serial.value] {
                    let written = first.serial.text == serial.text ? "" : " (as \(first.serial.text))"
                    reader.report(.conflict, at: node, "\(path).serial",
                                  "serial \(serial.text) is already used by \(first.path)\(written) at \(reader.location(of: first.node))",
                                  allowed: "each device needs its own serial")
                } else {
                    serials[serial.value] = (path, node, serial)
                }
            }
            let key = deviceKey(fields)
            if let given = key?.givenKey, let node = fields["key"] {
                if let first = keys[given] {
                    reader.report(.conflict, at: node, "\(path).key",
                                  "the same key as \(first.path) at \(reader.location(of: first.node))",
                                  allowed: "each device needs its own key; write generate to get a new one")
                } else {
                    keys[given] = (path, node)
                }
            }
            let own = readVariantSettings(fields)
            let meterKnown = !own.meterInvalid && (own.settings.meter != nil || defaults?.meterInvalid != true)
            let meter = own.settings.meter ?? defaults?.settings.meter ?? .kmp
            if meterKnown, meter == .impulse {
                refuseKamstrupOnly(own, in: path, because: own.settings.meter == nil ? " (its meter is impulse, from defaults)" : "")
            }
            var impulse: ImpulseMeterSetup?
            if let node = fields["impulse"], let keyNode = fields.keyNode("impulse") {
                if meterKnown, meter != .impulse {
                    reader.report(.conflict, at: keyNode, "\(path).impulse", "an impulse section on a \(meter.rawValue) meter",
                                  allowed: "only with meter: impulse")
                } else {
                    impulse = impulseSetup(node, "\(path).impulse")
                }
            } else if meterKnown, meter == .impulse {
                reader.missing("impulse", in: fields, allowed: "an impulse meter needs impulse: {meter_serial, meter_reading, impulses_per_unit}")
            }
            if let serial, let key {
                devices.append(Device(serial: serial, key: key, overrides: own.settings, impulse: impulse, location: reader.location(of: item)))
            }
        }
        return devices
    }

    func deviceSerial(_ fields: Fields) -> MeterSerial? {
        let allowed = "the meter's serial: 1 to 10 digits, at most 4294967295"
        guard let node = fields["serial"] else {
            reader.missing("serial", in: fields, allowed: allowed)
            return nil
        }
        let path = reader.join(fields.path, "serial")
        guard let text = reader.text(node, path, allowed: allowed) else { return nil }
        if let problem = MeterSerial.problem(with: text) {
            reader.report(.invalidValue, at: node, path, problem, allowed: allowed)
            return nil
        }
        return MeterSerial(text)
    }

    /// Key errors never repeat the key's text.
    func deviceKey(_ fields: Fields) -> KeySource? {
        let allowed = "32 hex characters, or \(ProfileSchema.generateKey)"
        guard let node = fields["key"] else {
            reader.missing("key", in: fields, allowed: allowed)
            return nil
        }
        let path = reader.join(fields.path, "key")
        guard let text = reader.text(node, path, allowed: allowed, reveal: false) else { return nil }
        if text == ProfileSchema.generateKey { return .generate }
        if let problem = DeviceKey.problem(with: text) {
            reader.report(.invalidValue, at: node, path, problem, allowed: allowed)
            return nil
        }
        return DeviceKey(hex: text).map(KeySource.given)
    }

    func impulseSetup(_ node: Node, _ path: String) -> ImpulseMeterSetup? {
        let what = "impulse: {meter_serial, meter_reading, impulses_per_unit}"
        guard let fields = reader.mapping(node, path, allowed: ProfileSchema.impulseKeys, what: what) else { return nil }
        let serialAllowed = "1 to \(ProfileSchema.impulseMeterSerialMaxLength) letters, digits, _ or -"
        let readingAllowed = "the meter's reading in kWh, at most 3 decimals, e.g. 12345.678"
        let unitsAllowed = "impulses per kWh, a whole number from 1, e.g. 1000"
        var meterSerial: String?
        if let node = fields["meter_serial"] {
            let itemPath = reader.join(path, "meter_serial")
            if let text = reader.text(node, itemPath, allowed: serialAllowed) {
                if Self.isImpulseMeterSerial(text) {
                    meterSerial = text
                } else {
                    reader.report(.invalidValue, at: node, itemPath, "\"\(text)\" is not an impulse meter serial", allowed: serialAllowed)
                }
            }
        } else {
            reader.missing("meter_serial", in: fields, allowed: "the electricity meter's serial: \(serialAllowed)")
        }
        var reading: MeterReading?
        if let node = fields["meter_reading"] {
            let itemPath = reader.join(path, "meter_reading")
            if let text = reader.text(node, itemPath, allowed: readingAllowed) {
                reading = MeterReading(kWh: text)
                if reading == nil {
                    reader.report(.invalidValue, at: node, itemPath, "\"\(text)\" is not a meter reading", allowed: readingAllowed)
                }
            }
        } else {
            reader.missing("meter_reading", in: fields, allowed: readingAllowed)
        }
        var units: Int?
        if let node = fields["impulses_per_unit"] {
            units = reader.integer(node, reader.join(path, "impulses_per_unit"), in: 1...Int(Int32.max), allowed: unitsAllowed)
        } else {
            reader.missing("impulses_per_unit", in: fields, allowed: unitsAllowed)
        }
        guard let meterSerial, let reading, let units else { return nil }
        return ImpulseMeterSetup(meterSerial: meterSerial, meterReading: reading, impulsesPerUnit: units)
    }

    /// 1 to 12 of letters, digits, `_` and `-`: it becomes a level of the board's MQTT topics.
    static func isImpulseMeterSerial(_ text: String) -> Bool {
        (1...ProfileSchema.impulseMeterSerialMaxLength).contains(text.unicodeScalars.count)
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }
}
