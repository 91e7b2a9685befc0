/// Faults the twin produces on request, to prove that clients cope with a real cable.
///
/// Line faults count received bytes (as they come off the wire, before any fault is
/// applied) from the moment the fault is armed: index 0 is the first byte received after
/// arming. Each line fault fires once. Flash faults stay until changed.
public struct FaultPlan: Sendable, Equatable {
    /// A fault on the received byte stream.
    public enum LineFault: Sendable, Equatable, CustomStringConvertible {
        /// The byte at this index arrives with its lowest bit flipped (XOR 0x01): noise.
        case flipByte(at: Int)
        /// The byte at this index never arrives: an overrun.
        case dropByte(at: Int)
        /// The cable is pulled just before the byte at this index: the front disconnects
        /// (the host side of an in-process link, or the pseudo-terminal, goes away).
        case pullCable(at: Int)

        public var index: Int {
            switch self {
            case .flipByte(let at), .dropByte(let at), .pullCable(let at): at
            }
        }

        public var description: String {
            switch self {
            case .flipByte(let at): "flip received byte \(at)"
            case .dropByte(let at): "drop received byte \(at)"
            case .pullCable(let at): "pull the cable at received byte \(at)"
            }
        }
    }

    /// Line faults armed at power-on.
    public var lineFaults: [LineFault]
    /// Sectors (4 KiB, by index) that refuse to be programmed: a FLASH_DATA touching one
    /// is answered with error 0x08 (flash write error) and writes nothing.
    public var failingSectors: Set<Int>

    public init(lineFaults: [LineFault] = [], failingSectors: Set<Int> = []) {
        self.lineFaults = lineFaults
        self.failingSectors = failingSectors
    }

    /// No faults.
    public static let none = FaultPlan()
}

/// Armed line faults, applied to chunks of received bytes.
struct LineFaultInjector: Sendable {
    /// A fault and the absolute received-byte index it fires at.
    private var pending: [(fault: FaultPlan.LineFault, absoluteIndex: Int)] = []

    /// Arms `fault`, counting from `receivedSoFar` bytes.
    mutating func arm(_ fault: FaultPlan.LineFault, receivedSoFar: Int) {
        pending.append((fault, receivedSoFar + fault.index))
    }

    var isEmpty: Bool { pending.isEmpty }

    /// What the faults do to a chunk whose first byte has absolute index `firstIndex`:
    /// the bytes that get through, the faults that fired, and whether the cable was pulled
    /// (then `bytes` holds only what arrived before that point).
    mutating func apply(to chunk: [UInt8], firstIndex: Int) -> (bytes: [UInt8], fired: [FaultPlan.LineFault], cablePulled: Bool) {
        guard !pending.isEmpty else { return (chunk, [], false) }
        let range = firstIndex..<(firstIndex + chunk.count)
        let hits = pending.filter { range.contains($0.absoluteIndex) }
        guard !hits.isEmpty else { return (chunk, [], false) }
        pending.removeAll { range.contains($0.absoluteIndex) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(chunk.count)
        var fired: [FaultPlan.LineFault] = []
        for (offset, byte) in chunk.enumerated() {
            let index = firstIndex + offset
            var keep = true
            var value = byte
            for hit in hits where hit.absoluteIndex == index {
                fired.append(hit.fault)
                switch hit.fault {
                case .flipByte: value ^= 0x01
                case .dropByte: keep = false
                case .pullCable:
                    // Faults later in this chunk never happen: the cable is gone.
                    return (bytes, fired, true)
                }
            }
            if keep { bytes.append(value) }
        }
        return (bytes, fired, false)
    }
}
