import ArgumentParser

// Placeholder until the command lands.
struct MQTTSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", shouldDisplay: false)
}
