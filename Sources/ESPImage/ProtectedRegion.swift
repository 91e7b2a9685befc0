/// A flash range that must survive a write unless the user explicitly allows touching it.
/// Which ranges those are is the application's knowledge (MeterLogger's saved
/// configuration, say): flash plans take them as input.
public struct ProtectedRegion: Equatable, Sendable {
    public var name: String
    public var range: Range<Int>
    public init(name: String, range: Range<Int>) {
        self.name = name
        self.range = range
    }
}
