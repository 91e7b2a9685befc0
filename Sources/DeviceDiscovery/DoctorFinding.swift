/// One result of `mlprov doctor`: what was checked, how it stands, and the fix.
public struct DoctorFinding: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, Comparable {
        case ok, warn, fail

        private var rank: Int { self == .ok ? 0 : self == .warn ? 1 : 2 }
        public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    }

    /// The check's short name: `permissions`, `port-in-use`, `ftdi-latency`, `modemmanager`,
    /// `udev-rules`, `brltty`, `kernel-ch341`, `adapters`.
    public var check: String
    public var status: Status
    /// The port the finding is about, nil for the machine as a whole.
    public var port: String?
    /// What was found.
    public var message: String
    /// What to do about it (nil when nothing needs doing).
    public var fix: String?

    public init(check: String, status: Status, port: String? = nil, message: String, fix: String? = nil) {
        self.check = check
        self.status = status
        self.port = port
        self.message = message
        self.fix = fix
    }
}

extension Array where Element == DoctorFinding {
    /// The worst status among the findings (`.ok` when there are none).
    public var worst: DoctorFinding.Status { map(\.status).max() ?? .ok }
}
