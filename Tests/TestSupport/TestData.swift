import Basics
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

/// Where two byte sequences differ, in a few words (nil when equal). Tests compare flash
/// images through this instead of `#expect(a == b)`: on a failure Swift Testing would
/// compute a full diff of the two collections, which takes hours for a megabyte.
/// Offsets are from the start of the sequences, plus `base` (the flash address of `actual`).
public func byteDifference(_ actual: some Collection<UInt8>, _ expected: some Collection<UInt8>, base: Int = 0) -> String? {
    let actual = Array(actual)
    let expected = Array(expected)
    guard actual.count == expected.count else { return "sizes differ: \(actual.count) vs \(expected.count)" }
    var first: Int?
    var last = 0
    var count = 0
    for index in actual.indices where actual[index] != expected[index] {
        if first == nil { first = index }
        last = index
        count += 1
    }
    guard let first else { return nil }
    return "\(count) bytes differ in \(hex(base + first))...\(hex(base + last)); first: \(hex(actual[first], digits: 2)) where \(hex(expected[first], digits: 2)) was expected"
}
