import Basics
import DeviceDiscovery
import DeviceSim
import Foundation
import MeterLogger
import Provisioning
import ESPImage
import Station
import Synchronization
import Testing
import TestSupport

/// The station engine against device twins on pseudo-terminals, in this process.
@Suite("Station engine")
struct StationEngineTests {
    func makeStation(
        profilePath: String, folder: URL, jobs: Int, askSerial: Bool = false, technician: (any TechnicianDesk)? = nil
    ) throws -> (Station, KeyStore) {
        let profile = try InstallationProfile.load(path: profilePath)
        let ledger = try KeyStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        let builder = FirmwareBuilderForTests.make(cache: folder.appendingPathComponent("cache"))
        let configuration = StationConfiguration(profile: profile, jobs: jobs, reset: .none, connectAttempts: 3, askSerial: askSerial)
        return (Station(configuration: configuration, ledger: ledger, builder: builder, technician: technician), ledger)
    }

    @Test func threeBoardsInParallelEachGetTheirOwnDeviceAndKey() async throws {
        let folder = try temporaryDirectory("station")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profilePath = try writeStationProfile(in: folder, count: 3)
        let boards = try (1...3).map { try BenchBoard(index: $0) }
        defer { boards.forEach { $0.stop() } }
        let (station, ledger) = try makeStation(profilePath: profilePath, folder: folder, jobs: 3)
        let log = EventLog()

        let summary = await station.run(boards: FixedPorts.events(boards.map(\.port), watch: false)) { log.record($0) }

        #expect(summary.done.count == 3, "\(summary.failed.map { "\($0.slot): \($0.failure ?? "")" })")
        let assignments = try ledger.assignments()
        #expect(assignments.map(\.serial.text).sorted() == ["3000001", "3000002", "3000003"])
        #expect(assignments.allSatisfy { $0.state == .provisioned })
        let keys = try ledgerKeys(ledger.path)
        #expect(Set(keys.values).count == 3, "each device its own key")
        for board in boards {
            let row = try #require(assignments.first { $0.board.mac == board.mac }, "the ledger ties board \(board.mac)")
            let booted = try #require(board.twin.firmwareIdentity, "board \(board.mac) booted the demo firmware")
            #expect(booted.serial == row.serial.text)
            #expect(booted.key.hex == keys[row.serial.ledgerText], "the board carries its device's key")
            #expect(board.flashedIdentity()?.serial == row.serial.text)
        }
        // Every slot went through the phases in order and ended done.
        for board in boards {
            let phases = log.all.filter { $0.port == board.port }.map(\.phase.name)
            let order = ["connecting", "claiming", "building", "flashing", "booting", "done"]
            let firsts = order.compactMap { phases.firstIndex(of: $0) }
            #expect(firsts.count == order.count && firsts == firsts.sorted(), "\(phases)")
        }
    }

    @Test func aBoardPulledMidFlashFailsAndResumesWhenPluggedInAgain() async throws {
        let folder = try temporaryDirectory("station")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profilePath = try writeStationProfile(in: folder, count: 2)
        let board = try BenchBoard(index: 7)
        defer { board.stop() }
        // Once the flasher stub runs (connected, stub uploaded), 1500 bytes later: inside the
        // firmware's first compressed part.
        let armed = Mutex(false)
        board.twin.onEvent = { [twin = board.twin] event in
            guard case .stubStarted = event, !armed.withLock({ $0 }) else { return }
            armed.withLock { $0 = true }
            twin.arm(.pullCable(at: 1_500))
        }
        let (station, ledger) = try makeStation(profilePath: profilePath, folder: folder, jobs: 2)
        let log = EventLog()
        let (source, plug) = AsyncStream<AdapterEvent>.makeStream()
        plug.yield(.arrived(SerialAdapter(devicePath: board.port, vendorID: 0, productID: 0)))

        let run = Task { await station.run(boards: source) { log.record($0) } }
        let failure = await log.next { if case .failed = $0.phase { true } else { false } }
        if let failure {
            plug.yield(.removed(devicePath: failure.port))
            try board.replug()
            plug.yield(.arrived(SerialAdapter(devicePath: board.port, vendorID: 0, productID: 0)))
        }
        let done = await log.next { $0.phase == .done }
        plug.finish()
        if done == nil { run.cancel() }
        let summary = await run.value
        #expect(done != nil, "the re-plugged board was finished: \(log.all.map { "\($0.phase.name) \($0.result ?? "")" })")

        let failed = try #require(failure)
        let reason = try #require(failed.result)
        #expect(reason.contains("writing"), "failed mid-flash: \(reason)")
        #expect(failed.help != nil, "the failure says what to try")
        let before = log.all.prefix { $0 != failed }.filter { $0.port == failed.port }
        #expect(before.contains { $0.phase.name == "flashing" })
        #expect(summary.done.count == 1 && summary.failed.count == 1)
        #expect(summary.done.first?.serial == failed.serial, "the re-plugged board continued its device")
        let assignments = try ledger.assignments()
        #expect(assignments.count == 1, "the board took one device, not two")
        #expect(assignments.first?.board.mac == board.mac)
        #expect(assignments.first?.state == .provisioned)
        let serial = try #require(assignments.first?.serial)
        #expect(try ledger.events(serial: serial).filter { $0.what == .generated }.count == 1, "one key, kept across the failure")
        #expect(try ledger.events(serial: serial).contains { $0.what == .failed })
        #expect(board.twin.firmwareIdentity?.serial == serial.text)
        #expect(board.twin.firmwareIdentity?.key.hex == (try ledgerKeys(ledger.path))[serial.ledgerText])
    }

    @Test func aBoardReplugedWhileItsOldJobIsStillWindingDownIsStartedWhenThatJobEnds() async throws {
        let folder = try temporaryDirectory("station")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profilePath = try writeStationProfile(in: folder, count: 2)
        let board = try BenchBoard(index: 9)
        defer { board.stop() }
        // The first question stays open until the test has re-plugged the board: its job
        // cannot end before the new arrival is seen. The second question gets a serial.
        let gate = Gate()
        let desk = ScriptedDesk { index, _ in
            if index == 0 {
                await gate.wait()
                return nil
            }
            return "3000002"
        }
        let (station, ledger) = try makeStation(profilePath: profilePath, folder: folder, jobs: 2, askSerial: true, technician: desk)
        let log = EventLog()
        let (source, plug) = AsyncStream<AdapterEvent>.makeStream()
        let hubSlot = "/dev/serial/by-path/hub-port-1"
        plug.yield(.arrived(SerialAdapter(devicePath: board.port, byPath: hubSlot, vendorID: 0, productID: 0)))
        let run = Task { await station.run(boards: source) { log.record($0) } }

        let claiming = await log.next { $0.slot == hubSlot && $0.phase == .claiming }
        #expect(claiming != nil, "the board reached the question")
        let oldPort = board.port
        plug.yield(.removed(devicePath: oldPort))
        try board.replug()
        plug.yield(.arrived(SerialAdapter(devicePath: board.port, byPath: hubSlot, vendorID: 0, productID: 0)))
        // A marker slot after the re-plug: once it shows, the station has seen the re-plug.
        let marker = "/dev/serial/by-path/marker"
        plug.yield(.arrived(SerialAdapter(devicePath: folder.appendingPathComponent("no-such-tty").path, byPath: marker, vendorID: 0, productID: 0)))
        let markerSeen = await log.next { $0.slot == marker }
        #expect(markerSeen != nil)
        gate.open()

        let done = await log.next { $0.slot == hubSlot && $0.phase == .done }
        plug.finish()
        if done == nil { run.cancel() }
        let summary = await run.value

        #expect(done != nil, "the re-plugged board was worked on: \(log.all.filter { $0.slot == hubSlot }.map(\.phase.name))")
        #expect(desk.asked.count == 2, "the new arrival asked again")
        let outcomes = summary.outcomes.filter { $0.slot == hubSlot }
        #expect(outcomes.count == 2)
        #expect(outcomes.contains { $0.failure == "the board was removed" })
        #expect(outcomes.contains { $0.succeeded && $0.serial == "3000002" })
        let rows = try ledger.assignments()
        #expect(rows.count == 1 && rows.first?.serial.text == "3000002" && rows.first?.state == .provisioned)
        #expect(board.twin.firmwareIdentity?.serial == "3000002")
    }

    @Test func questionsToTheTechnicianAreAskedOneAtATimeAndEachAnswerGoesToItsBoard() async throws {
        let folder = try temporaryDirectory("station")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profilePath = try writeStationProfile(in: folder, count: 2)
        let boards = try (1...2).map { try BenchBoard(index: 60 + $0) }
        defer { boards.forEach { $0.stop() } }
        // The technician takes a while to type; the answer names the board it is for.
        let desk = ScriptedDesk { _, request in
            for _ in 0..<20 {
                try? await Task.sleep(for: .milliseconds(10))
                await Task.yield()
            }
            return request.mac.hasSuffix(":3d") ? "3000001" : "3000002"
        }
        let (station, ledger) = try makeStation(profilePath: profilePath, folder: folder, jobs: 2, askSerial: true, technician: desk)
        let summary = await station.run(boards: FixedPorts.events(boards.map(\.port), watch: false)) { _ in }

        #expect(summary.done.count == 2, "\(summary.failed.map { $0.failure ?? "" })")
        #expect(desk.asked.count == 2)
        #expect(desk.mostAtOnce == 1, "one question open at a time")
        let rows = try ledger.assignments()
        for board in boards {
            let row = try #require(rows.first { $0.board.mac == board.mac })
            #expect(row.serial.text == (board.mac.hasSuffix(":3d") ? "3000001" : "3000002"))
            #expect(board.twin.firmwareIdentity?.serial == row.serial.text)
        }
    }

    @Test func concurrentClaimsNeverShareADeviceOrABoard() async throws {
        let folder = try temporaryDirectory("station")
        defer { try? FileManager.default.removeItem(at: folder) }
        let profile = try InstallationProfile.load(path: try writeStationProfile(in: folder, count: 3))
        let path = folder.appendingPathComponent("ledger.sqlite").path
        _ = try KeyStore(path: path)
        // Eight boards ask at once, each through its own ledger connection (as stations in
        // separate processes would).
        let claims = await withTaskGroup(of: StationClaim?.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let board = BoardIdentity(mac: String(format: "18:fe:34:00:01:%02x", index), chipID: hex(UInt32(index)))
                    guard let store = try? KeyStore(path: path) else { return nil }
                    return try? store.claimNextDevice(for: board, slot: "slot\(index)", candidates: profile.devices, installation: profile.name, source: profile.file)
                }
            }
            var all: [StationClaim?] = []
            for await claim in group { all.append(claim) }
            return all
        }
        var serials: [String] = []
        var exhausted = 0
        for claim in claims {
            switch claim {
            case .claimed(let row, _): serials.append(row.serial.text)
            case .exhausted: exhausted += 1
            default: Issue.record("unexpected claim \(String(describing: claim))")
            }
        }
        #expect(serials.sorted() == ["3000001", "3000002", "3000003"])
        #expect(exhausted == 5)
        // The same board asking again gets its own device back, not another.
        let store = try KeyStore(path: path)
        let first = try #require(try store.assignments().first)
        let again = try store.claimNextDevice(for: first.board, slot: "elsewhere", candidates: profile.devices, installation: profile.name, source: profile.file)
        guard case .resumed(let row, _) = again else { Issue.record("expected resumed, got \(again)"); return }
        #expect(row.serial == first.serial && row.slot == "elsewhere")
    }
}

import FirmwareBuild

/// The builder with the package's own mlprov as the Makefile's ESPTOOL (elf2image).
enum FirmwareBuilderForTests {
    static func make(cache: URL) -> FirmwareBuilder {
        FirmwareBuilder(cacheRoot: cache, esptool: mlprovBinary)
    }
}
