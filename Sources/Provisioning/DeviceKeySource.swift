import Basics
import MeterLogger

/// Where a command takes a board's KEY from: a key file (mode 0600), the key as text (test
/// vectors only: a command line is visible to other users), a profile's given key, or the
/// key ledger's key for the serial (the key the board was flashed with; never generated).
public enum DeviceKeySource: Sendable {
    case file(path: String)
    case text(String, source: String)
    case given(DeviceKey)
    case ledger(path: String)

    /// The key for `serial`.
    public func key(for serial: MeterSerial) throws(DeviceKeyError) -> DeviceKey {
        switch self {
        case .file(let path):
            do { return try Credentials.readKey(file: path) } catch { throw .credentials(error) }
        case .text(let text, let source):
            do { return try Credentials.parseKey(text, source: source) } catch { throw .credentials(error) }
        case .given(let key):
            return key
        case .ledger(let path):
            do {
                return try KeyStore(path: path).key(for: serial, generateIfMissing: false)
            } catch {
                throw .ledger(error)
            }
        }
    }

    /// True for a key typed on the command line, which other users can read.
    public var isOnCommandLine: Bool {
        if case .text = self { true } else { false }
    }
}

/// Why a board's key could not be had. Never holds the key.
public enum DeviceKeyError: ReportableError, Equatable {
    case credentials(CredentialsError)
    case ledger(KeyStoreError)

    public var description: String {
        switch self {
        case .credentials(let error): error.description
        case .ledger(let error): error.description
        }
    }

    public var help: String? {
        switch self {
        case .credentials(let error): error.help
        case .ledger: "give the board's key in a key file (chmod 600), or name the ledger that holds it"
        }
    }

    public var cause: (any ReportableError)? {
        switch self {
        case .credentials(let error): error
        case .ledger(let error): error
        }
    }
}
