import Foundation

/// One end of an in-memory cable, for tests and the in-process twin.
///
/// `MemoryLink.pair(name:)` returns two connected ends. Bytes written on one end are read
/// on the other; the buffers are unbounded, so writes never block. Line state is shared
/// like a wire: a baud rate set on either end is seen by both, and the control lines an end
/// drives are seen by the other end as `peerControlLines` (both start deasserted).
///
/// `disconnect()` pulls the cable for both ends; closing an end does the same for the
/// other end. After that, writes throw `.disconnected` at once, and reads return the bytes
/// already delivered, then throw `.disconnected`.
public final class MemoryLink: ByteLink, @unchecked Sendable {
    // @unchecked: every mutable state lives in `wire`, guarded by `wire.condition`.

    public let name: String
    private let wire: Wire
    private let end: Int
    private var peer: Int { 1 - end }

    /// Creates a connected pair. `host` is the computer's side, `device` the board's.
    public static func pair(
        name: String = "memory", baud: Int = SerialPort.defaultBaud
    ) -> (host: MemoryLink, device: MemoryLink) {
        let wire = Wire(baud: baud)
        return (
            MemoryLink(name: "\(name) (host end)", wire: wire, end: 0),
            MemoryLink(name: "\(name) (device end)", wire: wire, end: 1)
        )
    }

    private init(name: String, wire: Wire, end: Int) {
        self.name = name
        self.wire = wire
        self.end = end
    }

    // MARK: Bytes

    public func write(_ bytes: [UInt8]) throws(LinkError) {
        try wire.locked { wire throws(LinkError) in
            try checkUsable(wire)
            guard !bytes.isEmpty else { return }
            wire.queues[peer].append(bytes, baud: wire.baud)
            wire.condition.broadcast()
        }
    }

    public func read(maxCount: Int, deadline: ContinuousClock.Instant) throws(LinkError) -> [UInt8] {
        try wire.locked { wire throws(LinkError) in
            while true {
                if wire.closed[end] { throw .closed(link: name) }
                if !wire.queues[end].isEmpty {
                    let (bytes, baud) = wire.queues[end].take(upTo: maxCount)
                    wire.lastReadBaud[end] = baud
                    return bytes
                }
                if wire.isCut { throw .disconnected(link: name) }
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero { return [] }
                let (seconds, attoseconds) = remaining.components
                let interval = Double(seconds) + Double(attoseconds) * 1e-18
                _ = wire.condition.wait(until: Date(timeIntervalSinceNow: interval))
            }
        }
    }

    // MARK: Line state

    public func baudRate() throws(LinkError) -> Int {
        try wire.locked { wire throws(LinkError) in
            try checkUsable(wire)
            return wire.baud
        }
    }

    public func setBaudRate(_ baud: Int) throws(LinkError) {
        try wire.locked { wire throws(LinkError) in
            try checkUsable(wire)
            guard baud > 0 else { throw .baudRateUnsupported(link: name, baud: baud) }
            wire.baud = baud
        }
    }

    /// Changes the lines this end drives; when they change, the other end's
    /// `onPeerControlLinesChange` is called on this thread, after the new state is stored.
    public func setControlLines(dtr: Bool?, rts: Bool?) throws(LinkError) {
        let (lines, observer) = try wire.locked { wire throws(LinkError) in
            try checkUsable(wire)
            let old = wire.lines[end]
            var new = old
            if let dtr { new.dtr = dtr }
            if let rts { new.rts = rts }
            wire.lines[end] = new
            return (new, new == old ? nil : wire.observers[peer])
        }
        observer?(lines)
    }

    /// The control lines the other end drives now.
    public var peerControlLines: ControlLines {
        wire.locked { wire in wire.lines[peer] }
    }

    /// Called when the other end changes its control lines, on the setter's thread, after
    /// the new state is stored, with the new state; not called for a set that changes
    /// nothing. The device twin uses it to emulate the auto-reset circuit. Cleared by
    /// `close()`.
    public var onPeerControlLinesChange: (@Sendable (ControlLines) -> Void)? {
        get { wire.locked { wire in wire.observers[end] } }
        set { wire.locked { wire in wire.observers[end] = newValue } }
    }

    // MARK: Queues and life cycle

    /// Drops the bytes received but not read yet.
    public func discardInput() throws(LinkError) {
        try wire.locked { wire throws(LinkError) in
            if wire.closed[end] { throw .closed(link: name) }
            wire.queues[end] = ByteQueue()
        }
    }

    /// The rate in effect when the bytes of the last read were written: a read never mixes
    /// bytes written at two rates, so a switch right after a write cannot garble them.
    public func baudOfLastRead() -> Int? {
        wire.locked { wire in wire.lastReadBaud[end] }
    }

    /// Returns at once: written bytes are already in the other end's buffer.
    public func drainOutput() throws(LinkError) {
        try wire.locked { wire throws(LinkError) in try checkUsable(wire) }
    }

    /// Pulls the cable: both ends' writes then throw `.disconnected`, and their reads do
    /// once the bytes already delivered are read. Idempotent.
    public func disconnect() {
        wire.locked { wire in
            wire.disconnected = true
            wire.condition.broadcast()
        }
    }

    /// Closes this end: its later calls throw `.closed`, a read blocked in another thread
    /// wakes with `.closed`, and the other end sees a disconnected cable. Idempotent.
    public func close() {
        wire.locked { wire in
            wire.closed[end] = true
            wire.observers[end] = nil
            wire.condition.broadcast()
        }
    }

    private func checkUsable(_ wire: Wire) throws(LinkError) {
        if wire.closed[end] { throw .closed(link: name) }
        if wire.isCut { throw .disconnected(link: name) }
    }
}

/// The state both ends of a `MemoryLink` share; every access holds `condition`.
private final class Wire: @unchecked Sendable {
    let condition = NSCondition()
    var baud: Int
    /// `queues[i]`: bytes waiting to be read by end `i`.
    var queues = [ByteQueue(), ByteQueue()]
    /// `lines[i]`: the control lines end `i` drives.
    var lines = [ControlLines(dtr: false, rts: false), ControlLines(dtr: false, rts: false)]
    /// `observers[i]`: end `i`'s observer of the other end's lines.
    var observers: [(@Sendable (ControlLines) -> Void)?] = [nil, nil]
    var closed = [false, false]
    var disconnected = false
    /// `lastReadBaud[i]`: the rate the bytes end `i` read last were written at.
    var lastReadBaud: [Int?] = [nil, nil]

    init(baud: Int) {
        self.baud = baud
    }

    /// The cable is pulled or either end closed.
    var isCut: Bool { disconnected || closed[0] || closed[1] }

    func locked<T>(_ body: (Wire) throws(LinkError) -> T) throws(LinkError) -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body(self)
    }

    func locked<T>(_ body: (Wire) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(self)
    }
}

/// A FIFO of bytes that reads from the front without shifting the array each time, and
/// remembers the line rate each run of bytes was written at.
struct ByteQueue {
    private var storage: [UInt8] = []
    private var head = 0
    /// Consecutive runs of queued bytes written at one rate, oldest first.
    private var runs: [(count: Int, baud: Int)] = []

    /// Compact once this many bytes at the front have been read (and at least half).
    private static let compactionThreshold = 64 * 1024

    var isEmpty: Bool { head == storage.count }

    mutating func append(_ bytes: [UInt8], baud: Int) {
        storage.append(contentsOf: bytes)
        if let last = runs.indices.last, runs[last].baud == baud {
            runs[last].count += bytes.count
        } else {
            runs.append((bytes.count, baud))
        }
    }

    /// Up to `maxCount` bytes from the front, all written at one rate, and that rate.
    mutating func take(upTo maxCount: Int) -> (bytes: [UInt8], baud: Int) {
        guard let run = runs.first else { return ([], 0) }
        let count = min(run.count, max(maxCount, 0))
        if count == run.count { runs.removeFirst() } else { runs[0].count -= count }
        return (takeBytes(upTo: count), run.baud)
    }

    private mutating func takeBytes(upTo maxCount: Int) -> [UInt8] {
        let end = min(storage.count, head + max(maxCount, 0))
        let bytes = Array(storage[head..<end])
        head = end
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= Self.compactionThreshold && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return bytes
    }
}
