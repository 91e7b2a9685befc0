import Basics
/// One job of the board's cron table, as `set_cron` carries it:
/// `minute=30&hour=*&day_of_month=*&month=*&day_of_week=*&command=open` (seed).
///
/// Each time field takes what classic cron takes: `*`, a number, a range `a-b`, a step
/// `*/n` or `a-b/n`, or a comma-separated list of these, within the field's range:
///
/// | field | range |
/// |---|---|
/// | minute | 0–59 |
/// | hour | 0–23 |
/// | day_of_month | 1–31 |
/// | month | 1–12 |
/// | day_of_week | 0–6 (0 is Sunday) |
///
/// `command` is `open` or `close`. All six fields are required, each once; the text is
/// written back in the order above.
public struct CronJob: Sendable, Equatable, CustomStringConvertible {
    public enum Action: String, Sendable {
        case open, close
    }

    /// The time fields in order, with their ranges.
    public static let timeFields: [(name: String, range: ClosedRange<Int>)] = [
        ("minute", 0...59), ("hour", 0...23), ("day_of_month", 1...31), ("month", 1...12), ("day_of_week", 0...6),
    ]
    public static let actionField = "command"

    /// The five time fields' texts, in `timeFields` order.
    public let times: [String]
    public let action: Action

    /// Parses a set_cron argument. Throws naming the field at fault.
    public init(parsing text: String) throws(CronJobError) {
        let form: MeterForm
        do { form = try MeterForm(parsing: text) } catch { throw CronJobError(field: "form", problem: error.description) }
        let allowed = Self.timeFields.map(\.name) + [Self.actionField]
        if let unknown = form.fields.first(where: { !allowed.contains($0.name) }) {
            throw CronJobError(field: unknown.name, problem: "unknown field; the fields are \(allowed.joined(separator: ", "))")
        }
        for name in allowed {
            let count = form.fields.filter { $0.name == name }.count
            if count == 0 { throw CronJobError(field: name, problem: "missing") }
            if count > 1 { throw CronJobError(field: name, problem: "given \(count) times") }
        }
        var times: [String] = []
        for (name, range) in Self.timeFields {
            let value = form[name] ?? ""
            if let problem = Self.problem(with: value, range: range) { throw CronJobError(field: name, problem: problem) }
            times.append(value)
        }
        guard let action = Action(rawValue: form[Self.actionField] ?? "") else {
            throw CronJobError(field: Self.actionField, problem: "\"\(form[Self.actionField] ?? "")\" is neither open nor close")
        }
        self.times = times
        self.action = action
    }

    public var text: String {
        (zip(Self.timeFields, times).map { "\($0.name)=\($1)" } + ["\(Self.actionField)=\(action.rawValue)"]).joined(separator: "&")
    }

    public var description: String { text }

    /// Why `value` is not a cron field within `range`; nil when it is one.
    static func problem(with value: String, range: ClosedRange<Int>) -> String? {
        if value.isEmpty { return "empty; use * for any" }
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard stepParts.count <= 2 else { return "\"\(item)\" has more than one /" }
            if stepParts.count == 2 {
                guard stepParts[1].allSatisfy(\.isASCIIDigit), let step = Int(stepParts[1]), step >= 1 else {
                    return "the step in \"\(item)\" is not a whole number ≥ 1"
                }
            }
            let base = stepParts[0]
            if base == "*" { continue }
            let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2 else { return "\"\(item)\" is not a number, a range a-b or *" }
            var numbers: [Int] = []
            for bound in bounds {
                guard !bound.isEmpty, bound.allSatisfy(\.isASCIIDigit), let number = Int(bound) else {
                    return "\"\(item)\" is not a number, a range a-b or *"
                }
                guard range.contains(number) else { return "\(number) is outside \(range.lowerBound)–\(range.upperBound)" }
                numbers.append(number)
            }
            if numbers.count == 2, numbers[0] > numbers[1] { return "the range \(base) runs backwards" }
            if stepParts.count == 2, numbers.count == 1 { return "a step needs * or a range before it, as in */15 or 0-30/5" }
        }
        return nil
    }
}

/// What is wrong with a cron job: the field and the problem.
public struct CronJobError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var problem: String
    public var description: String { "field \(field): \(problem)" }

    public var help: String? { "write the job as minute=…&hour=…&day_of_month=…&month=…&day_of_week=…&command=open|close" }
}
