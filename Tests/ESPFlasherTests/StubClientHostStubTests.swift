@testable import ESPFlasher
import ESPImage
import CStubHost
import Foundation
import Testing
import TestSupport

/// mlprov's client against mlprov's own stub: the C core that runs on the chip, built for
/// the host (CStubHost) behind a pseudo-terminal. The client is the real one (SerialPort,
/// LoaderSession, compressed writes with MD5 verification); only the upload is skipped,
/// because the host stub is already running when it greets.
@Suite("mlprov's client with mlprov's stub", .serialized)
struct StubClientHostStubTests {
    typealias Support = TwinSessionSupport
    static let prefill: UInt8 = 0x5A

    @Test("the MeterLogger set, compressed in the stub's block size and window, lands byte for byte; exactly its sectors are erased")
    func writesTheSet() throws {
        let stub = try HostStub(flashSize: FlashSize.size1MB.bytes, fill: Self.prefill)
        defer { stub.stop() }
        let session = LoaderSession(link: stub.client.port)
        try session.awaitGreeting(from: .mlprov)
        let plan = try Support.meterLoggerPlan()
        var events: [FlashEvent] = []
        try session.write(plan) { events.append($0) }
        let counters = stub.counters()
        let flash = stub.stop()

        var expected = [UInt8](repeating: Self.prefill, count: FlashSize.size1MB.bytes)
        for operation in plan.operations {
            let part = operation.part
            let sectorsEnd = (part.range.upperBound + 0xFFF) / 0x1000 * 0x1000
            expected.replaceSubrange(part.offset..<sectorsEnd, with: repeatElement(0xFF, count: sectorsEnd - part.offset))
            expected.replaceSubrange(part.range, with: part.bytes)
        }
        #expect(byteDifference(flash, expected) == nil)
        #expect(counters.unerased_writes == 0)
        #expect(!events.contains { if case .retrying = $0 { true } else { false } })
        let written = events.compactMap { if case .partWritten(let part, _, _, _) = $0 { part } else { nil } }
        #expect(written == plan.operations.map(\.part.name))
    }

    @Test("leaving with run: RUN_USER_CODE ends the stub, which runs the user code")
    func runUserCode() throws {
        let stub = try HostStub(flashSize: 0x10000)
        defer { stub.stop() }
        let session = LoaderSession(link: stub.client.port)
        try session.awaitGreeting(from: .mlprov)
        #expect(try session.finish(.run) == .run)
        #expect(stub.waitExit() == Int32(STUB_HOST_RAN_USER_CODE))
    }
}
