/// Durations as the command line and the reports show them.
extension Duration {
    /// "1.25 s" for messages.
    public var formattedSeconds: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value < 10 ? "\((value * 100).rounded() / 100) s" : "\(value.rounded()) s"
    }

    /// The duration in seconds as a Double.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
