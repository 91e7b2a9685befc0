import Foundation
import MeterLogger
import Provisioning

/// Known keys, serials and ledgers for tests that compare exact text (never real boards'
/// keys), shared by the ledger's tests and the CLI's.
public enum LedgerFixture {
    public static let keyA = "000102030405060708090a0b0c0d0e0f"
    public static let keyB = "f0e0d0c0b0a090807060504030201000"
    public static let keyC = "2b7e151628aed2a6abf7158809cf4f3c"

    public static func key(_ hex: String) -> DeviceKey {
        guard let key = DeviceKey(hex: hex) else { fatalError("test key \(hex) is not a key") }
        return key
    }

    public static func serial(_ text: String) -> MeterSerial {
        guard let serial = MeterSerial(text) else { fatalError("test serial \(text) is not a serial") }
        return serial
    }

    /// The permission bits of `path` (e.g. 0o600).
    public static func mode(of path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return info.st_mode & 0o777
    }

    /// Every 32-character run of hex digits in `text`, lower-cased: a key, if one leaked.
    public static func hexRuns(in text: String) -> [String] {
        var runs: [String] = []
        var current = ""
        for character in text.lowercased() + " " {
            if character.isHexDigit {
                current.append(character)
            } else {
                if current.count >= 32 { runs.append(current) }
                current = ""
            }
        }
        return runs
    }
}
