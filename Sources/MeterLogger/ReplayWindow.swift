/// The device's replay window (docs/meterlogger-firmware.md, "Replay window"; the firmware's
/// mqtt_rpc.c): a `/config/v2/<serial>/<unix time>/<command>` message whose unix time is
/// more than 1800 s from the device's own clock is ignored, in either direction. The HMAC
/// covers the topic, so the time cannot be altered without the key.
public struct ReplayWindow: Sendable {
    /// How far a command's time may be from the device's clock, in seconds (inclusive).
    public static let seconds = 1800

    /// Whether the device acts on a command stamped `messageTime` when its clock reads
    /// `now` (both unix times): |messageTime − now| ≤ 1800.
    public static func accepts(messageTime: Int, now: Int) -> Bool {
        let (difference, overflow) = messageTime.subtractingReportingOverflow(now)
        return !overflow && difference.magnitude <= UInt(seconds)
    }
}
