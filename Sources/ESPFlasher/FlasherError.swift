import Basics
import Crypto
import ESPImage
import ESPProtocol
import SerialLink

/// Everything the loader session, the flash plan and the flasher can fail with. Each case
/// says what failed and where; `help` says what to try next.
public indirect enum FlasherError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    /// The link failed underneath (unplugged, closed, refused a baud rate…).
    case link(LinkError)
    /// No reply to `command` within `timeout`.
    case noResponse(command: Opcode, timeout: Duration)
    /// The ROM answered `command` with a failure status.
    case commandFailed(command: Opcode, code: UInt8?)
    /// No SYNC answer after every reset and sync attempt.
    case syncFailed(link: String, attempts: Int, baud: Int)
    /// The chip-detect register does not read as an ESP8266.
    case wrongChip(detectValue: UInt32)
    /// The OTP MAC words do not decode.
    case unreadableMAC(mac0: UInt32, mac1: UInt32, mac3: UInt32)
    /// Writing one part of a plan failed at a flash offset.
    case partFailed(part: String, offset: Int, cause: FlasherError)
    /// The plan was refused before anything was sent.
    case invalidPlan(FlashPlanError)
    /// A file or image problem.
    case image(part: String, ImageError)
    /// The RAM stub was uploaded and started but never sent its greeting.
    case stubDidNotStart(entry: UInt32)
    /// Uploading the stub to RAM failed `attempts` times; `cause` is the last failure.
    case stubUploadFailed(attempts: Int, cause: FlasherError)
    /// What the stub read back from flash has another MD5 than what was sent.
    case verifyFailed(part: String, expected: String, found: String)
    /// A region the plan had to leave alone reads differently after the write.
    case protectedRegionChanged(region: String, range: Range<Int>)
    /// libcrypto could not compute a part's MD5.
    case digest(CryptoError)

    /// The error this one wraps, still typed.
    public var cause: (any ReportableError)? {
        switch self {
        case .link(let error): error
        case .partFailed(_, _, let error): error
        case .stubUploadFailed(_, let error): error
        case .invalidPlan(let error): error
        case .image(_, let error): error
        case .digest(let error): error
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .link(let error): "\(error)"
        case .noResponse(let command, let timeout):
            "no reply to \(command) within \(timeout.secondsText)"
        case .commandFailed(let command, let code):
            "the chip refused \(command): " + (code.map(Self.errorName) ?? "no status")
        case .syncFailed(let link, let attempts, let baud):
            "no answer from an ESP8266 ROM loader on \(link) at \(baud) baud after \(attempts) reset attempts"
        case .wrongChip(let value):
            "this is not an ESP8266: the chip-detect register 0x40001000 reads \(hex(value)), an ESP8266 reads \(hex(ESP8266.chipDetectValue))"
        case .unreadableMAC(let mac0, let mac1, let mac3):
            "the OTP MAC words do not decode (MAC0 \(hex(mac0)), MAC1 \(hex(mac1)), MAC3 \(hex(mac3)))"
        case .partFailed(let part, let offset, let cause):
            "writing \(part) failed at flash offset \(hex(offset)): \(cause)"
        case .invalidPlan(let error): "\(error)"
        case .image(let part, let error): "\(part): \(error)"
        case .stubDidNotStart(let entry):
            "the flasher stub started at \(hex(entry)) did not greet within \(LoaderSession.stubGreetingTimeout.secondsText)"
        case .stubUploadFailed(let attempts, let cause):
            "uploading mlprov's flasher stub to the chip's RAM failed \(attempts) times; the last time: \(cause.description)"
        case .verifyFailed(let part, let expected, let found):
            "\(part) reads back wrong: MD5 \(found) on the chip, \(expected) sent"
        case .protectedRegionChanged(let region, let range):
            "\(region) at \(hex(range.lowerBound))–\(hex(range.upperBound - 1)) changed during the write: it was not to be touched"
        case .digest(let error): "cannot compute the MD5 to verify the write: \(error)"
        }
    }

    /// The name of a failed reply's error code, ROM or stub.
    static func errorName(_ code: UInt8) -> String {
        ROMErrorCode(rawValue: code)?.description ?? StubErrorCode(rawValue: code)?.description ?? "error \(hex(code, digits: 2))"
    }

    /// What the user can try next.
    public var help: String? {
        switch self {
        case .link(.controlLinesUnsupported):
            "this port cannot drive DTR/RTS: hold the board's FLASH/GPIO0 button while powering it and use --before no-reset"
        case .link(let error): error.help
        case .syncFailed:
            "check the cable; hold GPIO0 low (FLASH button) while resetting the board; try --before classic or unix-tight, or a lower --baud"
        case .wrongChip: "mlprov flashes ESP8266 boards only; check --port"
        case .noResponse: "the board stopped answering; check the cable and power, then run again"
        case .partFailed(_, _, let cause): cause.help ?? "run the same command again: parts are rewritten whole"
        case .invalidPlan(let error): error.help
        case .stubDidNotStart:
            "reset the board (or re-plug it) and run again with --no-stub to flash through the ROM loader alone"
        case .stubUploadFailed:
            "the line is noisy: check the cable, try a lower --baud, or run with --no-stub (the ROM loader alone)"
        case .verifyFailed: "check the power supply and the cable, then run again: parts are rewritten whole"
        case .protectedRegionChanged:
            "stop using this board's stub path: flash with --no-stub and report this (the saved configuration must be restored from a backup)"
        case .digest(let error): error.help
        default: nil
        }
    }
}
