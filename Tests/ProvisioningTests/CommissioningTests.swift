import DeviceSim
import MQTT
import MeterLogger
import Provisioning
import Synchronization
import Testing
import TestSupport

/// `commission(serial:key:broker:options:)` against the twin.
@Suite("Commissioning over MQTT")
struct CommissioningTests {
    typealias Fixture = CommissioningFixture

    /// For the steps that must fail: short, so that the failures come soon.
    static let quick = CommissioningOptions(connectTimeout: .seconds(5), replyTimeout: .seconds(1), sampleTimeout: .seconds(5))
    /// For the steps that must pass: generous (a loaded machine starves the twin, which
    /// runs in this process), and never a speed check: a passing step returns at once.
    static let generous = CommissioningOptions(connectTimeout: .seconds(60), replyTimeout: .seconds(60), sampleTimeout: .seconds(60))

    @Test("an online twin passes: ping, version and status answered, a sample decrypted and parsed")
    func passesAgainstAnOnlineTwin() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker, sampleInterval: .milliseconds(200))
            let report = await commission(serial: Fixture.serial, key: Fixture.key, broker: Fixture.technicianLogin(broker), options: Self.generous)
            #expect(report.passed, "\(report)")
            #expect(report.steps.map(\.name) == ["broker", "ping", "version", "status", "sample"])
            #expect(report.steps.allSatisfy { $0.outcome == .passed })
            #expect(report.steps[1].topic?.hasPrefix("/ping/v2/9999999/") == true)
            #expect(report.steps[1].message == "")
            #expect(report.steps[2].message == TwinMeterFirmware.defaultVersion)
            #expect(report.steps[3].message == "close")
            let sample = report.steps[4]
            #expect(sample.topic?.hasPrefix("/sample/v2/9999999/") == true)
            #expect(sample.fields?["t1"] == "25.00 C")
            #expect(sample.fields?["e1"]?.hasSuffix(" kWh") == true)
            await twin.stop()
        }
    }

    @Test("a board that comes online after the first ping still passes: ping is sent again until it answers")
    func pingIsSentAgainUntilALateBoardAnswers() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            // A watcher on the board's command topics sees the first ping go out while no
            // board is there to take it; only then does the board come online.
            let watcher = try MQTTClient()
            try await watcher.connect(to: Fixture.technicianLogin(broker))
            try await watcher.subscribe(MeterTopics.commandFilter(serial: Fixture.serialText))
            var options = CommissioningOptions(connectTimeout: .seconds(30), replyTimeout: .seconds(120), sampleTimeout: .seconds(60))
            options.resendInterval = .milliseconds(500)
            let commissioning = Task {
                await commission(serial: Fixture.serial, key: Fixture.key, broker: Fixture.technicianLogin(broker), options: options)
            }
            let pings = Mutex(0)
            let counting = Task {
                for await message in watcher.messages where CommandTopic(message.topic)?.command == "ping" {
                    pings.withLock { $0 += 1 }
                }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while pings.withLock({ $0 }) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(pings.withLock { $0 } >= 1, "the first ping went out before the board was online")
            let twin = try await Fixture.onlineTwin(on: broker, sampleInterval: .milliseconds(200))
            let report = await commissioning.value
            #expect(report.passed, "\(report)")
            #expect(pings.withLock { $0 } >= 2, "ping was sent again once the first went unanswered")
            counting.cancel()
            #expect(report.steps.map(\.outcome) == [.passed, .passed, .passed, .passed, .passed])
            await watcher.disconnect()
            await twin.stop()
        }
    }

    @Test("an offline twin fails at ping, names the reply topic awaited, and skips the rest")
    func failsAgainstAnOfflineTwin() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker)
            await twin.stop()  // the board lost its network
            let report = await commission(serial: Fixture.serial, key: Fixture.key, broker: Fixture.technicianLogin(broker), options: Self.quick)
            #expect(!report.passed)
            #expect(report.steps.map(\.outcome) == [.passed, .failed, .skipped, .skipped, .skipped])
            #expect(report.firstFailure?.name == "ping")
            #expect(report.firstFailure?.detail == "no reply on /ping/v2/9999999/+ within 1 s")
            #expect(report.steps[2].detail == "ping failed")
        }
    }

    @Test("the wrong key fails at ping: the board ignores a command it cannot verify")
    func failsWithTheWrongKey() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker)
            let report = await commission(serial: Fixture.serial, key: Fixture.otherKey, broker: Fixture.technicianLogin(broker), options: Self.quick)
            #expect(!report.passed)
            #expect(report.firstFailure?.name == "ping")
            #expect(twin.counters.badHMAC == 1, "the twin ignores a command sealed with another key")
            await twin.stop()
        }
    }

    @Test("a twin that answers but publishes no sample fails at the sample step")
    func failsWithoutASample() async throws {
        try await withMosquitto(users: Fixture.users) { broker in
            let twin = try await Fixture.onlineTwin(on: broker, sampleInterval: nil)
            // The replies must come (generous); the sample must not (a short wait proves it).
            let options = CommissioningOptions(connectTimeout: .seconds(60), replyTimeout: .seconds(60), sampleTimeout: .milliseconds(500))
            let report = await commission(serial: Fixture.serial, key: Fixture.key, broker: Fixture.technicianLogin(broker), options: options)
            #expect(report.steps.map(\.outcome) == [.passed, .passed, .passed, .passed, .failed])
            #expect(report.firstFailure?.detail.contains("/sample/v2/9999999/+") == true)
            await twin.stop()
        }
    }

    @Test("an unreachable broker fails the broker step, naming host:port; a wrong password says the login was refused")
    func brokerFailures() async throws {
        let port = try freeLoopbackPort()
        let unreachable = await commission(serial: Fixture.serial, key: Fixture.key, broker: MQTTBrokerLogin(host: "127.0.0.1", port: port), options: Self.quick)
        #expect(unreachable.steps.map(\.outcome) == [.failed, .skipped, .skipped, .skipped, .skipped])
        #expect(unreachable.firstFailure?.detail.contains("127.0.0.1:\(port)") == true)

        try await withMosquitto(users: Fixture.users) { broker in
            var login = Fixture.technicianLogin(broker)
            login.password = "wrong-password"
            let refused = await commission(serial: Fixture.serial, key: Fixture.key, broker: login, options: Self.quick)
            #expect(refused.firstFailure?.name == "broker")
            #expect(refused.firstFailure?.detail.contains("the broker refused the login") == true)
        }
    }
}
