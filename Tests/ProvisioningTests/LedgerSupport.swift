import Foundation
import MeterLogger
import Provisioning
import TestSupport

/// Known keys for tests that compare exact text (never real boards' keys).
let keyA = "000102030405060708090a0b0c0d0e0f"
let keyB = "f0e0d0c0b0a090807060504030201000"
let keyC = "2b7e151628aed2a6abf7158809cf4f3c"

func key(_ hex: String) -> DeviceKey {
    guard let key = DeviceKey(hex: hex) else { fatalError("test key \(hex) is not a key") }
    return key
}

func serial(_ text: String) -> MeterSerial {
    guard let serial = MeterSerial(text) else { fatalError("test serial \(text) is not a serial") }
    return serial
}

/// A fresh ledger in its own temporary folder, written by user "tester" at a fixed time.
func makeLedger(at date: Date = Date(timeIntervalSince1970: 1_750_000_000)) throws -> KeyStore {
    let folder = try temporaryDirectory("ledger")
    return try KeyStore(path: folder.appendingPathComponent("ledger.sqlite").path, user: "tester", clock: { date })
}

/// The permission bits of `path` (e.g. 0o600).
func mode(of path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
    return info.st_mode & 0o777
}

/// A profile with `devices`, as the YAML parser would make it.
func profile(_ devices: [Device], name: String = "Block 4", file: String = "block4.yaml") -> InstallationProfile {
    InstallationProfile(
        name: name, file: file, firmware: .sourceTree(URL(fileURLWithPath: "/srv/firmware")), devices: devices)
}

/// Every 32-character run of hex digits in `text`, lower-cased: a key, if one leaked.
func hexRuns(in text: String) -> [String] {
    var runs: [String] = []
    var current = ""
    for character in text.lowercased() + " " {
        if character.isHexDigit {
            current.append(character)
        } else {
            if current.count >= 32 { runs.append(current) }
            current = ""
        }
    }
    return runs
}
