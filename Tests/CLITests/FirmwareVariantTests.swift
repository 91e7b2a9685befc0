import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import Testing
import TestSupport

/// The demo firmware built from profiles through the mlprov binary, its ELFs converted by
/// mlprov and by esptool, and each built variant flashed onto a twin that reads it back.
@Suite("Firmware variants from profiles", .serialized)
struct FirmwareVariantTests {
    static let profile = packageRoot.appendingPathComponent("profiles/demo-twin.yaml").path

    struct Built: Decodable {
        struct Part: Decodable {
            var name: String
            var offset: Int
            var path: String
        }
        var serial: String
        var variant: String
        var cache_hit: Bool
        var parts: [Part]
        var log: String
    }

    struct Summary: Decodable {
        var ok: Bool
        var builds: [Built]
    }

    static func build(_ arguments: [String], cache: URL) async throws -> (ProcessOutput, Summary?) {
        let ledger = cache.appendingPathComponent("ledger.sqlite").path
        let result = try await runProcess(mlprovBinary, ["build", "--profile", profile, "--json", "--cache", cache.path, "--ledger", ledger] + arguments)
        let summary = try? JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
        return (result, summary)
    }

    @Test("every device of the demo profile builds, and a twin flashed with it boots and reports that device's identity")
    func allFourMeterTypesBuildAndBoot() async throws {
        let cache = try temporaryDirectory("cache")
        let (result, summary) = try await Self.build(["--all", "--jobs", "2"], cache: cache)
        #expect(result.succeeded, "\(result)")
        let builds = try #require(summary?.builds)
        let installation = try InstallationProfile.load(path: Self.profile)
        #expect(builds.map(\.serial) == installation.devices.map(\.serial.text))
        #expect(Set(builds.map(\.variant)).count == 4, "four different variants")

        for built in builds {
            let device = try #require(installation.device(serial: built.serial))
            let variant = installation.variant(for: device)
            #expect(built.variant == variant.id)
            // The build log never holds the device's key.
            let log = try String(contentsOfFile: built.log, encoding: .utf8)
            #expect(!log.contains(try #require(device.key.givenKey).hex))

            let twin = ESP8266Twin(configuration: TwinConfiguration(initialBootMode: .flash))
            defer { twin.stop() }
            let session = LoaderSession(link: twin.connectInProcess())
            try session.connect(reset: .classic)
            let parts = try built.parts.map { FlashPart(name: $0.name, offset: $0.offset, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0.path)))) }
            try session.write(try FlashPlan(parts: parts, flashSize: .size1MB, parameters: installation.flash.parameters, protectedRegions: FlashLayout.meterLoggerProtectedRegions))
            try session.finish(.hardReset)
            let identity = try await waitForIdentity(twin)
            #expect(identity.serial == built.serial)
            #expect(identity.meter == variant.meter)
            #expect(identity.key.hex == device.key.givenKey?.hex)
            #expect(identity.ssid == installation.setupSSID(for: device))
            #expect(twin.lastBoot?.uartText.contains("serial: \(built.serial)") == true)
        }
    }

    @Test("a second build of the same device is a cache hit")
    func secondBuildIsCached() async throws {
        let cache = try temporaryDirectory("cache")
        let (first, firstSummary) = try await Self.build(["--serial", "9999998"], cache: cache)
        #expect(first.succeeded, "\(first)")
        #expect(firstSummary?.builds.first?.cache_hit == false)
        let (second, secondSummary) = try await Self.build(["--serial", "9999998"], cache: cache)
        #expect(second.succeeded, "\(second)")
        #expect(secondSummary?.builds.first?.cache_hit == true)
        #expect(secondSummary?.builds.first?.parts.map(\.path) == firstSummary?.builds.first?.parts.map(\.path))
    }

    @Test("a bad profile fails with file:line:column and the field, and exit code 1")
    func badProfileIsNamed() async throws {
        let folder = try temporaryDirectory("profile")
        let file = folder.appendingPathComponent("bad.yaml")
        try """
            installation:
              name: test
            firmware:
              source: ../firmware/demo
            devices:
              - serial: 1234567
                key: 0123456789abcdef
                colour: blue
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try await runProcess(mlprovBinary, ["build", "--profile", file.path, "--all", "--ledger", folder.appendingPathComponent("ledger.sqlite").path])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("\(file.path):7:10: devices[0].key"), "\(result)")
        #expect(result.stderr.contains("\(file.path):8:5: devices[0]: unknown key \"colour\""), "\(result)")
        #expect(!result.stderr.contains("0123456789abcdef"), "a key, even a wrong one, is never printed")
    }

    @Test("mlprov elf2image and merge-bin equal esptool's on the demo firmware's ELF of every meter type")
    func elf2imageMatchesEsptoolOnDemoFirmware() async throws {
        let variants: [[String]] = [[], ["EN61107=1"], ["MC_66B=1", "THERMO_NO=1"], ["IMPULSE=1", "LED_ON_AC=1"]]
        for variables in variants {
            let work = try temporaryDirectory("demo-build")
            let copy = try await runProcess("/bin/cp", ["-a", packageRoot.appendingPathComponent("firmware/demo").path + "/.", work.path])
            try #require(copy.succeeded, "\(copy)")
            let make = try await runProcess("/usr/bin/make", ["-C", work.path, "clean", "all", "KEY=ef500c9268cf749016d26d6cbfaaf7bf", "SERIAL=9999999", "ESPTOOL=\(esptoolBinary)"] + variables)
            try #require(make.succeeded, "\(make)")
            let elf = work.appendingPathComponent("build/app.out").path
            let ours = work.appendingPathComponent("ours/")
            let theirs = work.appendingPathComponent("theirs/")
            let mine = try await runProcess(mlprovBinary, ["elf2image", elf, "-o", ours.path + "/"])
            #expect(mine.succeeded, "\(mine)")
            try FileManager.default.createDirectory(at: theirs, withIntermediateDirectories: true)
            let esptool = try await runProcess(esptoolBinary, ["--chip", "esp8266", "elf2image", elf, "-o", theirs.path + "/"])
            #expect(esptool.succeeded, "\(esptool)")
            let names = try FileManager.default.contentsOfDirectory(atPath: theirs.path).sorted()
            #expect(names == ["0x00000.bin", "0x10000.bin"], "\(variables)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: ours.path).sorted() == names)
            for name in names {
                #expect(byteDifference(try Data(contentsOf: ours.appendingPathComponent(name)), try Data(contentsOf: theirs.appendingPathComponent(name))) == nil, "\(variables) \(name)")
            }

            let partsArguments = [
                "0x0", theirs.appendingPathComponent("0x00000.bin").path, "0x10000", theirs.appendingPathComponent("0x10000.bin").path,
                "0x60000", work.appendingPathComponent("webpages.espfs").path,
            ]
            let settings = ["--flash-mode", "dout", "--flash-size", "1MB", "--flash-freq", "40m"]
            let ourMerge = try await runProcess(mlprovBinary, ["merge-bin", "-o", work.appendingPathComponent("ours.bin").path] + settings + partsArguments)
            #expect(ourMerge.succeeded, "\(ourMerge)")
            let theirMerge = try await runProcess(esptoolBinary, ["--chip", "esp8266", "merge-bin", "-o", work.appendingPathComponent("theirs.bin").path] + settings + partsArguments)
            #expect(theirMerge.succeeded, "\(theirMerge)")
            #expect(byteDifference(try Data(contentsOf: work.appendingPathComponent("ours.bin")), try Data(contentsOf: work.appendingPathComponent("theirs.bin"))) == nil, "\(variables)")
        }
    }

    /// The twin boots a few milliseconds after the reset pulse; waits for it, at most 10 s.
    private func waitForIdentity(_ twin: ESP8266Twin) async throws -> FirmwareIdentity {
        for _ in 0..<1000 {
            if let identity = twin.firmwareIdentity { return identity }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CommandError("the twin reported no firmware identity within 10 s (state: \(twin.chipState))")
    }
}

struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `key: generate` devices get their keys from the ledger, recorded before the build.
@Suite("Builds with keys from the ledger")
struct LedgerBuildTests {
    @Test("a key: generate device builds with a key the ledger recorded first, and the same key on a rebuild")
    func generatedKeyComesFromTheLedger() async throws {
        let folder = try temporaryDirectory("ledger-build")
        let profile = folder.appendingPathComponent("site.yaml")
        try """
            installation:
              name: ledger test
            firmware:
              source: \(packageRoot.appendingPathComponent("firmware/demo").path)
            devices:
              - serial: 7654321
                key: generate
            """.write(to: profile, atomically: true, encoding: .utf8)
        let ledger = folder.appendingPathComponent("ledger.sqlite").path
        let arguments = ["build", "--profile", profile.path, "--all", "--json", "--cache", folder.appendingPathComponent("cache").path, "--ledger", ledger]
        let first = try await runProcess(mlprovBinary, arguments)
        #expect(first.succeeded, "\(first)")
        let export = try await runProcess(mlprovBinary, ["keys", "export", "--csv", "--ledger", ledger])
        #expect(export.succeeded, "\(export)")
        let row = try #require(export.stdout.split(separator: "\n").first { $0.hasPrefix("7654321,") })
        let key = String(row.split(separator: ",")[1])
        #expect(key.count == 32)
        // The key the firmware carries is the ledger's: the image holds its 16 bytes.
        let summary = try JSONDecoder().decode(FirmwareVariantTests.Summary.self, from: Data(first.stdout.utf8))
        let image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try #require(summary.builds.first?.parts.first?.path))))
        let keyBytes = stride(from: 0, to: 32, by: 2).map { UInt8(key.dropFirst($0).prefix(2), radix: 16) ?? 0 }
        #expect(image.indices.dropLast(15).contains { Array(image[$0..<$0 + 16]) == keyBytes })
        // A rebuild uses the same key: the cache hits.
        let second = try await runProcess(mlprovBinary, arguments)
        #expect(second.succeeded, "\(second)")
        #expect(try JSONDecoder().decode(FirmwareVariantTests.Summary.self, from: Data(second.stdout.utf8)).builds.first?.cache_hit == true)
        #expect(!first.stdout.contains(key) && !first.stderr.contains(key), "the key is never printed by build")
    }
}
