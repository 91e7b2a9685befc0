import Foundation
import MeterLogger
import Provisioning
import TestSupport

/// The shared fixture's names, as the ledger's tests have always called them.
let keyA = LedgerFixture.keyA
let keyB = LedgerFixture.keyB
let keyC = LedgerFixture.keyC
func key(_ hex: String) -> DeviceKey { LedgerFixture.key(hex) }
func serial(_ text: String) -> MeterSerial { LedgerFixture.serial(text) }
func mode(of path: String) throws -> mode_t { try LedgerFixture.mode(of: path) }
func hexRuns(in text: String) -> [String] { LedgerFixture.hexRuns(in: text) }

/// A fresh ledger in its own temporary folder, written by user "tester" at a fixed time.
func makeLedger(at date: Date = Date(timeIntervalSince1970: 1_750_000_000)) throws -> KeyStore {
    let folder = try temporaryDirectory("ledger")
    return try KeyStore(path: folder.appendingPathComponent("ledger.sqlite").path, user: "tester", clock: { date })
}

/// A profile with `devices`, as the YAML parser would make it.
func profile(_ devices: [Device], name: String = "Block 4", file: String = "block4.yaml") -> InstallationProfile {
    InstallationProfile(
        name: name, file: file, firmware: .sourceTree(URL(fileURLWithPath: "/srv/firmware")), devices: devices)
}
