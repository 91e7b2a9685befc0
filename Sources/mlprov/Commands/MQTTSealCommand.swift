import ArgumentParser

// Placeholder until the command lands.
struct MQTTSealCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seal", shouldDisplay: false)
}
