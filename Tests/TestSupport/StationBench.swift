import DeviceDiscovery
import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import Provisioning
import Station
import Synchronization

/// A profile of `count` demo-firmware devices (serials 3000001…), every key `generate`,
/// meter kinds alternating kmp / mc66c so that the boards' firmware differs.
public func writeStationProfile(in folder: URL, count: Int, firstSerial: Int = 3_000_001) throws -> String {
    var text = """
        installation:
          name: station test
        firmware:
          source: \(packageRoot.appendingPathComponent("firmware/demo").path)
        flash:
          mode: dout
          size: 1MB
          freq: 40m
          baud: 921600
        defaults:
          meter: kmp
          ap: true
        devices:

        """
    for index in 0..<count {
        text += "  - serial: \(firstSerial + index)\n    key: generate\n"
        if index % 2 == 1 { text += "    meter: mc66c\n" }
    }
    let path = folder.appendingPathComponent("station.yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A board on the bench: an in-process twin with its own MAC, served on a pseudo-terminal
/// (what the station opens as a port). `replug()` is pulling and plugging the USB cable:
/// a new pseudo-terminal, the chip powered up again in download mode, flash kept.
extension TimingModel {
    /// Paced, with a worn flash chip (1 s per sector erase, 40 ms per page): writing the
    /// demo firmware takes seconds whatever the line rate, so a test can interrupt a flash.
    public static let slowFlash = TimingModel(paced: true, sectorErase: .seconds(1), pageProgram: .milliseconds(40))
}

public final class BenchBoard: @unchecked Sendable {
    // @unchecked: `front` changes only from the test's own flow.
    public let twin: ESP8266Twin
    public private(set) var front: TwinPTYFront

    public init(index: Int, timing: TimingModel = .off) throws {
        var configuration = TwinConfiguration()
        guard let mac = MACAddress(bytes: [0x18, 0xFE, 0x34, 0x5A, 0x00, UInt8(index)]) else { throw BenchError.badMAC }
        configuration.mac = mac
        configuration.timing = timing
        twin = ESP8266Twin(configuration: configuration)
        front = try twin.servePseudoTerminal()
    }

    public var port: String { front.slavePath }
    public var mac: String { twin.configuration.mac.description.lowercased() }

    public func replug() throws {
        front = try twin.servePseudoTerminal()
    }

    public func stop() {
        front.stop()
        twin.stop()
    }

    /// The identity of the demo firmware in the board's flash (serial, key), read from
    /// the app image at offset 0 as the twin would boot it; nil when none is there.
    public func flashedIdentity() -> DemoFirmwareConfig? {
        let flash = twin.flash.contents
        guard let image = try? ESP8266Image(parsing: Array(flash[0..<0x10000])) else { return nil }
        for segment in image.segments {
            if let found = try? DemoFirmwareConfig.find(in: segment.data) { return found.config }
        }
        return nil
    }
}

public enum BenchError: Error { case badMAC }

/// Collects a station's events and lets a test wait for one.
public final class EventLog: Sendable {
    public init() {}

    /// The events so far, and how many of them `next` has gone past.
    private let state = Mutex<(events: [StationEvent], consumed: Int)>(([], 0))

    public func record(_ event: StationEvent) {
        state.withLock { $0.events.append(event) }
    }

    /// The next event (after those already waited for) that `matches`; nil when none came
    /// within `timeout` (a generous bound against hangs, not a speed check). Polls the
    /// recorded events: an AsyncStream would end for good when a waiter is cancelled.
    public func next(timeout: Duration = .seconds(240), where matches: @escaping @Sendable (StationEvent) -> Bool) async -> StationEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found: StationEvent? = state.withLock { state in
                guard let index = state.events[state.consumed...].firstIndex(where: matches) else { return nil }
                state.consumed = index + 1
                return state.events[index]
            }
            if let found { return found }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    public var all: [StationEvent] { state.withLock { $0.events } }
}

/// The ledger's keys by serial, read (as `keys export` does) for comparing runs.
public func ledgerKeys(_ path: String) throws -> [String: String] {
    let store = try KeyStore(path: path)
    return Dictionary(uniqueKeysWithValues: try store.exportRows(destination: "test").map { ($0.serial.ledgerText, $0.key.hex) })
}

/// A technician at the station, scripted: each question is recorded; `answer` gives the
/// reply for the n-th question (0-based) and may wait (a technician who has not typed yet).
public final class ScriptedDesk: TechnicianDesk {
    private let state = Mutex<(asked: [SerialRequest], inFlight: Int, mostAtOnce: Int)>(([], 0, 0))
    public let answer: @Sendable (Int, SerialRequest) async -> String?

    public init(answer: @escaping @Sendable (Int, SerialRequest) async -> String?) {
        self.answer = answer
    }

    public func serial(for request: SerialRequest) async -> String? {
        let index = state.withLock { state in
            state.asked.append(request)
            state.inFlight += 1
            state.mostAtOnce = max(state.mostAtOnce, state.inFlight)
            return state.asked.count - 1
        }
        let reply = await answer(index, request)
        state.withLock { $0.inFlight -= 1 }
        return reply
    }

    public var asked: [SerialRequest] { state.withLock { $0.asked } }
    /// The most questions that were open at the same time.
    public var mostAtOnce: Int { state.withLock { $0.mostAtOnce } }
}

/// A door a test opens once; whoever waits at it goes on then (at once if already open).
public final class Gate: Sendable {
    public init() {}

    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    public func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach { $0.resume() }
    }

    public func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}
