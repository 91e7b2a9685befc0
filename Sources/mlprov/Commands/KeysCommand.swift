import ArgumentParser

// Placeholder until the command lands.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", shouldDisplay: false)
}
