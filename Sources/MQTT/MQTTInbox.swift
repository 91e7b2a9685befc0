/// A mailbox over a client's `messages`: waits, with a time limit, for the next message
/// that matches a test, and keeps the others for later waits. A command-and-reply
/// conversation reads replies through it without losing a sample that arrives meanwhile.
///
/// It reads the stream from the moment it is made; at most `bufferLimit` unclaimed
/// messages are kept (the oldest go first).
public actor MQTTInbox {
    public static let bufferLimit = 1024

    private struct Waiter {
        var matches: @Sendable (MQTTMessage) -> Bool
        var continuation: CheckedContinuation<MQTTMessage?, Never>
    }

    private var buffer: [MQTTMessage] = []
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiter: UInt64 = 0
    private var finished = false
    private var pump: Task<Void, Never>?

    /// Starts reading `messages`.
    public init(_ messages: AsyncStream<MQTTMessage>) {
        pump = nil
        Task { await self.start(messages) }
    }

    private func start(_ messages: AsyncStream<MQTTMessage>) {
        guard pump == nil else { return }
        pump = Task { [weak self] in
            for await message in messages {
                guard let self else { return }
                await self.deliver(message)
            }
            await self?.finish()
        }
    }

    /// Whether the stream has ended (the client disconnected).
    public var isFinished: Bool { finished }

    /// The first unclaimed message that `matches`, waiting at most `timeout` for one;
    /// nil on timeout, cancellation, or when the stream has ended without one.
    public func next(timeout: Duration, where matches: @escaping @Sendable (MQTTMessage) -> Bool = { _ in true }) async -> MQTTMessage? {
        if let index = buffer.firstIndex(where: matches) { return buffer.remove(at: index) }
        if finished { return nil }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[id] = Waiter(matches: matches, continuation: continuation)
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
    }

    /// Takes every unclaimed message that `matches`, without waiting.
    public func drain(where matches: @Sendable (MQTTMessage) -> Bool = { _ in true }) -> [MQTTMessage] {
        let taken = buffer.filter(matches)
        buffer.removeAll(where: matches)
        return taken
    }

    private func deliver(_ message: MQTTMessage) {
        if let (id, waiter) = waiters.sorted(by: { $0.key < $1.key }).first(where: { $0.value.matches(message) }) {
            waiters[id] = nil
            waiter.continuation.resume(returning: message)
            return
        }
        buffer.append(message)
        if buffer.count > Self.bufferLimit { buffer.removeFirst(buffer.count - Self.bufferLimit) }
    }

    private func expire(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }

    private func finish() {
        finished = true
        for waiter in waiters.values { waiter.continuation.resume(returning: nil) }
        waiters = [:]
    }
}
