import Crypto
import ESPProtocol

/// The stub's READ_FLASH after its ok reply: the data goes out as frames of `packetSize`
/// bytes (the last may be shorter); the client answers each with a frame holding the total
/// it has received (u32); at most `maxUnacked` frames are outstanding; once everything is
/// acknowledged one frame with the 16-byte MD5 of the data ends the stream. A frame that is
/// no acknowledgement ends it early (`end`): the MD5 of what was sent, and the stub serves
/// that frame as a request (firmware/stub/PROTOCOL.md; esptool's `read_flash` is the
/// client side).
struct StubFlashReadStream: Sendable, Equatable {
    /// The size of the acknowledgement frame's payload: one little-endian u32.
    static let ackSize = 4
    static let digestSize = 16

    let range: Range<Int>
    let packetSize: Int
    let maxUnacked: Int
    private(set) var sentBytes = 0
    private(set) var sentPackets = 0
    private(set) var ackedPackets = 0
    private(set) var ackedBytes = 0

    init(range: Range<Int>, packetSize: Int, maxUnacked: Int) {
        self.range = range
        self.packetSize = packetSize
        // A client asking for 0 in flight still gets one packet at a time.
        self.maxUnacked = max(1, maxUnacked)
    }

    /// Whether the stream has ended (the digest went out).
    private(set) var finished = false

    /// The first packets, sent right after the ok reply (and the digest at once for a
    /// zero-length read).
    mutating func start(flash: FlashMemory) -> [[UInt8]] {
        nextFrames(flash: flash)
    }

    /// Whether a frame from the client is an acknowledgement (a u32, nothing else).
    static func isAcknowledgement(_ packet: [UInt8]) -> Bool {
        packet.count == ackSize
    }

    /// Handles an acknowledgement (`isAcknowledgement`): it releases more packets, or the
    /// digest.
    mutating func receive(acknowledgement packet: [UInt8], flash: FlashMemory) -> [[UInt8]] {
        guard let total = packet.readLE32(at: 0) else { return [] }
        ackedPackets += 1
        ackedBytes = Int(total)
        return nextFrames(flash: flash)
    }

    /// Ends the stream early (a frame that is no acknowledgement arrived): the digest of
    /// what was sent.
    mutating func end(flash: FlashMemory) -> [UInt8] {
        finished = true
        return digest(flash: flash)
    }

    private mutating func nextFrames(flash: FlashMemory) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while sentBytes < range.count && sentPackets - ackedPackets < maxUnacked {
            let start = range.lowerBound + sentBytes
            let count = min(packetSize, range.count - sentBytes)
            frames.append(flash.read(start..<(start + count)))
            sentBytes += count
            sentPackets += 1
        }
        if sentBytes == range.count && ackedBytes >= range.count {
            finished = true
            frames.append(digest(flash: flash))
        }
        return frames
    }

    private func digest(flash: FlashMemory) -> [UInt8] {
        // Should libcrypto fail to hash, an empty frame stands in: the client then reports a
        // wrong digest, as it would for a corrupted read.
        (try? MD5.digest(flash.read(range.lowerBound..<(range.lowerBound + sentBytes)))) ?? []
    }
}
