import Basics
import Crypto
import ESPFlasher

/// Why a firmware build failed. Messages never contain a secret (KEY, SERIAL).
public enum BuildError: ReportableError, Equatable, Sendable, CustomStringConvertible {
    case sourceMissing(path: String)
    /// The device says `key: generate`, and no key was handed out for it.
    case keyNotGiven(serial: String)
    /// The profile names a prebuilt release or manifest: there is nothing to build.
    case notASourceTree(path: String)
    case sourceUnreadable(path: String)
    case workspace(path: String, reason: String)
    /// make could not be started (not installed?).
    case makeNotRunnable(reason: String)
    /// make exited non-zero; the last lines of its (redacted) log and where the whole log is.
    case makeFailed(label: String, exitCode: Int32?, logTail: [String], logPath: String)
    /// make succeeded but an expected output is missing.
    case outputMissing(label: String, path: String)
    /// libcrypto could not hash the sources or the cache key.
    case hashing(CryptoError)
    /// A built part's file is gone from the cache.
    case unreadableArtefact(path: String)
    /// The built parts do not make a flash plan (overlap, beyond the flash, protected region).
    case flashPlan(FlasherError)

    public var description: String {
        switch self {
        case .sourceMissing(let path): "the firmware source folder \(path) does not exist"
        case .keyNotGiven(let serial): "device \(serial) has `key: generate` and no key was handed out for it"
        case .notASourceTree(let path): "the profile's firmware is prebuilt (\(path)): there is nothing to build"
        case .sourceUnreadable(let path): "cannot read \(path)"
        case .workspace(let path, let reason): "cannot prepare the build folder \(path): \(reason)"
        case .makeNotRunnable(let reason): "cannot run make: \(reason)"
        case .makeFailed(let label, let exitCode, let tail, let logPath):
            "building \(label) failed (make exited \(exitCode.map(String.init) ?? "by a signal")); the end of its log (\(logPath)):\n"
                + tail.map { "  " + $0 }.joined(separator: "\n")
        case .outputMissing(let label, let path): "building \(label) did not produce \(path)"
        case .hashing(let error): "cannot compute the build's cache key: \(error)"
        case .unreadableArtefact(let path): "cannot read the built part \(path)"
        case .flashPlan(let error): error.description
        }
    }

    public var help: String? {
        switch self {
        case .keyNotGiven: "keys for `key: generate` devices come from the key ledger: see `mlprov keys generate`"
        case .sourceMissing: "check `firmware: source:` in the profile (relative paths start at the profile's folder)"
        case .makeNotRunnable: "install make and the ESP8266 cross compiler (scripts/setup does)"
        case .makeFailed: "fix the firmware source or the variables; the whole log is kept at the path shown"
        case .outputMissing: "the Makefile must write firmware/0x00000.bin, firmware/0x10000.bin and webpages.espfs"
        case .hashing(let error): error.help
        case .unreadableArtefact: "remove the firmware cache folder and run again"
        case .flashPlan(let error): error.help
        default: nil
        }
    }

    public var cause: (any ReportableError)? {
        switch self {
        case .hashing(let error): error
        case .flashPlan(let error): error
        default: nil
        }
    }
}
