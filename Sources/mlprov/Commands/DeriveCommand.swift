import ArgumentParser

// Placeholder until the command lands.
struct DeriveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "derive", shouldDisplay: false)
}
