import Foundation
import SerialLink
import Testing

/// A minimal client that builds requests and parses replies by hand (firmware/stub/PROTOCOL.md),
/// as the host-stub tests do (Tests/ESPFlasherTests/FlasherStubBuildTests.swift).
struct WireClient {
    struct Reply {
        var value: UInt32
        var data: [UInt8]
        var status: UInt8
        var error: UInt8
    }

    let port: SerialPort
    private let pending = Pending()

    init(path: String) throws {
        port = try SerialPort(path: path)
    }

    final class Pending: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    func sendRaw(_ packet: [UInt8]) throws {
        var framed: [UInt8] = [0xC0]
        for byte in packet {
            switch byte {
            case 0xC0: framed += [0xDB, 0xDC]
            case 0xDB: framed += [0xDB, 0xDD]
            default: framed.append(byte)
            }
        }
        framed.append(0xC0)
        try port.write(framed)
    }

    func send(_ opcode: UInt8, _ payload: [UInt8], checksum: UInt32 = 0) throws {
        let length = UInt16(payload.count)
        try sendRaw([0x00, opcode, UInt8(length & 0xFF), UInt8(length >> 8)] + le32(checksum) + payload)
    }

    func sendData(_ opcode: UInt8, _ data: [UInt8], sequence: Int, checksum: UInt32? = nil) throws {
        let header = le32(UInt32(data.count)) + le32(UInt32(sequence)) + le32(0) + le32(0)
        try send(opcode, header + data, checksum: checksum ?? UInt32(data.reduce(0xEF, ^)))
    }

    /// The next SLIP frame, decoded; throws after 30 s without one (a loaded machine).
    func frame(timeout: Duration = .seconds(30)) throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let end = pending.bytes.firstIndex(of: 0xC0) {
                let raw = Array(pending.bytes[..<end])
                pending.bytes.removeFirst(end + 1)
                if raw.isEmpty { continue }
                var decoded: [UInt8] = []
                var escaped = false
                for byte in raw {
                    if escaped {
                        decoded.append(byte == 0xDC ? 0xC0 : 0xDB)
                        escaped = false
                    } else if byte == 0xDB {
                        escaped = true
                    } else {
                        decoded.append(byte)
                    }
                }
                return decoded
            }
            let bytes = try port.read(maxCount: 65_536, deadline: deadline)
            if bytes.isEmpty { throw WireTimeout() }
            pending.bytes += bytes
        }
    }

    func reply(_ opcode: UInt8) throws -> Reply {
        let frame = try frame()
        try #require(frame.count >= 10 && frame[0] == 0x01 && frame[1] == opcode, "reply to \(opcode): \(frame.prefix(32))")
        let value = UInt32(frame[4]) | UInt32(frame[5]) << 8 | UInt32(frame[6]) << 16 | UInt32(frame[7]) << 24
        return Reply(value: value, data: Array(frame[8..<(frame.count - 2)]), status: frame[frame.count - 2] == 0 ? 0 : 1, error: frame[frame.count - 2])
    }
}

struct WireTimeout: Error {}

func le32(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
}

/// Deterministic test bytes.
struct SplitMix: Sendable {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
