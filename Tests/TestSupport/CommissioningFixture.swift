import DeviceSim
import MQTT
import MeterLogger
import Provisioning

/// A mosquitto broker with the twin's login and a technician's, and twins on it.
public enum CommissioningFixture {
    public static let keyHex = "ef500c9268cf749016d26d6cbfaaf7bf"
    public static let otherKeyHex = "1f2e3d4c5b6a79880123fedcba987654"
    public static let serialText = "9999999"
    public static let technician = "tech"
    public static let technicianPassword = "tech-password-1"

    public static var key: DeviceKey { DeviceKey(hex: keyHex)! }
    public static var otherKey: DeviceKey { DeviceKey(hex: otherKeyHex)! }
    public static var serial: MeterSerial { MeterSerial(serialText)! }

    /// The broker's users: the board (serial, AP password) and the technician.
    public static let users = [serialText: String(keyHex.prefix(16)), technician: technicianPassword]

    public static func technicianLogin(_ broker: MosquittoBroker) -> MQTTBrokerLogin {
        MQTTBrokerLogin(host: broker.host, port: broker.port, username: technician, password: technicianPassword)
    }

    /// A twin with the fixture's identity, online on `broker`.
    public static func onlineTwin(
        on broker: MosquittoBroker, meter: MeterKind = .kmp, sampleInterval: Duration? = .seconds(60),
        clock: @escaping @Sendable () -> Int = TwinMQTTSettings.systemClock
    ) async throws -> TwinMQTTClient {
        let settings = TwinMQTTSettings(sampleInterval: sampleInterval, clock: clock)
        let twin = TwinMQTTClient(identity: TwinMQTTIdentity(serial: serialText, key: key, meter: meter), settings: settings)
        try await twin.start(broker: twin.defaultLogin(host: broker.host, port: broker.port))
        return twin
    }

    /// A session as the technician, for the fixture's board.
    public static func session(on broker: MosquittoBroker, key: DeviceKey = key) async throws -> MeterSession {
        try await MeterSession.open(broker: technicianLogin(broker), serial: serial, key: key)
    }

    /// A valid argument for each command.
    public static func exampleArgument(_ name: MeterCommandName) -> String? {
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
