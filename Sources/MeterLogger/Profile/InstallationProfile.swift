import ESPImage
import Foundation

/// One installation's profile (profiles/README.md describes the YAML): which firmware, how
/// to flash it, the boards' variant defaults, the site network, and the devices.
public struct InstallationProfile: Hashable, Sendable {
    /// The installation's name.
    public let name: String
    /// The profile file's path as it was given (what error messages name).
    public let file: String
    public let firmware: FirmwareSource
    public let flash: FlashSettings
    /// The installation-wide variant settings each device's overrides are laid over.
    public let defaults: VariantSettings
    /// The site network; nil when the profile has none (enough for building and flashing).
    public let network: NetworkSettings?
    /// The devices in file order; serials are unique.
    public let devices: [Device]

    public init(
        name: String, file: String, firmware: FirmwareSource, flash: FlashSettings = FlashSettings(),
        defaults: VariantSettings = VariantSettings(), network: NetworkSettings? = nil, devices: [Device]
    ) {
        self.name = name
        self.file = file
        self.firmware = firmware
        self.flash = flash
        self.defaults = defaults
        self.network = network
        self.devices = devices
    }

    /// The variant `device` is built as.
    public func variant(for device: Device) -> Variant {
        device.overrides.resolved(over: defaults)
    }

    /// The device with this serial (leading zeros do not matter), if the profile has one.
    public func device(serial: String) -> Device? {
        guard let serial = MeterSerial(serial) else { return nil }
        return devices.first { $0.serial.value == serial.value }
    }

    /// The setup access point's SSID of `device` (KAM_<serial>, EL_<serial> for impulse meters).
    public func setupSSID(for device: Device) -> String {
        SetupNames.accessPointSSID(serial: device.serial, meter: variant(for: device).meter)
    }

    /// The distinct variants of all devices, in the order devices first need them.
    public var variants: [Variant] {
        var seen: Set<Variant> = []
        return devices.map(variant(for:)).filter { seen.insert($0).inserted }
    }
}

/// Where the firmware comes from; paths are absolute (relative ones in the YAML resolve
/// against the profile file's folder).
public enum FirmwareSource: Hashable, Sendable {
    /// `source:` a make-based MeterLogger source tree, built per variant, and the RF init
    /// data file written at 0xFC000, relative to the tree (`init_data:`).
    case sourceTree(URL, initData: String = FirmwareSource.defaultInitData)
    /// `release:` a prebuilt release folder with the five files (0x00000.bin, 0x10000.bin,
    /// webpages.espfs, esp_init_data_default_112th_byte_0x03.bin, blank.bin).
    case release(URL)
    /// `manifest:` an ESP Web Tools manifest.json naming the parts and their offsets.
    case manifest(URL)

    public var url: URL {
        switch self {
        case .sourceTree(let url, _), .release(let url), .manifest(let url): url
        }
    }

    /// Where MeterLogger's tree keeps the SDK's RF init data.
    public static let defaultInitData = "bin/esp_init_data_default_112th_byte_0x03.bin"
}

/// How boards of this installation are flashed.
public struct FlashSettings: Hashable, Sendable {
    /// MeterLogger boards: DOUT at 40 MHz on 1 MB of flash (docs/meterlogger-build.md, "Flash layout").
    public static let defaultBaud = 921_600
    /// The baud rates a profile may ask for.
    public static let baudRange = 9_600...4_000_000

    public let mode: FlashMode
    public let size: FlashSize
    public let frequency: FlashFrequency
    public let baud: Int

    public init(mode: FlashMode = .dout, size: FlashSize = .size1MB, frequency: FlashFrequency = .mhz40, baud: Int = defaultBaud) {
        self.mode = mode
        self.size = size
        self.frequency = frequency
        self.baud = baud
    }

    /// The header settings to write into the app image.
    public var parameters: FlashParameters { FlashParameters(mode: mode, size: size, frequency: frequency) }
}

/// The site network a board joins after setup, and the broker it reports to.
public struct NetworkSettings: Hashable, Sendable {
    /// The site's SSID (1 to 32 bytes).
    public let ssid: String
    /// Where the wifi password is read from when needed; a profile never holds it.
    public let password: PasswordSource
    public let mqtt: MQTTBroker

    public init(ssid: String, password: PasswordSource, mqtt: MQTTBroker) {
        self.ssid = ssid
        self.password = password
        self.mqtt = mqtt
    }
}

/// The MQTT broker: the host is what the setup form's `mqtthost` gets; the port is where
/// mlprov reaches the broker to commission a board.
public struct MQTTBroker: Hashable, Sendable {
    public static let defaultPort = 1883
    /// A host name or an IPv4 address.
    public let host: String
    public let port: Int

    public init(host: String, port: Int = defaultPort) {
        self.host = host
        self.port = port
    }
}

/// One board: its meter's serial, its key, and how its variant differs from the defaults.
public struct Device: Hashable, Sendable {
    public let serial: MeterSerial
    public let key: KeySource
    /// The device's own variant settings, laid over the profile's defaults.
    public let overrides: VariantSettings
    /// What the setup form needs for an impulse meter; present exactly for impulse meters.
    public let impulse: ImpulseMeterSetup?
    /// Where the device's entry starts in the profile.
    public let location: SourceLocation

    public init(
        serial: MeterSerial, key: KeySource, overrides: VariantSettings = VariantSettings(),
        impulse: ImpulseMeterSetup? = nil, location: SourceLocation = SourceLocation(line: 0, column: 0)
    ) {
        self.serial = serial
        self.key = key
        self.overrides = overrides
        self.impulse = impulse
        self.location = location
    }

    /// KEY and SERIAL for building this device with `key` (its given key, or one generated
    /// for it).
    public func secrets(key: DeviceKey) -> DeviceSecrets {
        DeviceSecrets(serial: serial, key: key)
    }
}

/// An impulse meter's settings for the setup form (docs/meterlogger-firmware.md, "E. Setup web UI").
public struct ImpulseMeterSetup: Hashable, Sendable {
    /// The electricity meter's own serial (≤ 12 characters: letters, digits, `_`, `-`); the
    /// firmware puts it in its MQTT topics.
    public let meterSerial: String
    /// The meter's reading when the board is fitted.
    public let meterReading: MeterReading
    /// Impulses per kWh.
    public let impulsesPerUnit: Int

    public init(meterSerial: String, meterReading: MeterReading, impulsesPerUnit: Int) {
        self.meterSerial = meterSerial
        self.meterReading = meterReading
        self.impulsesPerUnit = impulsesPerUnit
    }
}

/// A meter reading in kWh with at most three decimals, held exactly as thousandths (the
/// setup form takes the reading multiplied by 1000; the board stores it with 3 decimals).
public struct MeterReading: Hashable, Sendable, CustomStringConvertible {
    public let thousandths: Int64

    public init(thousandths: Int64) {
        self.thousandths = thousandths
    }

    /// Parses `12345`, `12345.6`, `12345.678`; nil for anything else (signs, exponents,
    /// more than three decimals).
    public init?(kWh text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 3, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty else { return nil }
        guard let value = Int64(String(whole) + fraction.padding(toLength: 3, withPad: "0", startingAt: 0)) else { return nil }
        thousandths = value
    }

    /// "12345.678 kWh".
    public var description: String {
        "\(thousandths / 1000).\(String(thousandths % 1000).leftPadded(to: 3)) kWh"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
