import Foundation
import SerialLink

/// The instant `seconds` from now.
func deadline(in seconds: Double) -> ContinuousClock.Instant {
    .now + .milliseconds(Int(seconds * 1000))
}

/// Reads until `count` bytes arrived; fewer if `seconds` passed first.
func read(_ count: Int, from link: some ByteLink, within seconds: Double = 5) throws(LinkError) -> [UInt8] {
    let end = deadline(in: seconds)
    var bytes: [UInt8] = []
    while bytes.count < count && ContinuousClock.now < end {
        bytes += try link.read(maxCount: count - bytes.count, deadline: end)
    }
    return bytes
}

/// Runs `body` on its own thread (never on the Swift concurrency pool), for a reader or
/// writer that must block while the test thread does something else.
final class Background<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `outcome` is written once by the thread before `finished` is signalled
    // and read only after waiting for it.
    private let finished = DispatchSemaphore(value: 0)
    private var outcome: Result<Value, LinkError>?

    init(_ body: @escaping @Sendable () throws(LinkError) -> Value) {
        let thread = Thread { [self] in
            do throws(LinkError) {
                outcome = .success(try body())
            } catch {
                outcome = .failure(error)
            }
            finished.signal()
        }
        thread.start()
    }

    /// The thread's result, or nil if it has not finished within `seconds`.
    func result(within seconds: Double = 10) -> Result<Value, LinkError>? {
        guard finished.wait(timeout: .now() + seconds) == .success else { return nil }
        return outcome
    }
}

/// Every byte value, twice, so raw mode is proven for all of them (CR, LF, XON, ^C…).
let allByteValues: [UInt8] = Array(0...255) + Array((0...255).reversed())
