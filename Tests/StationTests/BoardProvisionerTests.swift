import DeviceSim
import ESPFlasher
import Foundation
import MeterLogger
import Provisioning
import Station
import Synchronization
import Testing
import TestSupport

/// The one pipeline for one board, driven over a twin's in-process cable: its DTR/RTS reach
/// the twin's reset circuit, so the classic reset into the loader and the hard reset into
/// the firmware before the boot check are the real ones.
@Suite("Board pipeline")
struct BoardProvisionerTests {
    /// A twin on an in-process cable, in download mode only by its reset circuit.
    func makeTwin(mac last: UInt8) throws -> ESP8266Twin {
        var configuration = TwinConfiguration()
        configuration.mac = try #require(MACAddress(bytes: [0x18, 0xFE, 0x34, 0x6B, 0x00, last]))
        configuration.initialBootMode = .flash
        return ESP8266Twin(configuration: configuration)
    }

    func provisioner(_ profile: InstallationProfile, folder: URL, record: any DeviceRecord) -> BoardProvisioner {
        BoardProvisioner(
            profile: profile, builder: FirmwareBuilderForTests.make(cache: folder.appendingPathComponent("cache")),
            loader: LoaderSettings(baud: 921_600, reset: .classic, attempts: 3), steps: ProvisioningSteps(bootCheck: true), record: record)
    }

    @Test func aBoardIsClaimedFlashedAndBootCheckedThroughTheClassicResetAndAHardReset() async throws {
        let folder = try temporaryDirectory("pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try InstallationProfile.load(path: try writeStationProfile(in: folder, count: 2))
        let ledger = try KeyStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        let twin = try makeTwin(mac: 1)
        defer { twin.stop() }
        let device = try #require(profile.device(serial: "3000002"))
        let record = LedgerAssignment(ledger: ledger, profile: profile, slot: "bench", choice: .device(device), stop: StopToken())
        let steps = Mutex<[String]>([])

        let result = try await provisioner(profile, folder: folder, record: record).run(on: .link(twin.connectInProcess())) { event in
            if case .phase(let step) = event { steps.withLock { $0.append(step.rawValue) } }
        }

        #expect(result.serial.text == "3000002")
        #expect(result.loader == .stub)
        #expect(result.after == .hardReset, "the boot check hard-resets through RTS")
        #expect(steps.withLock { $0 } == ["connecting", "claiming", "building", "flashing", "booting"])
        // The twin was put into its loader by DTR/RTS and booted its firmware by RTS.
        let boots = twin.boots.map { "\($0.mode)/\($0.trigger)" }
        #expect(twin.boots.contains { $0.mode == .download && $0.trigger == .resetPin }, "DTR/RTS put it into the loader: \(boots)")
        #expect(twin.boots.last?.mode == .flash && twin.boots.last?.trigger == .resetPin, "RTS booted the firmware: \(boots)")
        let booted = try #require(twin.firmwareIdentity, "the twin runs the flashed firmware")
        #expect(booted.serial == "3000002")
        let row = try #require(try ledger.assignments().first)
        #expect(row.state == .provisioned && row.board.mac == twin.configuration.mac.description.lowercased())
        #expect(booted.key.hex == (try ledgerKeys(ledger.path))["3000002"], "the board carries the key the ledger recorded")
    }

    @Test func aSecondRunOnAProvisionedBoardChangesNothing() async throws {
        let folder = try temporaryDirectory("pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try InstallationProfile.load(path: try writeStationProfile(in: folder, count: 1))
        let ledger = try KeyStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        let twin = try makeTwin(mac: 2)
        defer { twin.stop() }
        let device = try #require(profile.device(serial: "3000001"))
        let record = LedgerAssignment(ledger: ledger, profile: profile, slot: "bench", choice: .device(device), stop: StopToken())
        let link = twin.connectInProcess()
        _ = try await provisioner(profile, folder: folder, record: record).run(on: .link(link))
        let flashed = twin.flash.contents

        let again = try await provisioner(profile, folder: folder, record: record).run(on: .link(link))

        #expect(again.wasAlreadyProvisioned)
        #expect(again.plan == nil, "nothing was planned or written")
        #expect(twin.flash.contents == flashed)
    }

    @Test func aCablePulledMidFlashFailsTheDeviceInTheLedgerWithTheReason() async throws {
        let folder = try temporaryDirectory("pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try InstallationProfile.load(path: try writeStationProfile(in: folder, count: 1))
        let ledger = try KeyStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        let device = try #require(profile.device(serial: "3000001"))
        // How many bytes a whole provisioning sends to the board, measured on a first twin
        // (no ledger); the cable of the second is pulled three quarters of the way.
        let measured = try makeTwin(mac: 4)
        defer { measured.stop() }
        let key = try KeyResolver(store: ledger).key(for: device, in: profile)
        _ = try await provisioner(profile, folder: folder, record: UnrecordedDevice(device: device, key: key)).run(on: .link(measured.connectInProcess()))
        let total = measured.counters.bytesReceived
        #expect(total > 10_000, "the stub upload and the parts went over the cable")
        var configuration = TwinConfiguration()
        configuration.initialBootMode = .flash
        configuration.faults.lineFaults = [.pullCable(at: total * 3 / 4)]
        let twin = ESP8266Twin(configuration: configuration)
        defer { twin.stop() }
        let record = LedgerAssignment(ledger: ledger, profile: profile, slot: "bench", choice: .device(device), stop: StopToken())

        var failure: BoardProvisioningError?
        do {
            _ = try await provisioner(profile, folder: folder, record: record).run(on: .link(twin.connectInProcess()))
        } catch {
            failure = error
        }

        let error = try #require(failure, "a pulled cable fails the board")
        guard case .connection = error else { Issue.record("a loader failure, not \(error)"); return }
        #expect(error.help != nil)
        let row = try #require(try ledger.assignments().first)
        #expect(row.state == .failed)
        #expect(row.result == error.description, "the ledger keeps the reason: \(row.result)")
    }
}
