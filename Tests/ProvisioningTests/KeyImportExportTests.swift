import Foundation
import GRDB
import MeterLogger
import Provisioning
import Testing

@Suite("Keys move in and out as CSV and as SQL for MeterLoggerWeb")
struct KeyImportExportTests {
    /// Three keys, recorded out of serial order.
    func smallLedger() throws -> KeyStore {
        let store = try makeLedger()
        _ = try store.record(key(keyB), for: serial("9999999"), source: "test")
        _ = try store.record(key(keyA), for: serial("12345"), source: "test")
        _ = try store.importKeys([KeyRow(serial: serial("4294967295"), key: key(keyC))], from: "old.csv", installation: "Other")
        return store
    }

    @Test("CSV export is a header and serial,key lines in serial order")
    func csvExportText() throws {
        let text = try smallLedger().export(.csv, destination: "test")
        #expect(text == """
            serial,key
            0012345,\(keyA)
            9999999,\(keyB)
            4294967295,\(keyC)

            """)
    }

    @Test("SQL export is one INSERT INTO meters (serial, `key`) per key")
    func sqlExportText() throws {
        let text = try smallLedger().export(.meterLoggerWebSQL, destination: "test")
        #expect(text == """
            INSERT INTO meters (serial, `key`) VALUES ('0012345','\(keyA)');
            INSERT INTO meters (serial, `key`) VALUES ('9999999','\(keyB)');
            INSERT INTO meters (serial, `key`) VALUES ('4294967295','\(keyC)');

            """)
    }

    @Test("an export can be limited to one installation")
    func exportByInstallation() throws {
        let text = try smallLedger().export(.csv, installation: "Other", destination: "test")
        #expect(text == "serial,key\n4294967295,\(keyC)\n")
    }

    @Test("the SQL export runs in SQLite against a meters table shaped like MeterLoggerWeb's and reads back")
    func sqlExportRuns() throws {
        let sql = try smallLedger().export(.meterLoggerWebSQL, destination: "test")
        let database = try DatabaseQueue()
        let rows = try database.write { db in
            // MeterLoggerWeb's columns that matter here; every other one has a default.
            try db.execute(sql: """
                CREATE TABLE meters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    enabled INTEGER DEFAULT 1,
                    type TEXT NOT NULL DEFAULT 'heat',
                    serial VARCHAR(16) DEFAULT NULL,
                    info VARCHAR(256) NOT NULL DEFAULT '',
                    `key` VARCHAR(32) DEFAULT NULL
                )
                """)
            try db.execute(sql: sql)
            return try Row.fetchAll(db, sql: "SELECT serial, `key` FROM meters ORDER BY id").map { [$0["serial"], $0["key"]] as [String] }
        }
        #expect(rows == [["0012345", keyA], ["9999999", keyB], ["4294967295", keyC]])
    }

    @Test("an empty ledger exports no SQL statements and a CSV header alone")
    func emptyExports() {
        #expect(KeyExportFormat.meterLoggerWebSQL.render([]) == "")
        #expect(KeyExportFormat.csv.render([]) == "serial,key\n")
    }

    @Test("a CSV export imports back into another ledger unchanged")
    func csvRoundTrip() throws {
        let csv = try smallLedger().export(.csv, destination: "test")
        let other = try makeLedger()
        let summary = try other.importKeys(try KeyImportFile.parse(csv, file: "keys.csv"), from: "keys.csv")
        #expect(summary.added.map(\.ledgerText) == ["0012345", "9999999", "4294967295"])
        #expect(try other.export(.csv, destination: "test") == csv)
        #expect(try other.entries().allSatisfy { $0.origin == .imported && $0.status == .generated })
    }

    @Test("import reads serial,key lines with or without a header, quotes, blank lines, comments and CRLF")
    func importParsing() throws {
        let withHeader = try KeyImportFile.parse("Serial,Key\r\n12345,\(keyA.uppercased())\r\n\r\n# comment\n\"9999999\",\"\(keyB)\"\n", file: "a.csv")
        #expect(withHeader.map(\.serial.ledgerText) == ["0012345", "9999999"])
        #expect(withHeader.map(\.key) == [key(keyA), key(keyB)])
        #expect(withHeader.map(\.source) == ["a.csv:2", "a.csv:5"])
        let bare = try KeyImportFile.parse("12345,\(keyA)", file: "b.csv")
        #expect(bare.map(\.serial.text) == ["12345"])
    }

    @Test("a malformed import line is named by file and line")
    func importSyntaxErrors() {
        #expect(throws: KeyStoreError.importSyntax(file: "c.csv", line: 2, problem: "expected 2 fields (serial,key), found 3")) {
            try KeyImportFile.parse("serial,key\n12345,\(keyA),x\n", file: "c.csv")
        }
        #expect(throws: KeyStoreError.importSyntax(file: "c.csv", line: 1, problem: "the second field is not a key (32 hex characters): it has 31 characters")) {
            try KeyImportFile.parse("12345,\(keyA.dropLast())\n", file: "c.csv")
        }
        #expect(throws: KeyStoreError.self) { try KeyImportFile.parse("serial,key\nserial,key\n", file: "c.csv") }
    }

    @Test("an import with a serial whose key differs from the ledger's records nothing and names the serial")
    func importRefusesConflicts() throws {
        let store = try makeLedger()
        _ = try store.record(key(keyA), for: serial("5000005"), source: "test")
        let rows = [
            KeyRow(serial: serial("5000001"), key: key(keyC)),
            KeyRow(serial: serial("5000005"), key: key(keyB)),
        ]
        #expect(throws: KeyStoreError.importConflicts(file: "laptop2.csv", serials: ["5000005"])) {
            try store.importKeys(rows, from: "laptop2.csv")
        }
        #expect(try store.entries().map(\.serial.text) == ["5000005"])
        #expect(try store.key(for: serial("5000005"), generateIfMissing: false) == key(keyA))
        // The refused import left no event; reading the key back above is one.
        #expect(try store.events().map(\.what) == [.recorded, .issued])
    }

    @Test("an import naming a serial twice with different keys is refused too")
    func importRefusesInternalConflicts() throws {
        let store = try makeLedger()
        let rows = [KeyRow(serial: serial("12345"), key: key(keyA)), KeyRow(serial: serial("0012345"), key: key(keyB))]
        #expect(throws: KeyStoreError.importConflicts(file: "dup.csv", serials: ["0012345"])) {
            try store.importKeys(rows, from: "dup.csv")
        }
        #expect(try store.entries().isEmpty)
    }

    @Test("importing keys the ledger already holds changes nothing")
    func importSameKeysIsANoOp() throws {
        let store = try makeLedger()
        _ = try store.record(key(keyA), for: serial("5000005"), source: "test")
        let summary = try store.importKeys([KeyRow(serial: serial("5000005"), key: key(keyA))], from: "same.csv")
        #expect(summary.added.isEmpty && summary.unchanged.map(\.text) == ["5000005"])
        #expect(try store.entry(for: serial("5000005"))?.origin == .profile)
    }
}
