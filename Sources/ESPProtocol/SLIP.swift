/// SLIP framing as the ESP ROM loader uses it (RFC 1055 without the leading END byte
/// convention): every packet sits between two 0xC0 bytes; inside, 0xC0 travels as
/// 0xDB 0xDC and 0xDB as 0xDB 0xDD.
public enum SLIP {
    public static let end: UInt8 = 0xC0
    public static let escape: UInt8 = 0xDB
    public static let escapedEnd: UInt8 = 0xDC
    public static let escapedEscape: UInt8 = 0xDD

    /// Frames one packet: 0xC0, the escaped bytes, 0xC0.
    public static func encode(_ packet: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(packet.count + packet.count / 64 + 2)
        out.append(end)
        for byte in packet {
            switch byte {
            case end: out += [escape, escapedEnd]
            case escape: out += [escape, escapedEscape]
            default: out.append(byte)
            }
        }
        out.append(end)
        return out
    }

    /// The number of bytes `encode(packet)` produces, without building it.
    public static func encodedCount(_ packet: some Sequence<UInt8>) -> Int {
        packet.reduce(2) { $0 + ($1 == end || $1 == escape ? 2 : 1) }
    }
}

/// A streaming SLIP decoder: feed it bytes as they arrive, in any split, and it hands back
/// the frames they complete.
///
/// Every 0xC0 is treated as a delimiter and every non-empty run between two of them is a
/// candidate frame. That keeps the decoder in step after line noise that happens to contain
/// 0xC0 (a boot log at the wrong baud rate, a glitch): the noise comes out as a candidate
/// the protocol layer rejects, and the next real frame is still found. Bytes before the
/// first 0xC0 are dropped. A frame with a malformed escape comes out as `.damaged`.
public struct SLIPDecoder: Sendable {
    /// A decoded frame, or a frame that arrived damaged (bad escape sequence).
    public enum Item: Equatable, Sendable {
        case packet([UInt8])
        case damaged([UInt8])
    }

    private var synchronized = false
    private var afterEscape = false
    private var damaged = false
    private var current: [UInt8] = []

    public init() {}

    /// Consumes `bytes` and returns the frames completed by them, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Item] {
        var items: [Item] = []
        for byte in bytes {
            if byte == SLIP.end {
                if synchronized && !current.isEmpty {
                    items.append(damaged || afterEscape ? .damaged(current) : .packet(current))
                }
                synchronized = true
                current.removeAll(keepingCapacity: true)
                damaged = false
                afterEscape = false
                continue
            }
            guard synchronized else { continue }
            if afterEscape {
                afterEscape = false
                switch byte {
                case SLIP.escapedEnd: current.append(SLIP.end)
                case SLIP.escapedEscape: current.append(SLIP.escape)
                default:
                    damaged = true
                    current.append(byte)
                }
            } else if byte == SLIP.escape {
                afterEscape = true
            } else {
                current.append(byte)
            }
        }
        return items
    }

    /// Forgets any partial frame (after the port's input was discarded).
    public mutating func reset() {
        self = SLIPDecoder()
    }
}
