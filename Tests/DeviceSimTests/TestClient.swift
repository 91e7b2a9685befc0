import DeviceSim
import ESPImage
import ESPProtocol
import Foundation
import SerialLink

/// A minimal ROM-protocol client for driving the twin in tests: raw requests out, SLIP-decoded
/// replies in. Deliberately not the real flasher (that is tested on its own).
final class TestClient {
    let link: any ByteLink
    private var decoder = SLIPDecoder()
    private var queued: [Response] = []

    init(_ link: any ByteLink) {
        self.link = link
    }

    func send(_ request: Request) throws {
        try link.write(SLIP.encode(request.encoded()))
    }

    /// Sends raw bytes (already framed, or deliberately broken).
    func sendRaw(_ bytes: [UInt8]) throws {
        try link.write(bytes)
    }

    /// Collects up to `count` replies, waiting at most `timeout` in all.
    func responses(count: Int, timeout: Duration = .seconds(2)) throws -> [Response] {
        let deadline = ContinuousClock.now + timeout
        while queued.count < count {
            let bytes = try link.read(maxCount: 4096, deadline: deadline)
            if bytes.isEmpty { break }
            for item in decoder.feed(bytes) {
                if case .packet(let packet) = item, let reply = Response(decoding: packet) { queued.append(reply) }
            }
        }
        let taken = Array(queued.prefix(count))
        queued.removeFirst(taken.count)
        return taken
    }

    /// Sends `request` and returns the first reply to its opcode (nil on timeout).
    func command(_ request: Request, timeout: Duration = .seconds(2)) throws -> Response? {
        try send(request)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let reply = try responses(count: 1, timeout: deadline - .now).first else { return nil }
            if reply.opcode == request.opcode { return reply }
        }
        return nil
    }

    /// SYNC, returning every reply that arrives within `window`.
    func sync(window: Duration = .seconds(1)) throws -> [Response] {
        try send(.sync())
        return try responses(count: ROMLoaderEngine.syncReplyCount, timeout: window)
    }

    func readRegister(_ address: UInt32) throws -> UInt32? {
        guard let reply = try command(.readReg(address)), !reply.status.failed else { return nil }
        return reply.value
    }

    /// Every byte that arrives within `duration`.
    func readBytes(for duration: Duration) throws -> [UInt8] {
        let deadline = ContinuousClock.now + duration
        var bytes: [UInt8] = []
        while ContinuousClock.now < deadline {
            bytes += try link.read(maxCount: 4096, deadline: deadline)
        }
        return bytes
    }

    /// Reads until `marker` appears in the text or `timeout` passes; returns the text.
    func readText(until marker: String, timeout: Duration = .seconds(2)) throws -> String {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while ContinuousClock.now < deadline {
            bytes += try link.read(maxCount: 4096, deadline: deadline)
            if String(decoding: bytes, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads until `count` bytes arrived or `timeout` passed.
    func readBytes(count: Int, timeout: Duration = .seconds(2)) throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while bytes.count < count && ContinuousClock.now < deadline {
            bytes += try link.read(maxCount: count - bytes.count, deadline: deadline)
        }
        return bytes
    }

    /// Drops whatever arrived so far (boot noise) and resets the decoder.
    func flush() throws {
        _ = try readBytes(for: .milliseconds(20))
        decoder.reset()
        queued = []
    }
}

/// Builds ESP8266 v1 images for boot tests (docs/esp8266-rom-protocol.md, "Image format").
enum TestImage {
    static func build(segments: [(address: UInt32, data: [UInt8])], entry: UInt32 = 0x4010_0004, corruptChecksum: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = [ESP8266Image.magic, UInt8(segments.count), FlashMode.dout.rawValue, FlashSize.size1MB.rawValue << 4]
        bytes.appendLE32(entry)
        var checksum = ESP8266Image.checksumSeed
        for segment in segments {
            bytes.appendLE32(segment.address)
            bytes.appendLE32(UInt32(segment.data.count))
            bytes += segment.data
            checksum = segment.data.reduce(checksum, ^)
        }
        while (bytes.count + 1) % 16 != 0 { bytes.append(0) }
        bytes.append(corruptChecksum ? checksum ^ 0x5A : checksum)
        return bytes
    }

    /// A two-segment image: 36 bytes of IRAM, 20 bytes of DRAM.
    static let segments: [(address: UInt32, data: [UInt8])] = [
        (0x4010_0000, (0..<36).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }),
        (0x3FFE_8000, (0..<20).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }),
    ]

    static func expectedChecksums() -> [UInt8] {
        var running = ESP8266Image.checksumSeed
        return segments.map { segment in
            running = segment.data.reduce(running, ^)
            return running
        }
    }
}

/// Data for FLASH_DATA packets without SLIP-special bytes, so that byte indexes on the wire
/// equal indexes in the packet.
func plainPacket(_ seed: UInt8, size: Int = ESP8266.flashPacketSize) -> [UInt8] {
    (0..<size).map { i in
        let value = UInt8(truncatingIfNeeded: i &* 3 &+ Int(seed))
        return value == SLIP.end || value == SLIP.escape ? 0x55 : value
    }
}
