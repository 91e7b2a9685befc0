import ArgumentParser
import Basics
import MeterLogger

/// `mlprov mqtt seal`: encrypt and authenticate a message as a MeterLogger board or its
/// server would, offline.
struct MQTTSealCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Seal a message for a topic with a device's KEY; prints it as hex.",
        discussion: """
            Builds HMAC-SHA256 (32 bytes) ‖ IV (16 random bytes) ‖ AES-128-CBC(message ‖ NUL, \
            PKCS#7), the HMAC taken over topic ‖ IV ‖ ciphertext, exactly as the firmware and \
            its server do. For debugging and test vectors; `mlprov mqtt open` reverses it.

            Example:
              mlprov mqtt seal --key-file keys/9999999.key --topic /config/v2/9999999/1700000000/open 1700000000
            """)

    @OptionGroup var key: KeyInputOptions

    @Option(help: "The MQTT topic the message is published on (it is part of the HMAC), e.g. /config/v2/9999999/1700000000/ping.")
    var topic: String

    @Option(help: "A fixed IV (32 hex characters) instead of a random one: for test vectors only, never for real messages.")
    var iv: String?

    @Argument(help: "The cleartext message, e.g. 1700000000 or ssid=Site&pwd=secret (may be empty).")
    var message: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try key.validate()
        if let iv, MessageCrypto.bytes(hex: iv)?.count != MessageCrypto.ivByteCount {
            throw ValidationError("--iv must be \(2 * MessageCrypto.ivByteCount) hex characters")
        }
    }

    var reportsJSON: Bool { output.json }

    func run(console: Console) async throws {
        let keys = MessageKeys(deviceKey: try key.load())
        let cleartext = Array(message.utf8)
        let sealed = if let iv, let ivBytes = MessageCrypto.bytes(hex: iv) {
            try MessageCrypto.seal(cleartext, topic: topic, keys: keys, iv: ivBytes)
        } else {
            try MessageCrypto.seal(cleartext, topic: topic, keys: keys)
        }
        if output.json {
            console.json(SealReport(topic: topic, message: hexString(sealed)))
        } else {
            console.result(hexString(sealed))
        }
    }
}

struct SealReport: Encodable {
    var ok = true
    var topic: String
    /// The sealed message, lowercase hex.
    var message: String
}

