import Foundation
import MeterLogger
import Provisioning
import Testing
import TestSupport

/// The ledger's station rows: who may move a serial, and that a stale job never writes
/// over the board that took its serial over.
@Suite("Station ledger")
struct StationLedgerTests {
    let boardA = BoardIdentity(mac: "18:fe:34:aa:00:01", chipID: "0x00aa0001")
    let boardB = BoardIdentity(mac: "18:fe:34:bb:00:02", chipID: "0x00bb0002")

    func makeLedger(_ folder: URL) throws -> (KeyStore, InstallationProfile) {
        let profile = try InstallationProfile.load(path: try writeStationProfile(in: folder, count: 2))
        return (try KeyStore(path: folder.appendingPathComponent("ledger.sqlite").path), profile)
    }

    func serial(_ text: String) throws -> MeterSerial { try #require(MeterSerial(text)) }

    @Test func aSerialStillBeingFlashedOnAnotherBoardIsNotMovedByTheTechniciansAnswer() throws {
        let folder = try temporaryDirectory("station-ledger")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (store, profile) = try makeLedger(folder)
        let device = profile.devices[0]
        _ = try store.claimNextDevice(for: boardA, slot: "s1", candidates: [device], installation: profile.name, source: profile.file)
        #expect(throws: KeyStoreError.serialInProgress(serial: "3000001", mac: boardA.mac)) {
            try store.claim(device, for: boardB, slot: "s2", installation: profile.name, source: profile.file)
        }
        try store.markAssignmentFlashed(serial: device.serial, board: boardA)
        #expect(throws: KeyStoreError.serialInProgress(serial: "3000001", mac: boardA.mac)) {
            try store.claim(device, for: boardB, slot: "s2", installation: profile.name, source: profile.file)
        }
        let row = try #require(try store.assignments().first)
        #expect(row.board == boardA && row.state == .flashed)
    }

    @Test func aFailedSerialMovesToTheNewBoardWithItsTimesResetAndTheOldBoardsJobCannotWriteOverIt() throws {
        let folder = try temporaryDirectory("station-ledger")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (store, profile) = try makeLedger(folder)
        let device = profile.devices[0]
        _ = try store.claimNextDevice(for: boardA, slot: "s1", candidates: [device], installation: profile.name, source: profile.file)
        try store.markAssignmentFlashed(serial: device.serial, board: boardA)
        try store.markAssignmentFailed(serial: device.serial, board: boardA, reason: "boot check failed")

        let claim = try store.claim(device, for: boardB, slot: "s2", installation: profile.name, source: profile.file)
        guard case .claimed(let moved, _) = claim else { Issue.record("expected claimed, got \(claim)"); return }
        #expect(moved.board == boardB && moved.state == .assigned && moved.result.isEmpty)
        #expect(moved.flashedAt == nil && moved.provisionedAt == nil, "the new board has not been flashed")
        let entry = try #require(try store.entry(for: device.serial))
        #expect(entry.mac == boardB.mac && entry.chipID == boardB.chipID, "the device row names the new board")

        // The old board's job, still running somewhere, is told and changes nothing.
        #expect(throws: KeyStoreError.takenOver(serial: "3000001", mac: boardB.mac)) {
            try store.markAssignmentFlashed(serial: device.serial, board: boardA)
        }
        #expect(throws: KeyStoreError.takenOver(serial: "3000001", mac: boardB.mac)) {
            try store.markProvisioned(serial: device.serial, board: boardA, commissioned: false)
        }
        #expect(throws: KeyStoreError.takenOver(serial: "3000001", mac: boardB.mac)) {
            try store.markAssignmentFailed(serial: device.serial, board: boardA, reason: "stale")
        }
        let row = try #require(try store.assignments().first)
        #expect(row.board == boardB && row.state == .assigned && row.result.isEmpty)
        #expect(try store.entry(for: device.serial)?.mac == boardB.mac)

        try store.markAssignmentFlashed(serial: device.serial, board: boardB)
        try store.markProvisioned(serial: device.serial, board: boardB, commissioned: false)
        #expect(try store.assignments().first?.state == .provisioned)
    }

    @Test func aMovedSerialWhoseProfileKeyDiffersFromTheRecordedOneIsRefused() throws {
        let folder = try temporaryDirectory("station-ledger")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (store, profile) = try makeLedger(folder)
        let device = profile.devices[0]
        _ = try store.claimNextDevice(for: boardA, slot: "s1", candidates: [device], installation: profile.name, source: profile.file)
        try store.markAssignmentFailed(serial: device.serial, board: boardA, reason: "cable pulled")
        let other = Device(serial: device.serial, key: .given(try DeviceKey.random()))
        #expect(throws: KeyStoreError.keyConflict(serial: "3000001", source: profile.file)) {
            try store.claim(other, for: boardB, slot: "s2", installation: profile.name, source: profile.file)
        }
        #expect(try store.assignments().first?.board == boardA, "nothing moved")
    }

    @Test func aResumedBoardsRowSaysAssignedAgainWithoutTheOldFailure() throws {
        let folder = try temporaryDirectory("station-ledger")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (store, profile) = try makeLedger(folder)
        _ = try store.claimNextDevice(for: boardA, slot: "s1", candidates: profile.devices, installation: profile.name, source: profile.file)
        try store.markAssignmentFailed(serial: profile.devices[0].serial, board: boardA, reason: "the board was removed")
        #expect(try store.assignments().first?.state == .failed)

        let again = try store.claimNextDevice(for: boardA, slot: "s3", candidates: profile.devices, installation: profile.name, source: profile.file)
        guard case .resumed(let row, _) = again else { Issue.record("expected resumed, got \(again)"); return }
        #expect(row.state == .assigned && row.result.isEmpty && row.slot == "s3")
        #expect(try store.assignments().first?.state == .assigned)
    }

    @Test func aFailureIsNotRecordedOverAProvisionedBoard() throws {
        let folder = try temporaryDirectory("station-ledger")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (store, profile) = try makeLedger(folder)
        let device = profile.devices[0]
        _ = try store.claimNextDevice(for: boardA, slot: "s1", candidates: [device], installation: profile.name, source: profile.file)
        try store.markAssignmentFlashed(serial: device.serial, board: boardA)
        try store.markProvisioned(serial: device.serial, board: boardA, commissioned: false)
        try store.markAssignmentFailed(serial: device.serial, board: boardA, reason: "late")
        let row = try #require(try store.assignments().first)
        #expect(row.state == .provisioned && row.result == "ok")
        #expect(!(try store.events(serial: device.serial)).contains { $0.what == .failed })
    }
}
