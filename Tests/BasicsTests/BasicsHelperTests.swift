import Basics
import CSysShim
import Foundation
import Synchronization
import Testing

@Suite("Basics: hex and Duration text")
struct TextHelperTests {
    @Test("hex numbers are 0x-prefixed and padded; bytes are two digits each, either case")
    func hexText() {
        #expect(hex(0x76000) == "0x00076000")
        #expect(hex(0xAB, digits: 2) == "0xab")
        #expect(hex(0x123456789, digits: 2) == "0x123456789")
        #expect(hexString([0x00, 0xAB, 0x7F]) == "00ab7f")
        #expect(hexString([0xAB, 0x01], uppercase: true) == "AB01")
        #expect(hexString([]) == "")
    }

    @Test("hex text reads back into bytes; odd counts and other characters are refused")
    func hexDecoding() {
        #expect(hexBytes("00AB7f") == [0x00, 0xAB, 0x7F])
        #expect(hexBytes("") == [])
        #expect(hexBytes("abc") == nil)
        #expect(hexBytes("0g") == nil)
        #expect(hexBytes(" 00") == nil)
        #expect(hexDigitValue(UInt8(ascii: "F")) == 15 && hexDigitValue(UInt8(ascii: "x")) == nil)
    }

    @Test("durations read as whole seconds or to the hundredth")
    func durationText() {
        #expect(Duration.seconds(5).secondsText == "5 s")
        #expect(Duration.milliseconds(250).secondsText == "0.25 s")
        #expect(Duration.milliseconds(1500).secondsText == "1.5 s")
        #expect(Duration.milliseconds(12_345).secondsText == "12.35 s")
        #expect(Duration.milliseconds(2500).seconds == 2.5)
    }

    @Test("one trailing line break is dropped, no more")
    func trailingLineBreak() {
        #expect("pw\n".droppingTrailingLineBreak == "pw")
        #expect("pw\r\n".droppingTrailingLineBreak == "pw")
        #expect("pw\n\n".droppingTrailingLineBreak == "pw\n")
        #expect("pw".droppingTrailingLineBreak == "pw")
    }
}

@Suite("Basics: secret files")
struct SecretFileTests {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("basics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test("an atomic write is 0600, replaces a wider-mode file and leaves no temporary file")
    func atomicPrivateWrite() throws {
        let root = try folder()
        let path = root.appendingPathComponent("key").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644])
        try AtomicFile.write("new\n", to: path)
        #expect(try mode(path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["key"])
    }

    @Test("a write with another mode gets exactly that mode, whatever the umask")
    func atomicWriteMode() throws {
        let root = try folder()
        let path = root.appendingPathComponent("rules").path
        try AtomicFile.write([1, 2, 3], to: path, mode: 0o644)
        #expect(try mode(path) == 0o644)
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
    }

    @Test("staged files are not in place until committed; a write into a missing folder names the target")
    func stagedAndFailing() throws {
        let root = try folder()
        let target = root.appendingPathComponent("a.rules").path
        let staged = try AtomicFile.stage(Array("x".utf8), besides: target, mode: 0o644)
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(staged.hasPrefix(root.path + "/.a.rules."))
        try AtomicFile.commit(staged, to: target)
        #expect(FileManager.default.fileExists(atPath: target) && !FileManager.default.fileExists(atPath: staged))

        let missing = root.appendingPathComponent("no/such/file").path
        let error = #expect(throws: AtomicFileError.self) { try AtomicFile.write("x", to: missing) }
        #expect(error?.path == missing)
    }

    @Test("a secret file open to others is refused, naming it and chmod 600; a private one is read")
    func ownerOnlyRead() throws {
        let root = try folder()
        let path = root.appendingPathComponent("pw").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("secret\n".utf8), attributes: [.posixPermissions: 0o640])
        #expect(throws: OwnerOnlyFileError.notPrivate(path: path, mode: 0o640)) { try OwnerOnlyFile.read(path) }
        #expect(OwnerOnlyFileError.notPrivate(path: path, mode: 0o640).help == "run chmod 600 \(path)")
        #expect(!OwnerOnlyFileError.notPrivate(path: path, mode: 0o640).description.contains("secret"))
        _ = chmod(path, 0o600)
        #expect(try OwnerOnlyFile.read(path) == "secret\n")
        let missing = root.appendingPathComponent("none").path
        let unreadable = #expect(throws: OwnerOnlyFileError.self) { try OwnerOnlyFile.read(missing) }
        guard case .unreadable(let failure)? = unreadable else {
            Issue.record("a missing file is unreadable, not \(String(describing: unreadable))")
            return
        }
        #expect(failure.problem == .missing && failure.path == missing)
        #expect(unreadable?.description == "cannot read \(missing): no such file")
    }
}

@Suite("Basics: blocking work and the watchdog")
struct ThreadHelperTests {
    @Test("blocking work runs on a thread of its own and hands back its result or its error")
    func blockingWork() async throws {
        let name = await blocking("basics test") { () -> String in
            var buffer = [CChar](repeating: 0, count: 16)
            _ = csys_thread_name(&buffer, buffer.count)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        #expect(name == "basics test", "the body runs on the helper's own, named thread")
        // Four bodies that wait for each other all finish: none of them holds one of the
        // cooperative pool's threads (two on a two-core machine).
        let arrived = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        let met = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<4 {
                group.addTask {
                    await blocking("rendezvous \(index)") {
                        arrived.signal()
                        return released.wait(timeout: .now() + 30) == .success
                    }
                }
            }
            group.addTask {
                await blocking("release") {
                    for _ in 0..<4 { guard arrived.wait(timeout: .now() + 30) == .success else { return false } }
                    for _ in 0..<4 { released.signal() }
                    return true
                }
            }
            var all = true
            for await result in group { all = all && result }
            return all
        }
        #expect(met)
        struct Failure: Error, Equatable {}
        await #expect(throws: Failure()) { try await blocking("fails") { () throws(Failure) -> Int in throw Failure() } }
        let value = await blocking("cannot fail") { 42 }
        #expect(value == 42)
    }

    @Test("an armed watchdog fires after its time; a disarmed one never does")
    func watchdog() async throws {
        let box = FiredBox()
        let armed = Watchdog()
        armed.arm(after: .milliseconds(10)) { box.fire() }
        let disarmed = Watchdog()
        disarmed.arm(after: .milliseconds(10)) { box.fireDisarmed() }
        disarmed.disarm()
        let deadline = ContinuousClock.now + .seconds(30)
        while !box.fired, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(box.fired)
        try await Task.sleep(for: .milliseconds(50))
        #expect(!box.disarmedFired)
    }
}

private final class FiredBox: Sendable {
    private let state = Mutex((fired: false, disarmedFired: false))
    func fire() { state.withLock { $0.fired = true } }
    func fireDisarmed() { state.withLock { $0.disarmedFired = true } }
    var fired: Bool { state.withLock { $0.fired } }
    var disarmedFired: Bool { state.withLock { $0.disarmedFired } }
}
