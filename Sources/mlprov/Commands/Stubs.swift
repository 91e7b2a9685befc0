struct SimCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "sim") ; func run() throws {} }
struct DemoCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "demo") ; func run() throws {} }
import ArgumentParser
