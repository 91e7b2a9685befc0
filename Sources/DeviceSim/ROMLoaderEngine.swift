import ESPImage
import ESPProtocol

/// The ESP8266 ROM's serial loader as pure logic: bytes in, replies and flash changes out,
/// no threads and no clock. The twin drives it from a link; tests drive it directly.
///
/// Behaviour (docs/esp8266-rom-protocol.md):
/// - SLIP frames are decoded with `SLIPDecoder`; damaged frames are ignored.
/// - Autobaud: the first SYNC locks the UART to the line rate it arrived at (at most
///   `maxBaud`). Frames arriving while the line runs at another rate are noise to the UART
///   and are ignored, as are frames above `maxBaud`. Before any SYNC the UART runs at the
///   boot-log rate (74880). `reset()` unlocks.
/// - Every reply is `Response.rom` (two status bytes). SYNC is answered 8 times with a
///   non-zero value. Unknown opcodes and malformed requests get status 1, error 0x05.
/// - FLASH_BEGIN erases up front, with the ROM's erase-size bug
///   (`ESP8266.romErasedRange`), NOR semantics on every write.
/// - FLASH_END leaves the loader: 0 reboots (soft reset), 1 runs the code in flash.
/// - MEM_END(execute) leaves the loader for the uploaded RAM program, which the twin runs
///   as an esptool-compatible flasher stub (`StubLoaderEngine`).
public struct ROMLoaderEngine: Sendable {
    /// The value the ROM puts in each SYNC reply (non-zero: a stub would answer 0). The twin
    /// uses the first word of the SYNC payload.
    public static let syncReplyValue: UInt32 = 0x2012_0707
    /// How many identical replies one SYNC gets.
    public static let syncReplyCount = 8
    /// A UART frame tolerates about ±3 % rate error; within it the twin understands the line.
    public static let baudTolerancePercent = 3

    /// What the ROM does after it has sent the replies to a request.
    public enum FollowUp: Sendable, Equatable {
        /// Stays in the loader, waiting for the next command.
        case stay
        /// FLASH_END with 0: a soft reset. The ROM starts over in the boot mode latched at
        /// the last hardware reset, so a chip in download mode comes back in download mode.
        case reboot
        /// FLASH_END with 1: "run user code": loads the image from flash and runs it.
        case runUserCode
        /// MEM_END(execute): jumps to the program uploaded to RAM.
        case runRAM(entry: UInt32)
    }

    /// FLASH_END's argument as Espressif's serial protocol documents it:
    /// "0 to reboot, 1 to run user code"; either way the ROM leaves the loader (a client
    /// that wants to stay simply does not send FLASH_END, as esptool does).
    public static let flashEndReboot: UInt32 = 0
    public static let flashEndRunUserCode: UInt32 = 1

    /// Why a frame was not answered.
    public enum Ignored: Sendable, Equatable {
        /// The frame's escape sequence was broken (line noise): the ROM drops it.
        case damagedFrame
        /// The line ran at a rate the UART is not at (or above `maxBaud`): the bytes reached
        /// the UART as garbage.
        case lineNoise(lineBaud: Int)
    }

    /// Flash and timing work one request caused, for the timing model and the counters.
    public struct Work: Sendable, Equatable {
        /// The erase FLASH_BEGIN performed (sector by sector, then 64 KiB blocks).
        public var erase = ErasePlan()
        /// The byte range really erased (wider than asked, by the ROM's bug).
        public var erased: Range<Int>? = nil
        /// Bytes programmed by FLASH_DATA.
        public var programmedBytes = 0
        /// The delay WRITE_REG asked for.
        public var registerDelay: Duration = .zero
        public init() {}
    }

    /// The result of one complete frame.
    public struct Outcome: Sendable, Equatable {
        /// The request's opcode when it could be read.
        public var opcode: Opcode?
        /// Replies to send, in order (empty when ignored).
        public var replies: [Response]
        /// Set when the frame was not answered.
        public var ignored: Ignored?
        public var work: Work
        public var followUp: FollowUp
        /// The number of fed bytes (of the `receive` call) up to and including the frame's
        /// closing 0xC0: the frame is complete once these have arrived.
        public var completedAfterBytes: Int

        /// The error code of a failed reply, if the request failed.
        public var error: ROMErrorCode? {
            guard let reply = replies.first, reply.status.failed, let code = reply.status.code else { return nil }
            return ROMErrorCode(rawValue: code)
        }
    }

    /// An open FLASH_BEGIN or MEM_BEGIN.
    struct Transfer: Sendable, Equatable {
        var address: Int
        var packetCount: Int
        var packetSize: Int
    }

    public let maxBaud: Int
    public private(set) var lockedBaud: Int?
    /// Sectors that refuse programming (error 0x08).
    public var failingSectors: Set<Int>
    /// RAM written by MEM_DATA since the last reset.
    public private(set) var ram = RAMImage()

    private var decoder = SLIPDecoder()
    /// The chip's registers (a stub started from RAM inherits them).
    private(set) var registers: ChipRegisters
    private var flashTransfer: Transfer?
    private var memTransfer: Transfer?

    public init(configuration: TwinConfiguration) {
        maxBaud = configuration.maxBaud
        failingSectors = configuration.faults.failingSectors
        registers = ChipRegisters(configuration: configuration)
    }

    /// The rate the chip's UART runs at now: the SYNC-locked rate, or the boot rate.
    public var uartBaud: Int { lockedBaud ?? ESP8266.bootLogBaud }

    /// Chip reset: partial transfers, registers, RAM, the baud lock and any half-received
    /// frame are gone. Flash is not part of the engine and stays.
    public mutating func reset() {
        decoder.reset()
        registers.reset()
        flashTransfer = nil
        memTransfer = nil
        lockedBaud = nil
        ram = RAMImage()
    }

    /// Whether two rates are close enough for a UART to understand each other.
    public static func ratesMatch(_ a: Int, _ b: Int) -> Bool {
        abs(a - b) * 100 <= baudTolerancePercent * max(a, b)
    }

    // MARK: Bytes in

    /// Feeds bytes received while the line ran at `lineBaud`; returns one outcome per frame
    /// they complete, each telling after how many of these bytes it was complete. After an
    /// outcome that leaves the loader (FLASH_END, MEM_END execute) the rest is dropped.
    public mutating func receive(_ bytes: [UInt8], lineBaud: Int, flash: inout FlashMemory) -> [Outcome] {
        var outcomes: [Outcome] = []
        var start = 0
        // Feed up to each 0xC0 separately, so that a frame's completion point is known.
        while start < bytes.count {
            let end = (bytes[start...].firstIndex(of: SLIP.end) ?? (bytes.count - 1)) + 1
            for item in decoder.feed(bytes[start..<end]) {
                var outcome: Outcome
                switch item {
                case .packet(let packet):
                    outcome = handle(packet: packet, lineBaud: lineBaud, flash: &flash)
                case .damaged(let packet):
                    outcome = Outcome(opcode: packet.count > 1 ? Opcode(rawValue: packet[1]) : nil, replies: [], ignored: .damagedFrame, work: Work(), followUp: .stay, completedAfterBytes: 0)
                }
                outcome.completedAfterBytes = end
                outcomes.append(outcome)
                if outcome.followUp != .stay {
                    // The chip left the loader: what follows is not for the ROM any more.
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
        if let noise = noiseReason(packet: packet, lineBaud: lineBaud) {
            return Outcome(opcode: rawOpcode, replies: [], ignored: noise, work: Work(), followUp: .stay, completedAfterBytes: 0)
        }
        guard let request = Request(decoding: packet) else {
            return answer(rawOpcode ?? Opcode(rawValue: 0), error: .invalidMessage)
        }
        return handle(request, lineBaud: lineBaud, flash: &flash)
    }

    /// Whether the UART heard this frame as noise.
    private func noiseReason(packet: [UInt8], lineBaud: Int) -> Ignored? {
        if lineBaud > maxBaud && !Self.ratesMatch(lineBaud, maxBaud) { return .lineNoise(lineBaud: lineBaud) }
        if let lockedBaud {
            return Self.ratesMatch(lineBaud, lockedBaud) ? nil : .lineNoise(lineBaud: lineBaud)
        }
        // Not locked yet: a SYNC at any rate is measured; anything else must match the boot rate.
        let isSync = packet.count > 1 && packet[0] == 0x00 && packet[1] == Opcode.sync.rawValue
        if isSync || Self.ratesMatch(lineBaud, ESP8266.bootLogBaud) { return nil }
        return .lineNoise(lineBaud: lineBaud)
    }

    // MARK: Commands

    private mutating func handle(_ request: Request, lineBaud: Int, flash: inout FlashMemory) -> Outcome {
        switch request.opcode {
        case .sync: return sync(request, lineBaud: lineBaud)
        case .readReg: return readRegister(request)
        case .writeReg: return writeRegister(request, flash: flash)
        case .flashBegin: return flashBegin(request, flash: &flash)
        case .flashData: return flashData(request, flash: &flash)
        case .flashEnd: return flashEnd(request)
        case .memBegin: return memBegin(request)
        case .memData: return memData(request)
        case .memEnd: return memEnd(request)
        default: return answer(request.opcode, error: .invalidMessage)
        }
    }

    private mutating func sync(_ request: Request, lineBaud: Int) -> Outcome {
        guard request.payload == Request.syncPayload else { return answer(.sync, error: .invalidMessage) }
        if lockedBaud == nil { lockedBaud = lineBaud }
        let reply = Response.rom(.sync, value: Self.syncReplyValue)
        var outcome = answer(.sync)
        outcome.replies = Array(repeating: reply, count: Self.syncReplyCount)
        return outcome
    }

    private func readRegister(_ request: Request) -> Outcome {
        guard let address = request.word(0) else { return answer(.readReg, error: .invalidMessage) }
        return answer(.readReg, value: registers.read(address, uartBaud: uartBaud, ram: ram))
    }

    private mutating func writeRegister(_ request: Request, flash: FlashMemory) -> Outcome {
        guard let address = request.word(0), let value = request.word(1), let mask = request.word(2),
              let delay = request.word(3)
        else { return answer(.writeReg, error: .invalidMessage) }
        registers.write(address, value: value, mask: mask, uartBaud: uartBaud, ram: ram, flash: flash)
        var outcome = answer(.writeReg)
        outcome.work.registerDelay = .microseconds(Int64(delay))
        return outcome
    }

    private mutating func flashBegin(_ request: Request, flash: inout FlashMemory) -> Outcome {
        guard let begin = FlashBegin(decoding: request) else { return answer(.flashBegin, error: .invalidMessage) }
        let (eraseSize, count, packetSize, offset) = (begin.size, begin.packetCount, begin.packetSize, begin.offset)
        let start = Int(offset)
        let dataEnd = start + Int(count) * Int(packetSize)
        // The ROM checks the region it was asked for against the chip; its over-erase is
        // then clipped at the chip's end (a sector past the end does not exist).
        guard start + Int(eraseSize) <= flash.size, dataEnd <= flash.size, count == 0 || packetSize > 0 else {
            flashTransfer = nil
            return answer(.flashBegin, error: .failedToAct)
        }
        let erased = ESP8266.romErasedRange(offset: start, eraseSize: Int(eraseSize)).clamped(to: 0..<flash.size)
        do {
            try flash.erase(erased)
        } catch {
            return answer(.flashBegin, error: .flashWriteError)
        }
        flashTransfer = Transfer(address: start, packetCount: Int(count), packetSize: Int(packetSize))
        var outcome = answer(.flashBegin)
        outcome.work.erase = ErasePlan(erasing: erased)
        outcome.work.erased = erased.isEmpty ? nil : erased
        return outcome
    }

    private mutating func flashData(_ request: Request, flash: inout FlashMemory) -> Outcome {
        guard let transfer = flashTransfer else { return answer(.flashData, error: .failedToAct) }
        let data: [UInt8]
        let sequence: Int
        switch dataPacket(request) {
        case .success(let bytes, let number): (data, sequence) = (bytes, number)
        case .failure(let code): return answer(.flashData, error: code)
        }
        guard data.count == transfer.packetSize, sequence < transfer.packetCount else {
            return answer(.flashData, error: .failedToAct)
        }
        let address = transfer.address + sequence * transfer.packetSize
        let firstSector = address / FlashMemory.sectorSize
        let lastSector = (address + data.count - 1) / FlashMemory.sectorSize
        if (firstSector...lastSector).contains(where: failingSectors.contains) {
            return answer(.flashData, error: .flashWriteError)
        }
        do {
            try flash.program(data, at: address)
        } catch {
            return answer(.flashData, error: .flashWriteError)
        }
        var outcome = answer(.flashData)
        outcome.work.programmedBytes = data.count
        return outcome
    }

    private mutating func flashEnd(_ request: Request) -> Outcome {
        guard let argument = request.word(0) else { return answer(.flashEnd, error: .invalidMessage) }
        flashTransfer = nil
        var outcome = answer(.flashEnd)
        outcome.followUp = argument == Self.flashEndReboot ? .reboot : .runUserCode
        return outcome
    }

    private mutating func memBegin(_ request: Request) -> Outcome {
        guard let size = request.word(0), let count = request.word(1), let packetSize = request.word(2),
              let address = request.word(3)
        else { return answer(.memBegin, error: .invalidMessage) }
        guard packetSize > 0 || count == 0, packetSize <= UInt32(ESP8266.memPacketSizeMax) else {
            memTransfer = nil
            return answer(.memBegin, error: .failedToAct)
        }
        ram.begin(address: address, size: Int(size))
        memTransfer = Transfer(address: Int(address), packetCount: Int(count), packetSize: Int(packetSize))
        return answer(.memBegin)
    }

    private mutating func memData(_ request: Request) -> Outcome {
        guard let transfer = memTransfer else { return answer(.memData, error: .failedToAct) }
        let data: [UInt8]
        let sequence: Int
        switch dataPacket(request) {
        case .success(let bytes, let number): (data, sequence) = (bytes, number)
        case .failure(let code): return answer(.memData, error: code)
        }
        guard data.count <= transfer.packetSize, sequence < transfer.packetCount else {
            return answer(.memData, error: .failedToAct)
        }
        ram.write(data, atOffset: sequence * transfer.packetSize)
        return answer(.memData)
    }

    private mutating func memEnd(_ request: Request) -> Outcome {
        guard let noExecute = request.word(0), let entry = request.word(1) else {
            return answer(.memEnd, error: .invalidMessage)
        }
        memTransfer = nil
        var outcome = answer(.memEnd)
        if noExecute == 0 { outcome.followUp = .runRAM(entry: entry) }
        return outcome
    }

    /// A FLASH_DATA/MEM_DATA payload: u32 length, u32 sequence, two u32 zeros, the data,
    /// checked against the length field and the packet's checksum.
    private enum DataPacket {
        case success(data: [UInt8], sequence: Int)
        case failure(ROMErrorCode)
    }

    private func dataPacket(_ request: Request) -> DataPacket {
        let headerSize = 16
        guard let length = request.word(0), let sequence = request.word(1),
              request.payload.count >= headerSize, request.payload.count - headerSize == Int(length)
        else { return .failure(.invalidMessage) }
        let data = Array(request.payload[headerSize...])
        guard loaderChecksum(data) == request.checksum else { return .failure(.invalidChecksum) }
        return .success(data: data, sequence: Int(sequence))
    }

    private func answer(_ opcode: Opcode, value: UInt32 = 0, error: ROMErrorCode? = nil) -> Outcome {
        Outcome(opcode: opcode, replies: [Response.rom(opcode, value: value, error: error)], ignored: nil, work: Work(), followUp: .stay, completedAfterBytes: 0)
    }
}
