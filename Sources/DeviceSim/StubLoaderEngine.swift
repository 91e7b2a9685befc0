import Crypto
import ESPImage
import ESPProtocol

/// An esptool-compatible flasher stub as pure logic: what the chip speaks after a RAM
/// program was uploaded and started (MEM_END with an entry). Bytes in, frames and flash
/// changes out, no threads and no clock; the twin drives it from a link, tests directly.
///
/// Behaviour (firmware/stub/PROTOCOL.md; facts checked against esptool 5.6.0's loader.py
/// and cmds.py and the stubs it ships, esptool-legacy-flasher-stub and esp-flasher-stub):
/// - It greets with one frame holding `OHAI` and runs its UART at the rate the ROM had.
/// - Replies carry two status bytes (`Response.stub`); SYNC gets 8 replies with value 0,
///   which is how esptool tells a stub from the ROM.
/// - FLASH_BEGIN / FLASH_DEFL_BEGIN take the exact size: sectors are erased as the data
///   reaches them (`StubFlashWriter`), never beyond the announced region.
/// - A data block is acknowledged once received and checked (length, checksum, sequence);
///   its flash work (inflate, erase, program) follows the reply, one block in flight. An
///   error in that work (inflate error, too much data, a failing sector) is reported by
///   the next data block or the END, as esptool's stub does.
/// - FLASH_END / FLASH_DEFL_END: 0 reboots (a soft reset: back to the ROM in the latched
///   boot mode), 1 stays in the stub (esptool sends 1 after every file, then verifies).
/// - CHANGE_BAUDRATE is answered at the old rate, then the UART moves to the new one.
/// - READ_FLASH streams with acknowledgements (`StubFlashReadStream`); a frame that is no
///   acknowledgement ends the stream with the digest and is then served as a request.
///   RUN_USER_CODE boots from flash without a reply.
/// - Ranges (FLASH_BEGIN, FLASH_DEFL_BEGIN, ERASE_REGION, READ_FLASH, SPI_FLASH_MD5) must
///   end inside the flash size the stub was told: 16 MiB until SPI_SET_PARAMS states its
///   total; beyond it they are BAD_DATA_LEN. Inside it but beyond the twin's flash chip, the
///   SPI operation fails (0xC4).
/// - A plain FLASH_DATA block whose length is not a multiple of 4 is BAD_DATA_LEN unless it
///   reaches the announced size.
/// - Frames that are no request (too short, or not direction 0) are dropped unanswered.
public struct StubLoaderEngine: Sendable {
    /// The greeting the stub sends when it starts (the protocol's, as the client expects it).
    public static let greeting: [UInt8] = FlasherStub.greeting
    /// A stub answers SYNC like the ROM, 8 times, but with value 0.
    public static let syncReplyCount = 8
    public static let syncReplyValue: UInt32 = 0
    /// The flash size ranges are checked against until SPI_SET_PARAMS states the chip's
    /// total (firmware/stub's STUB_DEFAULT_FLASH_SIZE, as esptool's stub starts).
    public static let defaultFlashSize = 16 << 20
    /// Plain FLASH_DATA blocks are programmed in whole words; only the last may end off one.
    static let writeAlignment = 4

    /// What the emulated stub accepts. The defaults are esptool's stub for the ESP8266:
    /// 16 KiB blocks (esptool's stub FLASH_WRITE_SIZE, the stub's MAX_WRITE_BLOCK) and a
    /// 32 KiB inflate dictionary (miniz's TINFL_LZ_DICT_SIZE, zlib window bits 15).
    public struct Limits: Sendable, Equatable {
        public var maxBlockSize: Int
        public var maxWindowBits: Int
        public init(maxBlockSize: Int = 0x4000, maxWindowBits: Int = 15) {
            self.maxBlockSize = maxBlockSize
            self.maxWindowBits = maxWindowBits
        }
        public static let esptool = Limits()
    }

    /// One frame the stub sends: a command reply, or raw data (the greeting, READ_FLASH
    /// packets and their digest).
    public enum Frame: Sendable, Equatable {
        case reply(Response)
        case data([UInt8])

        /// The unframed packet.
        public var packet: [UInt8] {
            switch self {
            case .reply(let response): response.encoded()
            case .data(let bytes): bytes
            }
        }
    }

    /// The result of one complete frame.
    public struct Outcome: Sendable, Equatable {
        /// The request's opcode when it was a request (nil for READ_FLASH acknowledgements).
        public var opcode: Opcode?
        /// Frames to send, in order (empty when ignored, and for RUN_USER_CODE).
        public var frames: [Frame]
        /// Set when the frame was not answered.
        public var ignored: ROMLoaderEngine.Ignored?
        /// The error the reply carries, if the request failed.
        public var error: StubErrorCode?
        /// Flash work and requested delays.
        public var work: ROMLoaderEngine.Work
        /// The flash work runs after the reply (a data block); otherwise before it.
        public var workAfterReply: Bool
        public var followUp: ROMLoaderEngine.FollowUp
        /// The rate the frames go out at (CHANGE_BAUDRATE answers at the old one).
        public var replyBaud: Int
        /// As `ROMLoaderEngine.Outcome.completedAfterBytes`.
        public var completedAfterBytes: Int

        /// The command replies among the frames.
        public var replies: [Response] {
            frames.compactMap { if case .reply(let response) = $0 { response } else { nil } }
        }
        /// The raw data frames (READ_FLASH packets, the digest, the greeting).
        public var dataFrames: [[UInt8]] {
            frames.compactMap { if case .data(let bytes) = $0 { bytes } else { nil } }
        }
    }

    /// An open FLASH_BEGIN or FLASH_DEFL_BEGIN.
    struct FlashTransfer: Sendable {
        var writer: StubFlashWriter
        var packetCount: Int
        var packetSize: Int
        var nextSequence = 0
        /// Set for FLASH_DEFL_BEGIN.
        var inflater: ZlibInflater?
        /// An error the flash work of an acknowledged block ran into, reported next.
        var pendingError: StubErrorCode?
    }

    /// An open MEM_BEGIN.
    struct MemTransfer: Sendable, Equatable {
        var packetCount: Int
        var packetSize: Int
    }

    public let maxBaud: Int
    public let limits: Limits
    /// The rate the stub's UART runs at.
    public private(set) var uartBaud: Int
    /// Sectors that refuse programming (the write fails with 0xC4).
    public var failingSectors: Set<Int>
    /// RAM written by MEM_DATA (the ROM's, then the stub's).
    public private(set) var ram: RAMImage
    /// The flash size ranges must end within: `defaultFlashSize`, or SPI_SET_PARAMS's total.
    public private(set) var flashSizeLimit = StubLoaderEngine.defaultFlashSize

    private var decoder = SLIPDecoder()
    private var registers: ChipRegisters
    private var flashTransfer: FlashTransfer?
    private var memTransfer: MemTransfer?
    private var readStream: StubFlashReadStream?

    /// The stub the ROM just started: it keeps the ROM's UART rate, registers and RAM.
    public init(startedBy rom: ROMLoaderEngine, limits: Limits = .esptool) {
        maxBaud = rom.maxBaud
        self.limits = limits
        uartBaud = rom.uartBaud
        failingSectors = rom.failingSectors
        ram = rom.ram
        registers = rom.registers
    }

    /// The stub after MEM_END(execute) from the stub: the new RAM program runs as a fresh
    /// stub on the same UART, registers and RAM.
    public func restarted() -> StubLoaderEngine {
        var fresh = self
        fresh.decoder = SLIPDecoder()
        fresh.flashTransfer = nil
        fresh.memTransfer = nil
        fresh.readStream = nil
        fresh.flashSizeLimit = Self.defaultFlashSize
        return fresh
    }

    /// The greeting frame, sent once the stub runs.
    public var greetingFrame: Frame { .data(Self.greeting) }

    /// Whether a READ_FLASH stream is running (frames from the client are acknowledgements).
    public var isStreamingRead: Bool { readStream != nil }

    // MARK: Bytes in

    /// Feeds bytes received while the line ran at `lineBaud`; one outcome per frame they
    /// complete. After an outcome that leaves the stub the rest is dropped.
    public mutating func receive(_ bytes: [UInt8], lineBaud: Int, flash: inout FlashMemory) -> [Outcome] {
        var outcomes: [Outcome] = []
        var start = 0
        while start < bytes.count {
            let end = (bytes[start...].firstIndex(of: SLIP.end) ?? (bytes.count - 1)) + 1
            for item in decoder.feed(bytes[start..<end]) {
                var outcome: Outcome
                switch item {
                case .packet(let packet):
                    outcome = handle(packet: packet, lineBaud: lineBaud, flash: &flash)
                case .damaged(let packet):
                    outcome = silent(opcode: packet.count > 1 ? Opcode(rawValue: packet[1]) : nil, ignored: .damagedFrame)
                }
                outcome.completedAfterBytes = end
                outcomes.append(outcome)
                if outcome.followUp != .stay {
                    decoder.reset()
                    return outcomes
                }
            }
            start = end
        }
        return outcomes
    }

    /// Handles one unframed packet that arrived at `lineBaud`.
    public mutating func handle(packet: [UInt8], lineBaud: Int, flash: inout FlashMemory) -> Outcome {
        let rawOpcode = packet.count > 1 ? Opcode(rawValue: packet[1]) : nil
        let heard = ROMLoaderEngine.ratesMatch(lineBaud, uartBaud)
            && (lineBaud <= maxBaud || ROMLoaderEngine.ratesMatch(lineBaud, maxBaud))
        guard heard else { return silent(opcode: rawOpcode, ignored: .lineNoise(lineBaud: lineBaud)) }
        var streamEnd: [Frame] = []
        if var stream = readStream {
            if StubFlashReadStream.isAcknowledgement(packet) {
                let frames = stream.receive(acknowledgement: packet, flash: flash)
                readStream = stream.finished ? nil : stream
                return Outcome(opcode: nil, frames: frames.map(Frame.data), ignored: nil, error: nil, work: .init(), workAfterReply: false, followUp: .stay, replyBaud: uartBaud, completedAfterBytes: 0)
            }
            // Not an acknowledgement (a client that gave up): the stream ends with the
            // digest of what was sent, and the frame is served as a request.
            streamEnd = [.data(stream.end(flash: flash))]
            readStream = nil
        }
        var outcome = handle(requestPacket: packet, flash: &flash)
        outcome.frames = streamEnd + outcome.frames
        return outcome
    }

    /// A frame outside a READ_FLASH stream: a request, or dropped as the stub's request
    /// loop drops it (too short for a header, or not direction 0).
    private mutating func handle(requestPacket packet: [UInt8], flash: inout FlashMemory) -> Outcome {
        guard packet.count >= Request.headerSize, packet[0] == 0x00 else { return silent(opcode: nil, ignored: nil) }
        guard let request = Request(decoding: packet) else { return answer(Opcode(rawValue: packet[1]), error: .badDataLength) }
        return handle(request, flash: &flash)
    }

    // MARK: Commands

    private mutating func handle(_ request: Request, flash: inout FlashMemory) -> Outcome {
        switch request.opcode {
        case .sync: return sync(request)
        case .readReg: return readRegister(request)
        case .writeReg: return writeRegister(request, flash: flash)
        case .flashBegin: return flashBegin(request, compressed: false, flash: flash)
        case .flashDeflBegin: return flashBegin(request, compressed: true, flash: flash)
        case .flashData: return flashData(request, compressed: false, flash: &flash)
        case .flashDeflData: return flashData(request, compressed: true, flash: &flash)
        case .flashEnd, .flashDeflEnd: return flashEnd(request)
        case .memBegin: return memBegin(request)
        case .memData: return memData(request)
        case .memEnd: return memEnd(request)
        case .spiSetParams: return setFlashParameters(request)
        case .spiAttach: return accept(request, sizes: [4, 8])
        case .changeBaudRate: return changeBaudRate(request)
        case .spiFlashMD5: return md5(request, flash: flash)
        case .eraseFlash: return eraseFlash(request, flash: &flash)
        case .eraseRegion: return eraseRegion(request, flash: &flash)
        case .readFlash: return readFlash(request, flash: flash)
        case .runUserCode:
            var outcome = silent(opcode: .runUserCode, ignored: nil)
            outcome.followUp = .runUserCode
            return outcome
        default: return answer(request.opcode, error: .commandNotImplemented)
        }
    }

    private func sync(_ request: Request) -> Outcome {
        guard request.payload == Request.syncPayload else { return answer(.sync, error: .badDataLength) }
        var outcome = answer(.sync, value: Self.syncReplyValue)
        outcome.frames = Array(repeating: outcome.frames[0], count: Self.syncReplyCount)
        return outcome
    }

    private func readRegister(_ request: Request) -> Outcome {
        guard request.payload.count == 4, let address = request.word(0) else { return answer(.readReg, error: .badDataLength) }
        return answer(.readReg, value: registers.read(address, uartBaud: uartBaud, ram: ram))
    }

    /// WRITE_REG may carry several (address, value, mask, delay) entries.
    private mutating func writeRegister(_ request: Request, flash: FlashMemory) -> Outcome {
        let entrySize = 16
        guard !request.payload.isEmpty, request.payload.count % entrySize == 0 else { return answer(.writeReg, error: .badDataLength) }
        var delay: Duration = .zero
        for entry in 0..<(request.payload.count / entrySize) {
            guard let address = request.word(entry * 4), let value = request.word(entry * 4 + 1),
                  let mask = request.word(entry * 4 + 2), let micros = request.word(entry * 4 + 3)
            else { return answer(.writeReg, error: .badDataLength) }
            registers.write(address, value: value, mask: mask, uartBaud: uartBaud, ram: ram, flash: flash)
            delay += .microseconds(Int64(micros))
        }
        var outcome = answer(.writeReg)
        outcome.work.registerDelay = delay
        return outcome
    }

    /// FLASH_BEGIN / FLASH_DEFL_BEGIN: size, blocks, block size, offset (and esptool's
    /// "encrypted" word, which the ESP8266 ignores).
    private mutating func flashBegin(_ request: Request, compressed: Bool, flash: FlashMemory) -> Outcome {
        flashTransfer = nil
        guard request.payload.count == 16 || request.payload.count == 20, let begin = FlashBegin(decoding: request)
        else { return answer(request.opcode, error: .badDataLength) }
        let (size, count, blockSize, offset) = (begin.size, begin.packetCount, begin.packetSize, begin.offset)
        guard Int(blockSize) <= limits.maxBlockSize, blockSize > 0 || count == 0 else { return answer(request.opcode, error: .badBlockSize) }
        guard Int(offset) % ESP8266.flashSectorSize == 0, withinFlashSize(offset, size) else { return answer(request.opcode, error: .badDataLength) }
        guard Int(offset) + Int(size) <= flash.size else { return answer(request.opcode, error: .failedSPIOperation) }
        flashTransfer = FlashTransfer(
            writer: StubFlashWriter(offset: Int(offset), size: Int(size)), packetCount: Int(count), packetSize: Int(blockSize),
            inflater: compressed ? ZlibInflater(maxWindowBits: limits.maxWindowBits) : nil)
        return answer(request.opcode)
    }

    private mutating func flashData(_ request: Request, compressed: Bool, flash: inout FlashMemory) -> Outcome {
        let opcode = request.opcode
        guard var transfer = flashTransfer, (transfer.inflater != nil) == compressed else { return answer(opcode, error: .notInFlashMode) }
        let headerSize = 16
        guard request.payload.count >= headerSize, let length = request.word(0), let sequence = request.word(1),
              Int(length) == request.payload.count - headerSize
        else { return answer(opcode, error: .badDataLength) }
        let data = Array(request.payload[headerSize...])
        guard loaderChecksum(data) == request.checksum else { return answer(opcode, error: .badDataChecksum) }
        guard data.count <= transfer.packetSize else { return answer(opcode, error: .badBlockSize) }
        if let pending = transfer.pendingError { return answer(opcode, error: pending) }
        guard Int(sequence) == transfer.nextSequence else { return answer(opcode, error: .invalidCommand) }
        let streamOver = transfer.inflater.map(\.finished) ?? (transfer.writer.remaining == 0)
        guard sequence < transfer.packetCount, !streamOver else { return answer(opcode, error: .tooMuchData) }
        // Only the block that reaches the size may end off a word: the next would start off one.
        guard compressed || data.count % Self.writeAlignment == 0 || data.count >= transfer.writer.remaining else {
            return answer(opcode, error: .badDataLength)
        }

        // Acknowledged: the flash work follows the reply.
        transfer.nextSequence += 1
        var outcome = answer(opcode)
        outcome.workAfterReply = true
        var output = data
        if let inflater = transfer.inflater {
            do {
                output = try inflater.inflate(data)
            } catch {
                transfer.pendingError = .inflateError
                output = []
            }
        }
        let fits = min(output.count, transfer.writer.remaining)
        let written = transfer.writer.write(Array(output[0..<fits]), flash: &flash, failingSectors: failingSectors)
        outcome.work = written.work
        if let failure = written.error { transfer.pendingError = transfer.pendingError ?? failure }
        // Uncompressed blocks carry padding after the announced size; inflated bytes beyond it are an error.
        if compressed && output.count > fits { transfer.pendingError = transfer.pendingError ?? .tooMuchData }
        flashTransfer = transfer
        return outcome
    }

    private mutating func flashEnd(_ request: Request) -> Outcome {
        let opcode = request.opcode
        guard request.payload.count == 4, let action = request.word(0) else { return answer(opcode, error: .badDataLength) }
        guard let transfer = flashTransfer else { return answer(opcode, error: .notInFlashMode) }
        flashTransfer = nil
        if let pending = transfer.pendingError { return answer(opcode, error: pending) }
        let complete = transfer.writer.remaining == 0 && (transfer.inflater.map(\.finished) ?? true)
        guard complete else { return answer(opcode, error: .notEnoughData) }
        var outcome = answer(opcode)
        if action == FlashEndAction.reboot.rawValue { outcome.followUp = .reboot }
        return outcome
    }

    private mutating func memBegin(_ request: Request) -> Outcome {
        guard request.payload.count == 16, let size = request.word(0), let count = request.word(1),
              let packetSize = request.word(2), let address = request.word(3)
        else { return answer(.memBegin, error: .badDataLength) }
        ram.begin(address: address, size: Int(size))
        memTransfer = MemTransfer(packetCount: Int(count), packetSize: Int(packetSize))
        return answer(.memBegin)
    }

    private mutating func memData(_ request: Request) -> Outcome {
        guard let transfer = memTransfer else { return answer(.memData, error: .notInFlashMode) }
        let headerSize = 16
        guard request.payload.count >= headerSize, let length = request.word(0), let sequence = request.word(1),
              Int(length) == request.payload.count - headerSize
        else { return answer(.memData, error: .badDataLength) }
        let data = Array(request.payload[headerSize...])
        guard loaderChecksum(data) == request.checksum else { return answer(.memData, error: .badDataChecksum) }
        guard data.count <= transfer.packetSize, Int(sequence) < transfer.packetCount else { return answer(.memData, error: .tooMuchData) }
        ram.write(data, atOffset: Int(sequence) * transfer.packetSize)
        return answer(.memData)
    }

    private mutating func memEnd(_ request: Request) -> Outcome {
        guard request.payload.count == 8, let noExecute = request.word(0), let entry = request.word(1) else {
            return answer(.memEnd, error: .badDataLength)
        }
        guard memTransfer != nil else { return answer(.memEnd, error: .notInFlashMode) }
        memTransfer = nil
        var outcome = answer(.memEnd)
        if noExecute == 0 { outcome.followUp = .runRAM(entry: entry) }
        return outcome
    }

    private mutating func changeBaudRate(_ request: Request) -> Outcome {
        guard request.payload.count == 8, let newBaud = request.word(0), newBaud > 0 else {
            return answer(.changeBaudRate, error: .badDataLength)
        }
        let outcome = answer(.changeBaudRate)  // at the old rate
        uartBaud = Int(newBaud)
        return outcome
    }

    private func md5(_ request: Request, flash: FlashMemory) -> Outcome {
        guard request.payload.count == 16, let address = request.word(0), let size = request.word(1) else {
            return answer(.spiFlashMD5, error: .badDataLength)
        }
        guard withinFlashSize(address, size) else { return answer(.spiFlashMD5, error: .badDataLength) }
        guard Int(address) + Int(size) <= flash.size else { return answer(.spiFlashMD5, error: .failedSPIOperation) }
        // libcrypto failing to hash is answered like a failed flash read.
        guard let digest = try? MD5.digest(flash.read(Int(address)..<(Int(address) + Int(size)))) else {
            return answer(.spiFlashMD5, error: .failedSPIOperation)
        }
        return answer(.spiFlashMD5, body: digest)
    }

    private mutating func eraseFlash(_ request: Request, flash: inout FlashMemory) -> Outcome {
        guard request.payload.isEmpty else { return answer(.eraseFlash, error: .badDataLength) }
        return erase(0..<flash.size, opcode: .eraseFlash, flash: &flash)
    }

    private mutating func eraseRegion(_ request: Request, flash: inout FlashMemory) -> Outcome {
        let sectorSize = UInt32(ESP8266.flashSectorSize)
        guard request.payload.count == 8, let offset = request.word(0), let size = request.word(1),
              offset % sectorSize == 0, size % sectorSize == 0
        else { return answer(.eraseRegion, error: .badDataLength) }
        guard withinFlashSize(offset, size) else { return answer(.eraseRegion, error: .badDataLength) }
        guard Int(offset) + Int(size) <= flash.size else { return answer(.eraseRegion, error: .failedSPIOperation) }
        return erase(Int(offset)..<(Int(offset) + Int(size)), opcode: .eraseRegion, flash: &flash)
    }

    private func erase(_ range: Range<Int>, opcode: Opcode, flash: inout FlashMemory) -> Outcome {
        do {
            try flash.erase(range)
        } catch {
            return answer(opcode, error: .failedSPIOperation)
        }
        var outcome = answer(opcode)
        outcome.work.erase = ErasePlan(erasing: range)
        outcome.work.erased = range.isEmpty ? nil : range
        return outcome
    }

    private mutating func readFlash(_ request: Request, flash: FlashMemory) -> Outcome {
        guard request.payload.count == 16, let offset = request.word(0), let length = request.word(1),
              let packetSize = request.word(2), let maxUnacked = request.word(3)
        else { return answer(.readFlash, error: .badDataLength) }
        guard packetSize > 0, Int(packetSize) <= limits.maxBlockSize else { return answer(.readFlash, error: .badBlockSize) }
        guard withinFlashSize(offset, length) else { return answer(.readFlash, error: .badDataLength) }
        guard Int(offset) + Int(length) <= flash.size else { return answer(.readFlash, error: .failedSPIOperation) }
        var stream = StubFlashReadStream(
            range: Int(offset)..<(Int(offset) + Int(length)), packetSize: Int(packetSize), maxUnacked: Int(maxUnacked))
        var outcome = answer(.readFlash)
        outcome.frames += stream.start(flash: flash).map(Frame.data)
        readStream = stream.finished ? nil : stream
        return outcome
    }

    /// SPI_SET_PARAMS: id, total size, block, sector, page and status mask; the total bounds
    /// every range from now on.
    private mutating func setFlashParameters(_ request: Request) -> Outcome {
        guard request.payload.count == 24, let total = request.word(1) else { return answer(.spiSetParams, error: .badDataLength) }
        flashSizeLimit = Int(total)
        return answer(.spiSetParams)
    }

    /// Whether [offset, offset + size) ends inside the flash size the stub was told (no
    /// 32-bit wrap: the sum is taken in Int).
    private func withinFlashSize(_ offset: UInt32, _ size: UInt32) -> Bool {
        Int(offset) + Int(size) <= flashSizeLimit
    }

    /// Commands the ESP8266 stub accepts without doing anything the twin models.
    private func accept(_ request: Request, sizes: Set<Int>) -> Outcome {
        sizes.contains(request.payload.count) ? answer(request.opcode) : answer(request.opcode, error: .badDataLength)
    }

    // MARK: Replies

    private func answer(_ opcode: Opcode, value: UInt32 = 0, body: [UInt8] = [], error: StubErrorCode? = nil) -> Outcome {
        Outcome(
            opcode: opcode, frames: [.reply(.stub(opcode, value: value, body: error == nil ? body : [], error: error))],
            ignored: nil, error: error, work: .init(), workAfterReply: false, followUp: .stay, replyBaud: uartBaud,
            completedAfterBytes: 0)
    }

    private func silent(opcode: Opcode?, ignored: ROMLoaderEngine.Ignored?) -> Outcome {
        Outcome(opcode: opcode, frames: [], ignored: ignored, error: nil, work: .init(), workAfterReply: false, followUp: .stay, replyBaud: uartBaud, completedAfterBytes: 0)
    }
}
