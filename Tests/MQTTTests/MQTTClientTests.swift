import Foundation
import MQTT
import Testing
import TestSupport

/// The libmosquitto client against a real mosquitto broker started per test.
@Suite("MQTT client against mosquitto")
struct MQTTClientTests {
    static let users = ["alice": "alice-password-1", "bob": "bob-password-22"]

    @Test("a message published by one client reaches another client's subscription, bytes intact")
    func publishSubscribeRoundTrip() async throws {
        try await withMosquitto(users: Self.users) { broker in
            let receiver = try MQTTClient(clientID: "receiver")
            try await receiver.connect(host: broker.host, port: broker.port, username: "alice", password: "alice-password-1")
            #expect(receiver.isConnected)
            try await receiver.subscribe("/sample/v2/+/+", qos: .atLeastOnce)
            let inbox = MQTTInbox(receiver.messages)

            let sender = try MQTTClient()
            try await sender.connect(to: MQTTBrokerLogin(host: broker.host, port: broker.port, username: "bob", password: "bob-password-22"))
            let payload: [UInt8] = Array(0...255) + [0, 0, 0xFF]
            try await sender.publish("/config/v2/9999999/1/ping", payload: [1, 2, 3])  // not subscribed: never arrives
            try await sender.publish("/sample/v2/9999999/1700000000", payload: payload, qos: .atLeastOnce)

            let message = try #require(await inbox.next(timeout: .seconds(30)))
            #expect(message.topic == "/sample/v2/9999999/1700000000")
            #expect(message.payload == payload)
            #expect(message.qos == .atLeastOnce)
            #expect(await inbox.next(timeout: .milliseconds(300)) == nil)

            await sender.disconnect()
            await receiver.disconnect()
            #expect(!receiver.isConnected)
        }
    }

    @Test("the inbox hands out the message a waiter asks for and keeps the others for later")
    func inboxKeepsOtherMessages() async throws {
        try await withMosquitto(users: Self.users) { broker in
            let client = try MQTTClient()
            try await client.connect(host: broker.host, port: broker.port, username: "alice", password: "alice-password-1")
            try await client.subscribe("t/#")
            let inbox = MQTTInbox(client.messages)
            for name in ["a", "b", "c"] { try await client.publish("t/\(name)", payload: Array(name.utf8)) }
            let second = await inbox.next(timeout: .seconds(30)) { $0.topic == "t/b" }
            #expect(second?.payload == Array("b".utf8))
            #expect(await inbox.next(timeout: .seconds(30))?.topic == "t/a")
            #expect(await inbox.next(timeout: .seconds(30))?.topic == "t/c")
            await client.disconnect()
        }
    }

    @Test("a wrong password or no login at all: 'the broker refused the login'")
    func refusedLogin() async throws {
        try await withMosquitto(users: Self.users) { broker in
            for (user, password) in [("alice", "not-her-password"), ("mallory", "whatever-123")] as [(String?, String?)] + [(nil, nil)] {
                let client = try MQTTClient()
                let error = await #expect(throws: MQTTError.self) {
                    try await client.connect(host: broker.host, port: broker.port, username: user, password: password, timeout: .seconds(60))
                }
                #expect(error == .loginRefused(host: broker.host, port: broker.port))
                #expect(error?.description.contains("the broker refused the login") == true)
                #expect(error?.description.contains("not-her-password") == false)
                #expect(!client.isConnected)
            }
        }
    }

    @Test("a port nobody listens on: unreachable, naming host:port")
    func unreachablePort() async throws {
        let port = try freeLoopbackPort()
        let client = try MQTTClient()
        let error = await #expect(throws: MQTTError.self) {
            try await client.connect(host: "127.0.0.1", port: port, username: "alice", password: "secret-pw", timeout: .seconds(60))
        }
        guard case .unreachable(let host, let reportedPort, _) = error else {
            Issue.record("expected .unreachable, got \(String(describing: error))")
            return
        }
        #expect(host == "127.0.0.1" && reportedPort == port)
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
        #expect(error?.description.contains("secret-pw") == false)
    }

    @Test("publish and subscribe before connecting fail with notConnected; bad topics are refused up front")
    func notConnectedAndBadTopics() async throws {
        let client = try MQTTClient()
        await #expect(throws: MQTTError.notConnected) { try await client.publish("a/b", payload: [1]) }
        await #expect(throws: MQTTError.self) { try await client.publish("a/+", payload: [1]) }
        await #expect(throws: MQTTError.self) { try await client.subscribe("a/#/b") }
    }

    @Test("a client connects once; a second connect is refused")
    func connectsOnce() async throws {
        try await withMosquitto(users: Self.users) { broker in
            let client = try MQTTClient()
            try await client.connect(host: broker.host, port: broker.port, username: "bob", password: "bob-password-22")
            await #expect(throws: MQTTError.alreadyConnected) {
                try await client.connect(host: broker.host, port: broker.port, username: "bob", password: "bob-password-22")
            }
            await client.disconnect()
        }
    }

    @Test("topic filters: + is one level, # the rest, $ topics only for $ filters")
    func topicFilters() {
        #expect(MQTTTopic.matches("/ping/v2/9999999/1700000000", filter: "/+/v2/9999999/+"))
        #expect(!MQTTTopic.matches("/config/v2/9999999/1700000000/ping", filter: "/+/v2/9999999/+"))
        #expect(MQTTTopic.matches("/config/v2/9999999/1700000000/ping", filter: "/config/v2/9999999/#"))
        #expect(MQTTTopic.matches("/config/v2/9999999", filter: "/config/v2/9999999/#"))
        #expect(!MQTTTopic.matches("/config/v2/1234567/1/ping", filter: "/config/v2/9999999/#"))
        #expect(!MQTTTopic.matches("$SYS/broker", filter: "#"))
        #expect(MQTTTopic.problem(subscribing: "a/#/b") != nil)
        #expect(MQTTTopic.problem(subscribing: "a/b+") != nil)
        #expect(MQTTTopic.problem(publishing: "a/#") != nil)
        #expect(MQTTTopic.problem(publishing: "/ping/v2/1/2") == nil)
    }

    @Test("the login's printout hides the password")
    func loginRedactsPassword() {
        let login = MQTTBrokerLogin(host: "broker.lan", username: "tech", password: "hunter2-hunter2")
        var dumped = ""
        dump(login, to: &dumped)
        for text in [login.description, String(reflecting: login), dumped] {
            #expect(!text.contains("hunter2"))
        }
        #expect(login.description == "tech@broker.lan:1883")
    }
}
