import Foundation
import GRDB
import MeterLogger
import Provisioning
import Testing
import TestSupport

@Suite("The key ledger records a key before handing it out")
struct KeyStoreTests {
    @Test("a generated key is recorded and the same key comes back on every later call")
    func generateRecordGetRoundTrip() throws {
        let store = try makeLedger()
        let first = try store.issueKey(for: serial("4711001"), installation: "Block 4")
        #expect(first.outcome == .generated)
        let again = try store.issueKey(for: serial("4711001"), installation: "Block 4")
        #expect(again.outcome == .existing)
        #expect(again.key == first.key)
        #expect(try store.key(for: serial("4711001"), generateIfMissing: false) == first.key)

        // A second connection (another process would have one) reads the committed key.
        let reopened = try KeyStore(path: store.path, user: "someone else")
        #expect(try reopened.key(for: serial("4711001"), generateIfMissing: false) == first.key)

        let entry = try #require(try reopened.entry(for: serial("4711001")))
        #expect(entry.status == .generated)
        #expect(entry.origin == .generated)
        #expect(entry.installation == "Block 4")
        #expect(entry.createdBy == "tester")
        #expect(entry.createdAt == Date(timeIntervalSince1970: 1_750_000_000))
    }

    @Test("generated keys differ from serial to serial (OpenSSL's random generator)")
    func generatedKeysDiffer() throws {
        let store = try makeLedger()
        let keys = try (1...20).map { try store.key(for: serial("50000\($0 + 10)")) }
        #expect(Set(keys).count == 20)
        #expect(Set(keys.map(\.hex)).allSatisfy { $0.count == 32 })
    }

    @Test("12345 and 0012345 are one meter with one key, kept as the firmware's %07u")
    func serialsDifferingInLeadingZerosShareAKey() throws {
        let store = try makeLedger()
        let short = try store.key(for: serial("12345"))
        #expect(try store.key(for: serial("0012345")) == short)
        #expect(try store.entries().map(\.serial.text) == ["0012345"])
        #expect(serial("4294967295").ledgerText == "4294967295")
    }

    @Test("asking for an unknown serial without generating fails naming the serial")
    func unknownSerialWithoutGenerating() throws {
        let store = try makeLedger()
        #expect(throws: KeyStoreError.unknownSerial("0000042")) {
            try store.key(for: serial("42"), generateIfMissing: false)
        }
        #expect(try store.entries().isEmpty)
        #expect(throws: KeyStoreError.unknownSerial("0000042")) { try store.markFlashed(serial: serial("42")) }
    }

    @Test("two concurrent tasks asking for the same serials get the same keys, each generated once")
    func concurrentCallersGetTheSameKey() async throws {
        let first = try makeLedger()
        // Separate connections on one file, as two processes would have.
        let second = try KeyStore(path: first.path, user: "tester")
        let serials = (1...25).map { serial("77\($0 + 10)00") }
        let results = try await withThrowingTaskGroup(of: [DeviceKey].self) { group in
            for store in [first, second, first] {
                group.addTask { try serials.map { serial throws(KeyStoreError) in try store.key(for: serial) } }
            }
            var all: [[DeviceKey]] = []
            for try await keys in group { all.append(keys) }
            return all
        }
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0 == results[0] })
        #expect(try first.entries().count == serials.count)
        let generated = try first.events().filter { $0.what == .generated }
        #expect(generated.count == serials.count)
    }

    @Test("flashing and commissioning move the status forward and keep the board's identity")
    func statusMovesForward() throws {
        let store = try makeLedger()
        let meter = serial("9999999")
        let recorded = try store.key(for: meter)
        try store.markFlashed(serial: meter, mac: "ac:d0:74:0a:0b:0c", chipID: "0x010a0b0c")
        #expect(try store.entry(for: meter)?.status == .flashed)
        try store.markCommissioned(serial: meter)
        var entry = try #require(try store.entry(for: meter))
        #expect(entry.status == .commissioned)
        #expect(entry.flashedAt != nil && entry.commissionedAt != nil)
        // A re-flash without identity keeps the MAC and chip id already known.
        try store.markFlashed(serial: meter)
        entry = try #require(try store.entry(for: meter))
        #expect(entry.status == .flashed)
        #expect(entry.mac == "ac:d0:74:0a:0b:0c" && entry.chipID == "0x010a0b0c")
        try store.retire(serial: meter)
        #expect(try store.entry(for: meter)?.status == .retired)
        // Retiring keeps the key: old data is read with it.
        #expect(try store.key(for: meter, generateIfMissing: false) == recorded)
    }

    @Test("every step is an event naming who did it, oldest first")
    func eventsRecordTheHistory() throws {
        let store = try makeLedger()
        let meter = serial("1234567")
        _ = try store.key(for: meter, installation: "Block 4")
        _ = try store.key(for: meter)
        try store.markFlashed(serial: meter, mac: "aa:bb:cc:dd:ee:ff")
        try store.markCommissioned(serial: meter)
        _ = try store.export(.csv, destination: "backup.csv")
        _ = try store.importKeys([KeyRow(serial: serial("7654321"), key: key(keyA))], from: "old.csv")
        let events = try store.events(serial: meter)
        #expect(events.map(\.what) == [.generated, .issued, .flashed, .commissioned, .exported])
        #expect(events.allSatisfy { $0.who == "tester" && $0.serial == "1234567" })
        #expect(events[0].detail == "installation Block 4")
        #expect(events[2].detail == "mac aa:bb:cc:dd:ee:ff")
        #expect(events[4].detail == "to backup.csv")
        #expect(try store.events().count == events.count + 1)
        #expect(try store.events(serial: serial("7654321")).map(\.what) == [.imported])
        let everything = try store.events().map { "\($0.serial ?? "") \($0.what) \($0.who) \($0.detail)" }.joined(separator: "\n")
        #expect(hexRuns(in: everything).isEmpty, "an event holds a key")
    }

    @Test("the events table is append-only and a recorded key can never be changed or deleted, even by SQL")
    func tablesRefuseRewriting() throws {
        let store = try makeLedger()
        _ = try store.record(key(keyA), for: serial("1000001"), source: "test")
        let database = try DatabaseQueue(path: store.path)
        #expect(throws: DatabaseError.self) { try database.write { try $0.execute(sql: "UPDATE events SET who = 'mallory'") } }
        #expect(throws: DatabaseError.self) { try database.write { try $0.execute(sql: "DELETE FROM events") } }
        #expect(throws: DatabaseError.self) {
            try database.write { try $0.execute(sql: #"UPDATE devices SET "key" = ? WHERE serial = '1000001'"#, arguments: [keyB]) }
        }
        #expect(throws: DatabaseError.self) { try database.write { try $0.execute(sql: "DELETE FROM devices") } }
        #expect(try store.key(for: serial("1000001"), generateIfMissing: false) == key(keyA))
        #expect(try store.events().map(\.what) == [.recorded, .issued])
    }

    @Test("errors never carry a key: conflicts name the serial only")
    func keysNeverInErrors() throws {
        let store = try makeLedger()
        _ = try store.record(key(keyA), for: serial("2000002"), source: "block4.yaml")
        var errors: [KeyStoreError] = []
        do { _ = try store.record(key(keyB), for: serial("2000002"), source: "block4.yaml") } catch { errors.append(error) }
        do {
            _ = try store.importKeys([KeyRow(serial: serial("2000002"), key: key(keyC), source: "new.csv:2")], from: "new.csv")
        } catch { errors.append(error) }
        do { _ = try KeyImportFile.parse("\(keyA),2000002\n", file: "swapped.csv") } catch { errors.append(error) }
        do { _ = try KeyImportFile.parse("2000002,\(keyA.dropLast())x\n", file: "typo.csv") } catch { errors.append(error) }
        do { _ = try KeyImportFile.parse("2000002,\(keyA)0\n", file: "long.csv") } catch { errors.append(error) }
        #expect(errors.count == 5)
        #expect(errors[0] == .keyConflict(serial: "2000002", source: "block4.yaml"))
        #expect(errors[1] == .importConflicts(file: "new.csv", serials: ["2000002"]))
        for error in errors {
            var dumped = ""
            dump(error, to: &dumped)
            let texts = [error.description, error.help ?? "", String(reflecting: error), dumped]
            for text in texts {
                #expect(hexRuns(in: text).isEmpty, "\(text)")
                for hex in [keyA, keyB, keyC] { #expect(!text.lowercased().contains(hex.prefix(16)), "\(text)") }
            }
        }
        #expect(errors[0].description.contains("2000002"))
        // The issued value prints its key redacted too.
        let issued = try store.issueKey(for: serial("2000002"))
        #expect(!String(describing: issued).contains(keyA) && String(describing: issued).contains("<redacted>"))
    }

    @Test("one key is never recorded for two serials: an import naming it twice records nothing")
    func importWithOneKeyOnTwoSerialsRecordsNothing() throws {
        let store = try makeLedger()
        let rows = [
            KeyRow(serial: serial("3100001"), key: key(keyA), source: "boards.csv:1"),
            KeyRow(serial: serial("3100002"), key: key(keyB), source: "boards.csv:2"),
            KeyRow(serial: serial("3100003"), key: key(keyA), source: "boards.csv:3"),
        ]
        #expect(throws: KeyStoreError.keyShared(serial: "3100003", holder: "3100001", source: "boards.csv:3")) {
            _ = try store.importKeys(rows, from: "boards.csv")
        }
        #expect(try store.entries().isEmpty, "the import is all or nothing")
        let error = KeyStoreError.keyShared(serial: "3100003", holder: "3100001", source: "boards.csv:3")
        #expect(hexRuns(in: error.description + (error.help ?? "")).isEmpty, "no key in the message")
    }

    @Test("a profile key equal to another serial's key is refused, naming both serials")
    func profileKeyOfAnotherSerialIsRefused() throws {
        let store = try makeLedger()
        _ = try store.record(key(keyA), for: serial("3200001"), source: "block4.yaml")
        #expect(throws: KeyStoreError.keyShared(serial: "3200002", holder: "3200001", source: "block5.yaml")) {
            _ = try store.record(key(keyA), for: serial("3200002"), source: "block5.yaml")
        }
        #expect(try store.entry(for: serial("3200002")) == nil)
        // The same key again for its own serial is fine.
        #expect(try store.record(key(keyA), for: serial("3200001"), source: "block4.yaml").outcome == .existing)
    }
}
