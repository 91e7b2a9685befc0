import Basics
import Foundation
import MeterLogger
import TestSupport
import Testing

@Suite("Credentials derived from SERIAL and KEY")
struct CredentialsTests {
    let serial = MeterSerial("9999999")!

    @Test("the facts vector: SSID by meter kind, AP password = first 16 hex characters of KEY, message keys")
    func factsVector() throws {
        let key = try #require(DeviceKey(hex: FactsVector.key.uppercased()))
        for meter in MeterKind.allCases {
            let credentials = Credentials(serial: serial, key: key, meter: meter)
            #expect(credentials.ssid == (meter == .impulse ? "EL_9999999" : "KAM_9999999"))
            #expect(credentials.ssid == SetupNames.accessPointSSID(serial: serial, meter: meter))
            #expect(credentials.apPassword == FactsVector.apPassword)
            #expect(hexString(credentials.messageKeys.aesKey) == FactsVector.aesKey)
            #expect(hexString(credentials.messageKeys.hmacKey) == FactsVector.hmacKey)
        }
    }

    @Test("credentials and message keys print without the key, the AP password or the message keys")
    func redacted() throws {
        let key = try #require(DeviceKey(hex: FactsVector.key))
        let credentials = Credentials(serial: serial, key: key, meter: .kmp)
        let secrets = [FactsVector.key, FactsVector.apPassword, FactsVector.aesKey, FactsVector.hmacKey, "ef500c92"]
        for value in [credentials as Any, credentials.messageKeys, [credentials], Optional(credentials.messageKeys) as Any] {
            var dumped = ""
            dump(value, to: &dumped)
            for text in [String(describing: value), String(reflecting: value), "\(value)", dumped] {
                for secret in secrets { #expect(!text.lowercased().contains(secret), "\(text)") }
            }
        }
        #expect(credentials.description.contains("KAM_9999999") && credentials.description.contains("<redacted>"))
        #expect(credentials.messageKeys.description == "<redacted>")
    }

    @Test("a bad serial or key is refused naming the field, never repeating the key")
    func parseErrors() throws {
        #expect(throws: CredentialsError.self) { try Credentials.parseSerial("99x") }
        #expect(try Credentials.parseSerial("9999999") == serial)
        #expect(try Credentials.parseKey(" \(FactsVector.key)\n").hex == FactsVector.key)
        let almost = String(FactsVector.key.dropLast()) + "g"
        for text in [almost, String(FactsVector.key.dropLast()), FactsVector.key + "0", ""] {
            do {
                _ = try Credentials.parseKey(text)
                Issue.record("accepted a bad key")
            } catch {
                #expect(error.description.contains("--key"))
                #expect(!error.description.contains(FactsVector.key.prefix(8)) && error.help?.contains(FactsVector.key.prefix(8)) == false)
            }
        }
    }

    @Test("a key file is read when private (0600) and refused when others can read it")
    func keyFile() throws {
        let folder = try temporaryDirectory("mlprov-keyfile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("9999999.key")
        try Data((FactsVector.key + "\n").utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        #expect(try Credentials.readKey(file: file.path).hex == FactsVector.key)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(throws: CredentialsError.keyFileNotPrivate(file.path, mode: 0o644)) { try Credentials.readKey(file: file.path) }
        #expect(CredentialsError.keyFileNotPrivate(file.path, mode: 0o644).help == "run chmod 600 \(file.path)")

        try Data(("x" + FactsVector.key.dropFirst()).utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        do {
            _ = try Credentials.readKey(file: file.path)
            Issue.record("accepted a bad key file")
        } catch {
            #expect(error.description.contains(file.path) && error.description.contains("character 1"))
            #expect(!error.description.contains(FactsVector.key.dropFirst().prefix(8)))
        }
        let missing = folder.appendingPathComponent("none.key").path
        #expect(throws: CredentialsError.keyFileUnreadable(missing, reason: "no such file")) { try Credentials.readKey(file: missing) }
    }
}
