import Foundation
import MeterLogger
import Testing

@Suite("Keys and passwords never show")
struct SecretTests {
    @Test("a key prints as <redacted> every way it can be printed")
    func keyRedacted() throws {
        let key = try #require(DeviceKey(hex: exampleKey))
        #expect(key.description == "<redacted>")
        #expect(key.debugDescription == "<redacted>")
        #expect(String(describing: key) == "<redacted>")
        #expect(String(reflecting: key) == "<redacted>")
        #expect("\(key)" == "<redacted>")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains(exampleKey) && dumped.contains("<redacted>"))
        #expect(Mirror(reflecting: key).children.isEmpty)
    }

    @Test("values holding a key print it redacted too")
    func containersRedacted() throws {
        let key = try #require(DeviceKey(hex: exampleKey))
        let serial = try #require(MeterSerial("9999999"))
        let device = Device(serial: serial, key: .given(key))
        let secrets = DeviceSecrets(serial: serial, key: key)
        let profile = try parseProfile(minimalHeader + "  - serial: 9999999\n    key: \(exampleKey)\n")
        for value in [device as Any, secrets, KeySource.given(key), profile, [key]] {
            var dumped = ""
            dump(value, to: &dumped)
            for text in [String(describing: value), String(reflecting: value), dumped] {
                #expect(!text.lowercased().contains(exampleKey), "\(text)")
                #expect(!text.lowercased().contains(exampleKey.prefix(16)), "\(text)")
            }
        }
    }

    @Test("the key comes out only through hex and bytes, in lower case")
    func explicitAccess() throws {
        let key = try #require(DeviceKey(hex: exampleKey.uppercased()))
        #expect(key.hex == exampleKey)
        #expect(key.bytes.count == 16 && key.bytes.first == 0xEF && key.bytes.last == 0xBF)
        #expect(DeviceKey(bytes: key.bytes) == key)
        #expect(DeviceKey(hex: String(exampleKey.dropLast())) == nil)
        #expect(DeviceKey(hex: exampleKey + "0") == nil)
        #expect(DeviceKey(hex: String(exampleKey.dropLast()) + "g") == nil)
        #expect(DeviceKey(bytes: [1, 2, 3]) == nil)
    }

    @Test("profile errors about a key never repeat it, nor the line it stands on")
    func keyNotInErrors() {
        let almost = String(exampleKey.dropLast())
        let errors = profileErrors(minimalHeader + """
              - serial: 1
                key: \(almost)
              - serial: 2
                key: \(almost)z
              - serial: 3
                key: \(exampleKey)
              - serial: 4
                key: \(exampleKey)
              - serial: 5
                key: [\(exampleKey)]
            """).joined(separator: "\n")
        #expect(errors.contains("devices[0].key") && errors.contains("devices[1].key") && errors.contains("devices[3].key")
            && errors.contains("devices[4].key"))
        #expect(!errors.contains(almost.prefix(16)))
        let syntax = profileErrors(minimalHeader + "  - serial: 1\n    key: \(exampleKey)\n   bad: [\n").joined()
        #expect(syntax.contains("YAML") && !syntax.contains(exampleKey.prefix(16)))
    }

    @Test("the wifi password is read from the environment or a file, and prints redacted")
    func passwordSources() throws {
        let fromEnvironment = try PasswordSource.environment("SITE_WIFI").read(environment: ["SITE_WIFI": "correct horse"])
        #expect(fromEnvironment.text == "correct horse")
        #expect("\(fromEnvironment)" == "<redacted>" && String(reflecting: fromEnvironment) == "<redacted>")
        var dumped = ""
        dump(fromEnvironment, to: &dumped)
        #expect(!dumped.contains("horse"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-wifi-\(UUID().uuidString).txt")
        try Data("battery staple\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        #expect(try PasswordSource.file(file).read().text == "battery staple")
        try Data("battery staple\r\n".utf8).write(to: file)
        #expect(try PasswordSource.file(file).read().text == "battery staple")
        try Data("battery staple".utf8).write(to: file)
        #expect(try PasswordSource.file(file).read().text == "battery staple")
    }

    @Test("password problems are explained without the password")
    func passwordErrors() {
        #expect(throws: WifiPasswordError.environmentVariableUnset("SITE_WIFI")) {
            try PasswordSource.environment("SITE_WIFI").read(environment: [:])
        }
        do {
            _ = try PasswordSource.environment("SITE_WIFI").read(environment: ["SITE_WIFI": "short"])
            Issue.record("a 5-character password was accepted")
        } catch {
            #expect(error.description == "the wifi password from environment variable SITE_WIFI is not usable: "
                + "it has 5 characters, a WPA2 passphrase has 8 to 63")
        }
        do {
            _ = try PasswordSource.file(URL(fileURLWithPath: "/nonexistent/pw.txt")).read()
            Issue.record("a missing file was read")
        } catch {
            #expect(error.description == "cannot read the wifi password file /nonexistent/pw.txt: no such file")
        }
        #expect(throws: WifiPasswordError.self) {
            try PasswordSource.environment("W").read(environment: ["W": "tab\there1"])
        }
    }

    @Test("a password file that others can read is refused, naming the file and the fix")
    func passwordFileMustBePrivate() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mlprov-wifi-\(UUID().uuidString).txt")
        try Data("battery staple\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(throws: WifiPasswordError.fileNotPrivate(file.path, mode: 0o644)) {
            try PasswordSource.file(file).read()
        }
        #expect(WifiPasswordError.fileNotPrivate(file.path, mode: 0o644).description.contains("chmod 600 \(file.path)"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        #expect(try PasswordSource.file(file).read().text == "battery staple")
    }
}
