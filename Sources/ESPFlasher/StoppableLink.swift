import SerialLink

/// A link that ends (with `LinkError.closed`) as soon as its `StopToken` is stopped: the
/// loader session's blocking reads are cut into slices of `slice` so that Ctrl-C or a
/// board's removal aborts a running flash within one slice, whatever the command timeout.
final class StoppableLink: ByteLink {
    /// The longest a read blocks before the token is looked at again.
    static let slice: Duration = .milliseconds(100)

    let base: any ByteLink
    let token: StopToken

    init(_ base: any ByteLink, token: StopToken) {
        self.base = base
        self.token = token
    }

    var name: String { base.name }

    private func checkStop() throws(LinkError) {
        if token.reason != nil { throw .closed(link: base.name) }
    }

    func write(_ bytes: [UInt8]) throws(LinkError) {
        try checkStop()
        try base.write(bytes)
    }

    func read(maxCount: Int, deadline: ContinuousClock.Instant) throws(LinkError) -> [UInt8] {
        while true {
            try checkStop()
            let now = ContinuousClock.now
            let sliceEnd = min(deadline, now + Self.slice)
            let bytes = try base.read(maxCount: maxCount, deadline: sliceEnd)
            if !bytes.isEmpty || sliceEnd >= deadline { return bytes }
        }
    }

    func baudRate() throws(LinkError) -> Int { try base.baudRate() }
    func setBaudRate(_ baud: Int) throws(LinkError) { try base.setBaudRate(baud) }
    func setControlLines(dtr: Bool?, rts: Bool?) throws(LinkError) {
        try checkStop()
        try base.setControlLines(dtr: dtr, rts: rts)
    }
    func discardInput() throws(LinkError) { try base.discardInput() }
    func drainOutput() throws(LinkError) { try base.drainOutput() }
    func close() { base.close() }
}
