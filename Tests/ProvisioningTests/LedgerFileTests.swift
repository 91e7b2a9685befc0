import Foundation
import Provisioning
import Testing
import TestSupport

@Suite("The ledger's files are private")
struct LedgerFileTests {
    @Test("the default ledger is $XDG_DATA_HOME/mlprov/ledger.sqlite, else ~/.local/share/mlprov/ledger.sqlite")
    func defaultPath() {
        #expect(LedgerLocation.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/tech"]) == "/data/mlprov/ledger.sqlite")
        #expect(LedgerLocation.defaultPath(environment: ["HOME": "/home/tech"]) == "/home/tech/.local/share/mlprov/ledger.sqlite")
        // The XDG spec says a relative XDG_DATA_HOME is ignored.
        #expect(LedgerLocation.defaultPath(environment: ["XDG_DATA_HOME": "data", "HOME": "/home/tech"]) == "/home/tech/.local/share/mlprov/ledger.sqlite")
    }

    @Test("a new ledger is created 0600 in a folder created 0700, and stays so after writes")
    func fileAndFolderModes() throws {
        let dataHome = try temporaryDirectory("xdg")
        let path = LedgerLocation.defaultPath(environment: ["XDG_DATA_HOME": dataHome.path])
        let store = try KeyStore(path: path, user: "tester")
        _ = try store.key(for: serial("9999999"))
        try store.markFlashed(serial: serial("9999999"))
        let folder = dataHome.appendingPathComponent("mlprov").path
        #expect(try mode(of: folder) == 0o700)
        #expect(try mode(of: path) == 0o600)
        // Whatever side files SQLite keeps (journal, WAL, shared memory) are private too.
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            #expect(try mode(of: folder + "/" + name) == 0o600, "\(name)")
        }
    }

    @Test("missing folders above an overridden ledger path are all created 0700")
    func nestedFoldersArePrivate() throws {
        let root = try temporaryDirectory("ledger")
        let path = root.appendingPathComponent("a/b/keys.sqlite").path
        _ = try KeyStore(path: path, user: "tester")
        #expect(try mode(of: root.appendingPathComponent("a").path) == 0o700)
        #expect(try mode(of: root.appendingPathComponent("a/b").path) == 0o700)
        #expect(try mode(of: path) == 0o600)
    }

    @Test("a ledger file that others can read is refused, naming the file and chmod 600")
    func exposedLedgerRefused() throws {
        let root = try temporaryDirectory("ledger")
        let path = root.appendingPathComponent("ledger.sqlite").path
        _ = try KeyStore(path: path, user: "tester")
        chmod(path, 0o644)
        #expect(throws: KeyStoreError.exposedLedger(path: path, mode: "644")) { try KeyStore(path: path) }
        #expect(KeyStoreError.exposedLedger(path: path, mode: "644").help?.contains("chmod 600 \(path)") == true)
    }

    @Test("a file that is not a ledger is reported as such, naming it")
    func notADatabase() throws {
        let root = try temporaryDirectory("ledger")
        let path = root.appendingPathComponent("ledger.sqlite").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x41, count: 4096), attributes: [.posixPermissions: 0o600])
        #expect {
            try KeyStore(path: path)
        } throws: { error in
            guard case KeyStoreError.database(let named, _)? = error as? KeyStoreError else { return false }
            return named == path
        }
    }

    @Test("a file of keys is written 0600, replacing a wider-mode file rather than reusing it")
    func secretFilesArePrivate() throws {
        let root = try temporaryDirectory("export")
        let path = root.appendingPathComponent("keys.csv").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("old\n".utf8), attributes: [.posixPermissions: 0o644])
        try SecretFile.write("serial,key\n", to: path)
        #expect(try mode(of: path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "serial,key\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["keys.csv"])
    }
}
