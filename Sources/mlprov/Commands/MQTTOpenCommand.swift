import ArgumentParser

// Placeholder until the command lands.
struct MQTTOpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open", shouldDisplay: false)
}
