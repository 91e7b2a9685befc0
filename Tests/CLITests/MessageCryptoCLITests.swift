import Basics
import Foundation
import MeterLogger
import TestSupport
import Testing

/// `mlprov derive` and `mlprov mqtt seal/open`, run as the built binary (`swift build` first).
@Suite("mlprov derive and mqtt seal/open")
struct MessageCryptoCLITests {
    func mlprov(_ arguments: [String]) async throws -> ProcessOutput {
        try #require(FileManager.default.isExecutableFile(atPath: mlprovBinary), "no mlprov at \(mlprovBinary): run swift build first")
        return try await runProcess(mlprovBinary, arguments, timeout: .seconds(60))
    }

    func keyFile(mode: Int = 0o600) throws -> (folder: URL, path: String) {
        let folder = try temporaryDirectory("mlprov-cli-key")
        let file = folder.appendingPathComponent("9999999.key")
        try Data((FactsVector.key + "\n").utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
        return (folder, file.path)
    }

    @Test("derive --show-secrets --json prints the facts vector under ssid, ap_password, aes_key, hmac_key")
    func deriveJSON() async throws {
        let result = try await mlprov(["derive", "--serial", "9999999", "--key", FactsVector.key, "--show-secrets", "--json"])
        try #require(result.succeeded, "\(result)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["serial"] as? String == "9999999")
        #expect(object["ssid"] as? String == "KAM_9999999")
        #expect(object["ap_password"] as? String == FactsVector.apPassword)
        #expect(object["aes_key"] as? String == FactsVector.aesKey)
        #expect(object["hmac_key"] as? String == FactsVector.hmacKey)

        let impulse = try await mlprov(["derive", "--serial", "9999999", "--key", FactsVector.key, "--meter", "impulse", "--show-secrets"])
        #expect(impulse.stdout == "ssid: EL_9999999\nap_password: \(FactsVector.apPassword)\naes_key: \(FactsVector.aesKey)\nhmac_key: \(FactsVector.hmacKey)\n")
    }

    @Test("without --show-secrets derive prints the SSID only and says how to show the rest")
    func deriveHidesSecrets() async throws {
        let (folder, path) = try keyFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        for extra in [[], ["--json"]] {
            let result = try await mlprov(["derive", "--serial", "9999999", "--key-file", path] + extra)
            try #require(result.succeeded, "\(result)")
            #expect(result.stdout.contains("KAM_9999999"))
            #expect(result.stderr.contains("--show-secrets"))
            for secret in [FactsVector.key, FactsVector.apPassword, FactsVector.aesKey, FactsVector.hmacKey] {
                #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
            }
        }
    }

    @Test("a bad key or serial is refused naming the field, without echoing the key; a key file open to others is refused")
    func deriveErrors() async throws {
        let almost = String(FactsVector.key.dropLast()) + "z"
        let badKey = try await mlprov(["derive", "--serial", "9999999", "--key", almost])
        #expect(badKey.exitCode == 1)
        #expect(badKey.stderr.contains("--key") && badKey.stderr.contains("character 32"))
        #expect(!badKey.stderr.contains(almost.prefix(8)) && !badKey.stdout.contains(almost.prefix(8)))

        let badSerial = try await mlprov(["derive", "--serial", "99x", "--key", FactsVector.key])
        #expect(badSerial.exitCode == 1 && badSerial.stderr.contains("serial"))
        #expect(!badSerial.stderr.contains(FactsVector.key.prefix(8)))

        let noKey = try await mlprov(["derive", "--serial", "9999999"])
        #expect(noKey.exitCode != 0 && noKey.stderr.contains("--key-file"))

        let (folder, path) = try keyFile(mode: 0o644)
        defer { try? FileManager.default.removeItem(at: folder) }
        let open = try await mlprov(["derive", "--serial", "9999999", "--key-file", path])
        #expect(open.exitCode == 1 && open.stderr.contains("chmod 600"))
    }

    @Test("mqtt seal prints one line of lowercase hex that mqtt open turns back into the message")
    func sealOpen() async throws {
        let (folder, path) = try keyFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        let topic = "/config/v2/9999999/1700000000/set_cron"
        let message = "minute=30&hour=*&day_of_month=*&month=*&day_of_week=*&command=open"
        let sealed = try await mlprov(["mqtt", "seal", "--key", FactsVector.key, "--topic", topic, message])
        try #require(sealed.succeeded, "\(sealed)")
        let hex = sealed.stdout.trimmingCharacters(in: .newlines)
        #expect(sealed.stdout == hex + "\n" && hex == hex.lowercased() && !hex.contains("\n"))

        let keys = try exampleKeys()
        #expect(try MessageCrypto.open(try #require(MessageCrypto.bytes(hex: hex)), topic: topic, keys: keys) == Array(message.utf8))

        let opened = try await mlprov(["mqtt", "open", "--key-file", path, "--topic", topic, hex])
        try #require(opened.succeeded, "\(opened)")
        #expect(opened.stdout == message + "\n")

        let ourOwn = hexString(try MessageCrypto.seal(Array("ping".utf8), topic: topic, keys: keys, iv: fixedIV))
        let fixed = try await mlprov(["mqtt", "seal", "--key", FactsVector.key, "--topic", topic, "--iv", hexString(fixedIV), "ping"])
        #expect(fixed.stdout == ourOwn + "\n")
    }

    @Test("mqtt open fails with a clear error on a wrong topic, bad padding, non-hex or a short message")
    func openErrors() async throws {
        let keys = try exampleKeys()
        let topic = "/config/v2/9999999/1700000000/ping"
        let sealed = hexString(try MessageCrypto.seal(Array("ping".utf8), topic: topic, keys: keys))
        let cases: [(String, String)] = [
            (sealed, "the HMAC does not match: wrong key or topic, or the message was altered"),
            (hexString(try sealRawBlocks(Array("ping".utf8) + [0] + [UInt8](repeating: 0, count: 11), topic: topic + "x", keys: keys)), "padding"),
            (sealed + "g", "not hex"),
            ("abc", "not hex"),
            (String(sealed.prefix(100)), "too short"),
        ]
        for (argument, expected) in cases {
            let result = try await mlprov(["mqtt", "open", "--key", FactsVector.key, "--topic", topic + "x", argument])
            #expect(result.exitCode == 1, "\(argument)")
            #expect(result.stderr.contains("error: ") && result.stderr.contains(expected), "\(result)")
            #expect(result.stdout.isEmpty)
        }
        let json = try await mlprov(["mqtt", "open", "--key", FactsVector.key, "--topic", "/x", sealed, "--json"])
        #expect(json.exitCode == 1 && json.stdout.contains("\"ok\":false") && json.stdout.contains("HMAC"))
    }
}
