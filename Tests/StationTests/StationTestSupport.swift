import DeviceDiscovery
import DeviceSim
import ESPFlasher
import ESPImage
import Foundation
import MeterLogger
import Provisioning
import Station
import Synchronization
import TestSupport

/// A profile of `count` demo-firmware devices (serials 3000001…), every key `generate`,
/// meter kinds alternating kmp / mc66c so that the boards' firmware differs.
func writeStationProfile(in folder: URL, count: Int, firstSerial: Int = 3_000_001) throws -> String {
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
    static let slowFlash = TimingModel(paced: true, sectorErase: .seconds(1), pageProgram: .milliseconds(40))
}

final class BenchBoard: @unchecked Sendable {
    // @unchecked: `front` changes only from the test's own flow.
    let twin: ESP8266Twin
    private(set) var front: TwinPTYFront

    init(index: Int, timing: TimingModel = .off) throws {
        var configuration = TwinConfiguration()
        guard let mac = MACAddress(bytes: [0x18, 0xFE, 0x34, 0x5A, 0x00, UInt8(index)]) else { throw BenchError.badMAC }
        configuration.mac = mac
        configuration.timing = timing
        twin = ESP8266Twin(configuration: configuration)
        front = try twin.servePseudoTerminal()
    }

    var port: String { front.slavePath }
    var mac: String { twin.configuration.mac.description.lowercased() }

    func replug() throws {
        front = try twin.servePseudoTerminal()
    }

    func stop() {
        front.stop()
        twin.stop()
    }

    /// The identity of the demo firmware in the board's flash (serial, key), read from
    /// the app image at offset 0 as the twin would boot it; nil when none is there.
    func flashedIdentity() -> DemoFirmwareConfig? {
        let flash = twin.flash.contents
        guard let image = try? ESP8266Image(parsing: Array(flash[0..<0x10000])) else { return nil }
        for segment in image.segments {
            if let found = try? DemoFirmwareConfig.find(in: segment.data) { return found.config }
        }
        return nil
    }
}

enum BenchError: Error { case badMAC }

/// Collects a station's events and lets a test wait for one.
final class EventLog: Sendable {
    private let events = Mutex<[StationEvent]>([])
    let stream: AsyncStream<StationEvent>
    private let continuation: AsyncStream<StationEvent>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream()
    }

    func record(_ event: StationEvent) {
        events.withLock { $0.append(event) }
        continuation.yield(event)
    }

    func finish() { continuation.finish() }

    var all: [StationEvent] { events.withLock { $0 } }
}

/// The ledger's keys by serial, read (as `keys export` does) for comparing runs.
func ledgerKeys(_ path: String) throws -> [String: String] {
    let store = try KeyStore(path: path)
    return Dictionary(uniqueKeysWithValues: try store.exportRows(destination: "test").map { ($0.serial.ledgerText, $0.key.hex) })
}
