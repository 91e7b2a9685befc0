import CSysShim
import Station
import Synchronization
import Testing

@Suite("One thread per board conversation")
struct ConversationThreadTests {
    /// The calling OS thread's name, as the kernel keeps it.
    static func threadName() -> String {
        var buffer = [CChar](repeating: 0, count: 16)
        _ = csys_thread_name(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("jobs run in order, one after another, on the one named thread; results and errors come back")
    func jobsRunInOrderOnOneThread() async throws {
        let thread = ConversationThread(name: "board pts/7")
        defer { thread.finish() }
        let order = Mutex<[Int]>([])
        var names: Set<String> = []
        for index in 0..<20 {
            let name = try await thread.run { () -> String in
                order.withLock { $0.append(index) }
                return Self.threadName()
            }
            names.insert(name)
        }
        #expect(order.withLock { $0 } == Array(0..<20))
        #expect(names == ["board pts/7"], "every job ran on the conversation's own thread")
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await thread.run { () throws -> Int in throw Refused() } }
        #expect(try await thread.run { 42 } == 42, "a job after a failed one still runs")
    }

    @Test("once finished, the thread takes no more jobs and says so")
    func finishedThreadRefusesJobs() async throws {
        let thread = ConversationThread(name: "board done")
        #expect(try await thread.run { 1 } == 1)
        thread.finish()
        await #expect(throws: CancellationError.self) { try await thread.run { 2 } }
    }
}
