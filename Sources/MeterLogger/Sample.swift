/// A meter reading as a board publishes it on `/sample/v2/<serial>/<unix time>` (seed:
/// "MQTT format for messages sent from meter"), e.g. for a Kamstrup heat meter
///
///     heap=20000&t1=25.00 C&t2=15.00 C&tdif=10.00 K&flow1=0 l/h&effect1=0.0 kW&hr=0 h&v1=0.00 m3&e1=0 kWh&
///
/// and for an impulse electricity meter `heap=20000&effect1=0.42 kW&e1=1234.567 kWh&`
/// (the same names for the same quantities: power `effect1`, energy `e1`). Each value is a
/// number, optionally followed by one space and a unit.
public struct MeterSample: Sendable, Equatable, CustomStringConvertible {
    public struct Field: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        /// The value as written, e.g. "25.00 C".
        public var text: String
        /// The number, when the value starts with one ("25.00 C" → 25.0).
        public var number: Double?
        /// The unit after the number, e.g. "C", "kWh", "m3", "l/h"; nil when there is none.
        public var unit: String?

        public init(name: String, text: String) {
            self.name = name
            self.text = text
            let pieces = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if let first = pieces.first, let value = MeterSample.number(first) {
                number = value
                unit = pieces.count > 1 ? String(pieces[1]).trimmingSpaces : nil
            } else {
                number = nil
                unit = nil
            }
        }

        /// The number with its digits as written, without the unit ("25.00").
        public var numberText: String? {
            number == nil ? nil : String(text.split(separator: " ", maxSplits: 1).first ?? "")
        }

        public var description: String { "\(name)=\(text)" }
    }

    public var fields: [Field]

    public init(fields: [Field]) { self.fields = fields }

    /// Parses a sample's cleartext. Throws naming the field that is malformed.
    public init(parsing text: String) throws(MeterFormError) {
        fields = try MeterForm(parsing: text).fields.map { Field(name: $0.name, text: $0.value) }
    }

    public subscript(name: String) -> Field? { fields.first { $0.name == name } }

    /// As the firmware writes it: every field followed by "&".
    public var text: String { fields.map { "\($0.name)=\($0.text)&" }.joined() }
    public var description: String { text }

    /// A decimal number: optional minus, digits, optional fraction.
    static func number(_ text: Substring) -> Double? {
        var body = text
        if body.first == "-" { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard !body.isEmpty, parts.count <= 2,
              parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } })
        else { return nil }
        return Double(text)
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
