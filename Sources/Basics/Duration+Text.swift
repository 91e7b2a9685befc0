/// Durations as messages and reports show them.
extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// "5 s" for whole seconds, "0.25 s" or "1.5 s" otherwise (rounded to hundredths): the
    /// form every message that names a time limit or a duration uses.
    public var secondsText: String {
        let value = seconds
        if value == value.rounded() { return "\(Int(value)) s" }
        return "\((value * 100).rounded() / 100) s"
    }
}
