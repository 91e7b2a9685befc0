import Foundation
import MeterLogger

/// What a booted firmware says about itself in its boot text, after the ROM's boot log.
/// The demo firmware (firmware/demo/README.md, "Boot text") prints `meter: <kind>` and
/// `serial: <serial>` lines, each ending in CR LF.
public struct BootIdentity: Sendable, Equatable {
    public let serial: String
    public let meter: String?

    /// The identity in `log`, nil when the firmware printed none.
    public static func parse(_ log: String) -> BootIdentity? {
        var serial: String?
        var meter: String?
        for raw in log.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if serial == nil, line.hasPrefix("serial: ") { serial = String(line.dropFirst("serial: ".count)) }
            if meter == nil, line.hasPrefix("meter: ") { meter = String(line.dropFirst("meter: ".count)) }
        }
        return serial.map { BootIdentity(serial: $0, meter: meter) }
    }

    /// Checks that `log` shows the firmware of `serial` (leading zeros do not matter) for
    /// a `meter` board.
    public static func verify(_ log: String, serial: MeterSerial, meter: MeterKind) throws(BoardProvisioningError) {
        guard let identity = parse(log) else {
            let tail = log.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
            throw .noBootIdentity(serial: serial.text, logTail: String(tail.prefix(200)))
        }
        guard MeterSerial(identity.serial)?.value == serial.value, identity.meter == nil || identity.meter == meter.rawValue else {
            throw .wrongBootIdentity(expected: "\(serial.text) (\(meter.rawValue))", reported: "\(identity.serial) (\(identity.meter ?? "?"))")
        }
    }
}
