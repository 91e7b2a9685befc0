import Basics
import Crypto
import ESPImage
import ESPProtocol

/// The stub side of a session: starting the RAM stub and the commands only a stub has.
extension LoaderSession {
    /// How long a started stub may take to greet (it only sets up its UART first).
    public static let stubGreetingTimeout: Duration = .seconds(1)
    /// SPI_FLASH_MD5 reads the flash at about 8 s per MiB at worst (esptool's allowance).
    public static let md5TimeoutPerMiB: Duration = .seconds(8)

    /// Uploads `stub` to RAM through MEM_BEGIN/MEM_DATA, starts it with MEM_END and waits
    /// for its greeting. From then on `write(_:)` sends compressed parts and verifies them.
    public func startStub(_ stub: FlasherStub) throws(FlasherError) {
        guard runningStub == nil else { return }
        // A stub left running (an earlier --after no-reset) answers SYNC with 0: speak to it
        // rather than uploading over the code it runs.
        if syncAnsweredByStub {
            runningStub = stub
            return
        }
        // The upload is ~9 KB through the ROM's MEM_* commands, where one bad byte on the
        // line fails a block: the whole upload is sent again (MEM_BEGIN starts it afresh),
        // up to `uploadAttempts` times, and a failure says it was the stub's upload.
        var attempt = 1
        while true {
            do {
                try upload(stub)
                break
            } catch {
                if case .link = error { throw error }
                guard attempt < Self.uploadAttempts else { throw .stubUploadFailed(attempts: attempt, cause: error) }
                attempt += 1
                try resynchronize()
            }
        }
        try memEnd(execute: true, entry: stub.entry)
        try awaitGreeting(from: stub)
    }

    /// How often the stub's upload is tried before the job fails.
    public static let uploadAttempts = 3

    /// Sends `stub`'s segments to RAM (MEM_BEGIN, MEM_DATA), not yet started.
    private func upload(_ stub: FlasherStub) throws(FlasherError) {
        for segment in stub.segments where !segment.bytes.isEmpty {
            let blocks = stride(from: 0, to: segment.bytes.count, by: FlasherStub.uploadBlockSize).map {
                Array(segment.bytes[$0..<min($0 + FlasherStub.uploadBlockSize, segment.bytes.count)])
            }
            try memBegin(size: segment.bytes.count, packetCount: blocks.count, packetSize: FlasherStub.uploadBlockSize, address: segment.address)
            for (sequence, block) in blocks.enumerated() { try memData(block, sequence: sequence) }
        }
    }

    /// Waits for a started stub's OHAI; from then on the session speaks to it.
    func awaitGreeting(from stub: FlasherStub) throws(FlasherError) {
        _ = try receiveFrame(timeout: Self.stubGreetingTimeout, onTimeout: .stubDidNotStart(entry: stub.entry)) {
            $0 == FlasherStub.greeting
        }
        runningStub = stub
    }

    /// Starts `stub`; when it does not greet and `reset` can bring the chip back, resets into
    /// the ROM and syncs again, so the job goes on uncompressed. Returns whether the stub runs.
    public func startStubOrFallBack(
        _ stub: FlasherStub, reset: ResetStrategy, attempts: Int = defaultConnectAttempts, progress: (FlashEvent) -> Void = { _ in }
    ) throws(FlasherError) -> Bool {
        do {
            try startStub(stub)
            progress(.stubStarted)
            return true
        } catch .stubDidNotStart(let entry) {
            guard reset != .none else { throw .stubDidNotStart(entry: entry) }
            progress(.stubFallback)
            try connect(reset: reset, attempts: attempts, progress: progress)
            return false
        }
    }

    /// The stub's MD5 of `size` flash bytes at `offset`.
    public func flashMD5(offset: Int, size: Int) throws(FlasherError) -> [UInt8] {
        let timeout = Self.defaultTimeout + Self.md5TimeoutPerMiB * (Double(size) / Double(1 << 20))
        let response = try command(.spiFlashMD5(address: UInt32(offset), size: UInt32(size)), timeout: timeout)
        let digest = response.body
        guard digest.count == 16 else { throw .commandFailed(command: .spiFlashMD5, code: nil) }
        return digest
    }

    /// Writes every part of `plan` through the stub: the flash geometry first, then each
    /// part as one zlib stream in blocks of the stub's size, ended, and its MD5 compared
    /// with the stub's. A refused block, a lost reply or a digest mismatch rewrites the part
    /// from its start (up to `blockAttempts` times). The plan's protected regions are
    /// digested before and after: a stub that touched one is caught and named.
    func writeCompressed(_ plan: FlashPlan, stub: FlasherStub, progress: (FlashEvent) -> Void) throws(FlasherError) {
        try command(.spiSetParams(totalSize: UInt32(plan.flashSize)))
        let protectedBefore = try plan.protectedRegions.map { region throws(FlasherError) in
            try flashMD5(offset: region.range.lowerBound, size: region.range.count)
        }
        for operation in plan.operations {
            try writeCompressed(operation.part, stub: stub, progress: progress)
        }
        for (region, before) in zip(plan.protectedRegions, protectedBefore) {
            guard try flashMD5(offset: region.range.lowerBound, size: region.range.count) == before else {
                throw .protectedRegionChanged(region: region.name, range: region.range)
            }
        }
    }

    private func writeCompressed(_ part: FlashPart, stub: FlasherStub, progress: (FlashEvent) -> Void) throws(FlasherError) {
        let started = ContinuousClock.now
        let compressed = ZlibStream.compress(part.bytes, windowBits: stub.maxWindowBits)
        let expected: [UInt8]
        do { expected = try MD5.digest(part.bytes) } catch { throw .digest(error) }
        var attempt = 1
        while true {
            do throws(FlasherError) {
                try writeStream(compressed, of: part, blockSize: stub.maxBlockSize, progress: progress)
                try command(.flashDeflEnd(.stayInStub), timeout: Self.flashWorkTimeout(bytes: part.bytes.count))
                let digest = try flashMD5(offset: part.offset, size: part.bytes.count)
                guard digest == expected else {
                    throw .verifyFailed(part: part.name, expected: hexString(expected), found: hexString(digest))
                }
                break
            } catch {
                let failure = FlasherError.partFailed(part: part.name, offset: part.offset, cause: error)
                if case .link = error { throw failure }
                guard attempt < Self.blockAttempts else { throw failure }
                progress(.retrying(part: part.name, offset: part.offset, reason: error.description))
                attempt += 1
                try resynchronize()
            }
        }
        progress(.partWritten(part: part.name, offset: part.offset, bytes: part.bytes.count,
                              seconds: (ContinuousClock.now - started).seconds))
    }

    /// How long erasing and programming `bytes` may take on the chip (the ROM's erase
    /// allowance per MiB, at least the default timeout). A block's reply can wait for the
    /// previous block's work, and one compressed block may inflate to most of a part.
    static func flashWorkTimeout(bytes: Int) -> Duration {
        defaultTimeout + eraseTimeoutPerMiB * (Double(bytes) / Double(1 << 20))
    }

    /// FLASH_DEFL_BEGIN and the blocks of one part's stream.
    private func writeStream(_ compressed: [UInt8], of part: FlashPart, blockSize: Int, progress: (FlashEvent) -> Void) throws(FlasherError) {
        let blockCount = (compressed.count + blockSize - 1) / blockSize
        progress(.erasing(part: part.name, range: ESP8266.sectorRange(covering: part.range)))
        try command(.flashDeflBegin(
            uncompressedSize: UInt32(part.bytes.count), packetCount: UInt32(blockCount), packetSize: UInt32(blockSize), offset: UInt32(part.offset)))
        let blockTimeout = Self.flashWorkTimeout(bytes: part.bytes.count)
        for sequence in 0..<blockCount {
            let start = sequence * blockSize
            let block = Array(compressed[start..<min(start + blockSize, compressed.count)])
            try command(.flashDeflData(block, sequence: UInt32(sequence)), timeout: blockTimeout)
            let sent = min(compressed.count, start + blockSize)
            progress(.writing(part: part.name, written: part.bytes.count * sent / compressed.count, total: part.bytes.count))
        }
    }
}
