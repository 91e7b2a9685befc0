import ArgumentParser
import Basics
import Foundation
import MeterLogger

/// `mlprov mqtt open`: check and decrypt a MeterLogger message, offline.
struct MQTTOpenCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open a sealed message (hex) for a topic with a device's KEY; prints the cleartext.",
        discussion: """
            Checks the HMAC first (over topic ‖ IV ‖ ciphertext, in constant time), then \
            decrypts, checks the PKCS#7 padding and strips the trailing NUL. Exits 1 naming what \
            failed: too short, not hex, the HMAC (wrong key or topic, or an altered message), \
            the padding, or the missing NUL.

            Example:
              mlprov mqtt open --key-file keys/9999999.key --topic /sample/v2/9999999/1700000000 9f86d0…
            """)

    @OptionGroup var key: KeyInputOptions

    @Option(help: "The MQTT topic the message was published on (it is part of the HMAC).")
    var topic: String

    @Flag(help: "Print the cleartext as hex (for cleartexts that are not text).")
    var hex = false

    @Argument(help: "The sealed message as hex: HMAC ‖ IV ‖ ciphertext, as `mlprov mqtt seal` prints it.")
    var message: String

    @OptionGroup var output: OutputOptions

    func validate() throws { try key.validate() }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let keys = MessageKeys(deviceKey: try key.load())
        guard let bytes = MessageCrypto.bytes(hex: message) else { throw Self.notHex(message) }
        let cleartext = try MessageCrypto.open(bytes, topic: topic, keys: keys)
        let text = hex ? hexString(cleartext) : String(decoding: cleartext, as: UTF8.self)
        if output.json {
            console.json(OpenReport(topic: topic, cleartext: text, encoding: hex ? "hex" : "utf8"))
        } else {
            console.result(text)
        }
    }

    /// Why the argument is not a hex message, saying where.
    static func notHex(_ text: String) -> CommandFailure {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let scalars = Array(trimmed.unicodeScalars)
        let problem = if let index = scalars.firstIndex(where: { !$0.properties.isASCIIHexDigit }) {
            "character \(index + 1) is not a hex digit"
        } else {
            "it has an odd number (\(scalars.count)) of hex digits"
        }
        return CommandFailure(
            message: "the message is not hex: \(problem)",
            help: "give the sealed message as hex digits, two per byte, as `mlprov mqtt seal` prints it")
    }
}

struct OpenReport: Encodable {
    var ok = true
    var topic: String
    var cleartext: String
    /// How `cleartext` is written: "utf8" text or "hex".
    var encoding: String
}
