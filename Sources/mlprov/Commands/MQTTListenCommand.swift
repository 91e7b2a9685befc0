import ArgumentParser

// Placeholder until the command lands.
struct MQTTListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "listen", shouldDisplay: false)
}
