import Foundation
import MeterLogger
import Provisioning
import Testing

@Suite("A profile's device gets its key through the ledger")
struct KeyResolverTests {
    @Test("a key given in the profile is recorded in the ledger on first use")
    func givenKeyIsRecorded() throws {
        let store = try makeLedger()
        let device = Device(serial: serial("9999999"), key: .given(key(keyA)))
        let resolver = KeyResolver(store: store)
        let issued = try resolver.resolve(device, in: profile([device]))
        #expect(issued.key == key(keyA) && issued.outcome == .recorded)
        #expect(try resolver.resolve(device, in: profile([device])).outcome == .existing)
        let entry = try #require(try store.entry(for: serial("9999999")))
        #expect(entry.origin == .profile && entry.installation == "Block 4")
        #expect(try store.events().map(\.detail) == ["from block4.yaml", "matches block4.yaml"])
    }

    @Test("a profile key that differs from the ledger's is refused, naming the serial and the profile")
    func conflictingGivenKeyRefused() throws {
        let store = try makeLedger()
        _ = try store.key(for: serial("9999999"))
        let device = Device(serial: serial("9999999"), key: .given(key(keyA)))
        #expect(throws: KeyStoreError.keyConflict(serial: "9999999", source: "block4.yaml")) {
            try KeyResolver(store: store).key(for: device, in: profile([device]))
        }
        #expect(try store.key(for: serial("9999999"), generateIfMissing: false) != key(keyA))
    }

    @Test("key: generate takes the ledger's key, generating it on first use only")
    func generateUsesTheStore() throws {
        let store = try makeLedger()
        let device = Device(serial: serial("7310001"), key: .generate)
        let resolver = KeyResolver(store: store)
        let first = try resolver.resolve(device, in: profile([device]))
        #expect(first.outcome == .generated)
        #expect(try resolver.key(for: device, in: profile([device])) == first.key)
        #expect(try store.key(for: serial("7310001"), generateIfMissing: false) == first.key)
        #expect(try store.entry(for: serial("7310001"))?.installation == "Block 4")
    }

    @Test("key: generate for a serial imported earlier uses the imported key")
    func generateUsesAnImportedKey() throws {
        let store = try makeLedger()
        _ = try store.importKeys([KeyRow(serial: serial("7310002"), key: key(keyB))], from: "old.csv")
        let device = Device(serial: serial("7310002"), key: .generate)
        #expect(try KeyResolver(store: store).key(for: device, in: profile([device])) == key(keyB))
    }
}
