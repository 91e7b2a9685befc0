import Foundation
import SerialLink

/// A minimal client of mlprov's flasher stub that builds requests and parses replies by
/// hand from firmware/stub/PROTOCOL.md, independently of ESPFlasher: the host-stub tests
/// and the emulated-LX106 tests speak to the stub's C code with it.
public struct StubWireClient {
    public struct Reply: Sendable, Equatable {
        public var value: UInt32
        public var data: [UInt8]
        /// 0 for success, 1 for failure (the stub's first status byte).
        public var status: UInt8
        /// The stub's error code (its first status byte as sent).
        public var error: UInt8
    }

    /// A frame that is not the reply asked for, or none in time.
    public enum Failure: Error, CustomStringConvertible {
        case timeout(after: Duration)
        case notAReply(to: UInt8, frame: [UInt8])

        public var description: String {
            switch self {
            case .timeout(let after): "no frame from the stub within \(after)"
            case .notAReply(let opcode, let frame): "not a reply to \(opcode): \(frame.prefix(32))"
            }
        }
    }

    public let port: SerialPort
    private let pending = Pending()

    public init(port: SerialPort) {
        self.port = port
    }

    public init(path: String) throws {
        self.init(port: try SerialPort(path: path))
    }

    /// Bytes received after the last complete frame.
    private final class Pending: @unchecked Sendable {
        // @unchecked: one test thread uses a client at a time.
        var bytes: [UInt8] = []
    }

    /// Sends `packet` SLIP-framed.
    public func sendRaw(_ packet: [UInt8]) throws {
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

    /// A request: direction 0, `opcode`, length, checksum, payload.
    public func send(_ opcode: UInt8, _ payload: [UInt8], checksum: UInt32 = 0) throws {
        let length = UInt16(payload.count)
        try sendRaw([0x00, opcode, UInt8(length & 0xFF), UInt8(length >> 8)] + le32(checksum) + payload)
    }

    /// A data request (FLASH_DATA, MEM_DATA, …): size, sequence, two zero words, the data,
    /// with the loader's checksum (XOR seeded with 0xEF) unless one is given.
    public func sendData(_ opcode: UInt8, _ data: [UInt8], sequence: Int, checksum: UInt32? = nil) throws {
        let header = le32(UInt32(data.count)) + le32(UInt32(sequence)) + le32(0) + le32(0)
        try send(opcode, header + data, checksum: checksum ?? UInt32(data.reduce(0xEF, ^)))
    }

    /// The next SLIP frame, decoded; throws after `timeout` without one (generous: a loaded
    /// machine).
    public func frame(timeout: Duration = .seconds(30)) throws -> [UInt8] {
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
            if bytes.isEmpty { throw Failure.timeout(after: timeout) }
            pending.bytes += bytes
        }
    }

    /// The next frame as a reply to `opcode` (value, data, and the two status bytes).
    public func reply(_ opcode: UInt8, timeout: Duration = .seconds(30)) throws -> Reply {
        let frame = try frame(timeout: timeout)
        guard frame.count >= 10, frame[0] == 0x01, frame[1] == opcode else { throw Failure.notAReply(to: opcode, frame: frame) }
        let value = UInt32(frame[4]) | UInt32(frame[5]) << 8 | UInt32(frame[6]) << 16 | UInt32(frame[7]) << 24
        return Reply(value: value, data: Array(frame[8..<(frame.count - 2)]), status: frame[frame.count - 2] == 0 ? 0 : 1, error: frame[frame.count - 2])
    }
}

/// `value` as four little-endian bytes.
public func le32(_ value: UInt32) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
}
