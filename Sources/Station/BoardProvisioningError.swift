import Basics
import ESPFlasher
import FirmwareBuild
import Provisioning

/// What one board's provisioning can fail with, at the station or on the bench. Each case
/// says what failed; `help` says what the technician can do. A failure inside a library
/// step keeps that library's error (`cause`), with its own help line. None carries a key.
public enum BoardProvisioningError: ReportableError {
    /// Every device of the profile is provisioned or taken by another board.
    case profileExhausted(installation: String)
    /// The technician gave no serial (or an invalid one too often).
    case noSerialGiven
    /// The board booted but printed no identity.
    case noBootIdentity(serial: String, logTail: String)
    /// The board booted another device's firmware.
    case wrongBootIdentity(expected: String, reported: String)
    /// Wifi setup through the board's access point failed (setup page, joining the AP, or
    /// the settings themselves).
    case wifi(any ReportableError)
    /// Commissioning over MQTT failed at `step`.
    case commissioningFailed(step: String, detail: String)
    /// The work was stopped: Ctrl-C, or the board was removed.
    case stopped(reason: String)
    case connection(FlasherError)
    case build(BuildError)
    case ledger(KeyStoreError)
    /// A step failed (`failure`), and the ledger could not record that (`recording`).
    indirect case notRecorded(failure: BoardProvisioningError, recording: BoardProvisioningError)

    public var description: String {
        switch self {
        case .profileExhausted(let installation):
            "every device of \(installation) is provisioned or being provisioned"
        case .noSerialGiven: "no serial was given for the board"
        case .noBootIdentity(let serial, let tail):
            "the board booted but its firmware did not report an identity (expected serial \(serial)); last lines: \(tail)"
        case .wrongBootIdentity(let expected, let reported):
            "the board booted firmware for \(reported), not \(expected)"
        case .wifi(let error): "wifi setup failed: \(error.description)"
        case .commissioningFailed(let step, let detail): "commissioning failed at \(step): \(detail)"
        case .stopped(let reason): reason
        case .connection(let error): error.description
        case .build(let error): error.description
        case .ledger(let error): error.description
        case .notRecorded(let failure, let recording):
            "\(failure.description); the ledger did not record it: \(recording.description)"
        }
    }

    public var help: String? {
        switch self {
        case .profileExhausted: "add devices to the profile, or run with --ask-serial and type or scan the meter's serial"
        case .noSerialGiven: "type or scan the meter's serial when asked"
        case .noBootIdentity, .wrongBootIdentity: "re-plug the board to flash it again; check the profile's firmware source"
        case .wifi(let error):
            error.help ?? "check that the board's setup access point is up and the site password is right; re-plug to retry"
        case .commissioningFailed: "check the broker settings and that the board reaches the site wifi; re-plug to retry"
        case .stopped: "re-plug the board (or restart the station): it continues where it stopped"
        case .connection(let error): error.help
        case .build(let error): error.help
        case .ledger(let error): error.help
        case .notRecorded(let failure, let recording): recording.help ?? failure.help
        }
    }

    public var cause: (any ReportableError)? {
        switch self {
        case .wifi(let error): error
        case .connection(let error): error
        case .build(let error): error
        case .ledger(let error): error
        case .notRecorded(_, let recording): recording
        default: nil
        }
    }
}
