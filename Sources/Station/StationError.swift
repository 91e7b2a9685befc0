import Basics
import ESPFlasher
import FirmwareBuild
import Provisioning

/// What a board's provisioning at the station can fail with. Each case says what failed;
/// `help` says what the technician can do. None carries a key.
public enum StationError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// Every device of the profile is provisioned or taken by another board.
    case profileExhausted(installation: String)
    /// The technician gave no serial (or an invalid one too often).
    case noSerialGiven
    /// The board booted but printed no identity.
    case noBootIdentity(serial: String, logTail: String)
    /// The board booted another device's firmware.
    case wrongBootIdentity(expected: String, reported: String)
    /// Wifi setup through the board's access point failed.
    case wifiFailed(reason: String)
    /// Commissioning over MQTT failed at `step`.
    case commissioningFailed(step: String, detail: String)
    /// The work was stopped: Ctrl-C, or the board was removed.
    case stopped(reason: String)
    case flasher(FlasherError)
    case build(BuildError)
    case ledger(KeyStoreError)

    public var description: String {
        switch self {
        case .profileExhausted(let installation):
            "every device of \(installation) is provisioned or being provisioned"
        case .noSerialGiven: "no serial was given for the board"
        case .noBootIdentity(let serial, let tail):
            "the board booted but its firmware did not report an identity (expected serial \(serial)); last lines: \(tail)"
        case .wrongBootIdentity(let expected, let reported):
            "the board booted firmware for \(reported), not \(expected)"
        case .wifiFailed(let reason): "wifi setup failed: \(reason)"
        case .commissioningFailed(let step, let detail): "commissioning failed at \(step): \(detail)"
        case .stopped(let reason): reason
        case .flasher(let error): error.description
        case .build(let error): error.description
        case .ledger(let error): error.description
        }
    }

    public var help: String? {
        switch self {
        case .profileExhausted: "add devices to the profile, or run with --ask-serial and type or scan the meter's serial"
        case .noSerialGiven: "type or scan the meter's serial when asked"
        case .noBootIdentity, .wrongBootIdentity: "re-plug the board to flash it again; check the profile's firmware source"
        case .wifiFailed: "check that the board's setup access point is up and the site password is right; re-plug to retry"
        case .commissioningFailed: "check the broker settings and that the board reaches the site wifi; re-plug to retry"
        case .stopped: "re-plug the board (or restart the station): it continues where it stopped"
        case .flasher(let error): error.help
        case .build(let error): error.help
        case .ledger(let error): error.help
        }
    }
}
