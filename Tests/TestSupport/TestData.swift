import ESPImage

/// Deterministic test inputs: the same "random" bytes on every run.
extension SplitMix64 {
    /// `count` bytes drawn uniformly.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }

    /// `count` bytes where the SLIP specials (0xC0, 0xDB, 0xDC, 0xDD) are frequent.
    public mutating func slipHeavyBytes(_ count: Int) -> [UInt8] {
        let specials: [UInt8] = [0xC0, 0xDB, 0xDC, 0xDD]
        return (0..<count).map { _ in
            Bool.random(using: &self) ? specials[Int(next() % 4)] : UInt8.random(in: .min ... .max, using: &self)
        }
    }

    /// `count` bytes none of which is 0xFF (so that no flash packet made of them is blank).
    public mutating func nonBlankBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...0xFE, using: &self) }
    }
}
