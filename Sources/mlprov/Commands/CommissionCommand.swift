import ArgumentParser

// Placeholder until the command lands.
struct CommissionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "commission", shouldDisplay: false)
}
