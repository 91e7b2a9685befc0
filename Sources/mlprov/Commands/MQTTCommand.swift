import ArgumentParser

/// `mlprov mqtt …`: talk to boards over MQTT, and MeterLogger's message crypto offline.
struct MQTTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt",
        abstract: "Send commands to boards and read their replies and samples over MQTT; seal and open messages offline.",
        subcommands: [MQTTSendCommand.self, MQTTListenCommand.self, MQTTSealCommand.self, MQTTOpenCommand.self]
    )
}
