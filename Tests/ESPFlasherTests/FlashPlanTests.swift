import Basics
import ESPFlasher
import ESPImage
import MeterLogger
import TestSupport
import Testing

/// The five files of a MeterLogger release (KMP build sizes), with made-up contents.
private struct MeterLoggerRelease {
    var boot: [UInt8]
    var irom: [UInt8]
    var web: [UInt8]
    var initData: [UInt8]
    var blank: [UInt8]

    init(seed: UInt64 = 601) {
        var rng = SplitMix64(seed: seed)
        // An image header as a build leaves it (QIO, 4MB, 80m here, so patching shows).
        boot = [0xE9, 0x02, 0x00, 0x4F, 0x04, 0x00, 0x10, 0x40] + rng.nonBlankBytes(38_784 - 8)
        irom = rng.nonBlankBytes(279_684)
        web = rng.nonBlankBytes(5_748)
        initData = rng.nonBlankBytes(128)
        blank = [UInt8](repeating: 0xFF, count: 4_096)
    }

    var parts: [FlashPart] {
        [
            FlashPart(name: "0x00000.bin", offset: 0x0_0000, bytes: boot),
            FlashPart(name: "0x10000.bin", offset: 0x1_0000, bytes: irom),
            FlashPart(name: "webpages.espfs", offset: 0x6_0000, bytes: web),
            FlashPart(name: "esp_init_data_default_112th_byte_0x03.bin", offset: 0xF_C000, bytes: initData),
            FlashPart(name: "blank.bin", offset: 0xF_E000, bytes: blank),
        ]
    }
}

private func plan(_ parts: [FlashPart], allowProtected: Bool = false) throws(FlasherError) -> FlashPlan {
    try FlashPlan(parts: parts, flashSize: .size1MB, parameters: .meterLogger, protectedRegions: FlashLayout.meterLoggerProtectedRegions, allowProtected: allowProtected)
}

private func part(_ name: String, at offset: Int, _ count: Int, byte: UInt8 = 0x5A) -> FlashPart {
    FlashPart(name: name, offset: offset, bytes: [UInt8](repeating: byte, count: count))
}

private let configuration = ProtectedRegion.meterLoggerConfiguration

@Suite("Flash plan for a MeterLogger release")
struct MeterLoggerPlanTests {
    private let release = MeterLoggerRelease()

    @Test("the five-part release is accepted, one operation per part, in flash order")
    func accepted() throws {
        let plan = try plan(release.parts)
        #expect(plan.flashSize == 1 << 20)
        #expect(plan.operations.map(\.part.offset) == [0x0_0000, 0x1_0000, 0x6_0000, 0xF_C000, 0xF_E000])
        #expect(plan.totalBytes == 38_784 + 279_684 + 5_748 + 128 + 4_096)
    }

    @Test("each part gets the compensated erase size and erases only its own sectors where the ROM allows")
    func eraseSizes() throws {
        let operations = try plan(release.parts).operations
        let sectors: [UInt32] = [5, 53, 1, 1, 1]
        #expect(operations.map(\.eraseSize) == sectors.map { $0 * 0x1000 })
        #expect(operations.map(\.erasedRange) == [
            0x0_0000..<0x0_A000,      // 10 sectors for 38784 bytes
            0x1_0000..<0x5_5000,      // 69 sectors
            0x6_0000..<0x6_2000,      // 2 sectors for 5748 bytes
            0xF_C000..<0xF_E000,      // 1 sector asked, 2 erased (unavoidable)
            0xF_E000..<0x10_0000,     // 1 sector asked, 2 erased (unavoidable)
        ])
        #expect(operations.map(\.collateralErase) == [nil, nil, nil, 0xF_D000..<0xF_E000, 0xF_F000..<0x10_0000])
    }

    @Test("the image at 0 gets header bytes 2 and 3 set to 0x03, 0x20 (DOUT, 1MB, 40m) and nothing else changes")
    func headerPatched() throws {
        let patched = try plan(release.parts).operations[0].part.bytes
        #expect(patched.count == release.boot.count)
        #expect(patched[2] == 0x03)
        #expect(patched[3] == 0x20)
        var unpatched = patched
        unpatched[2] = release.boot[2]
        unpatched[3] = release.boot[3]
        #expect(unpatched == release.boot)
    }

    @Test("parts other than the image at 0 are written as given")
    func otherPartsUntouched() throws {
        let operations = try plan(release.parts).operations
        #expect(operations[1].part.bytes == release.irom)
        #expect(operations[2].part.bytes == release.web)
        #expect(operations[3].part.bytes == release.initData)
        #expect(operations[4].part.bytes == release.blank)
    }

    @Test("with parameters that keep everything, the image at 0 is left alone")
    func keepParameters() throws {
        let plan = try FlashPlan(parts: release.parts, flashSize: .size1MB, parameters: FlashParameters(), protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        #expect(plan.operations[0].part.bytes == release.boot)
    }

    @Test("parts given out of order come out sorted by offset")
    func sorted() throws {
        let shuffled = [release.parts[3], release.parts[0], release.parts[4], release.parts[2], release.parts[1]]
        #expect(try plan(shuffled) == plan(release.parts))
    }

    @Test("packets that carry data form one run per part; the blank part has none")
    func packetRuns() throws {
        let operations = try plan(release.parts).operations
        #expect(operations.map(\.packetCount) == [38, 274, 6, 1, 4])
        #expect(operations.map(\.packetRuns) == [[0..<38], [0..<274], [0..<6], [0..<1], []])
    }

    @Test("the blank part is a single FLASH_BEGIN with 0 packets that still erases")
    func blankPartOnlyErases() throws {
        let blank = try plan(release.parts).operations[4]
        #expect(blank.transfers.map { $0.begin.request() } == [.flashBegin(eraseSize: 0x1000, packetCount: 0, packetSize: 0x400, offset: 0xF_E000)])
        #expect(blank.transfers.map(\.packets) == [0..<0])
    }

    @Test("the last packet of a part is padded with 0xFF to 0x400 bytes")
    func lastPacketPadded() throws {
        let web = try plan(release.parts).operations[2]
        let last = web.packet(5)
        #expect(last.count == 0x400)
        #expect(Array(last[..<(5_748 - 5 * 0x400)]) == Array(release.web[(5 * 0x400)...]))
        #expect(last[(5_748 - 5 * 0x400)...].allSatisfy { $0 == 0xFF })
        #expect(web.packet(0) == Array(release.web[..<0x400]))
        let initData = try plan(release.parts).operations[3].packet(0)
        #expect(initData == release.initData + [UInt8](repeating: 0xFF, count: 0x400 - 128))
    }

    @Test("requests are, per part, FLASH_BEGIN then its FLASH_DATA packets numbered from 0")
    func requests() throws {
        let plan = try plan(release.parts)
        let requests = plan.requests
        #expect(requests.count == 5 + 38 + 274 + 6 + 1)
        // One FLASH_BEGIN per part; the blank part's announces no packets.
        let packetCounts: [UInt32] = [38, 274, 6, 1, 0]
        #expect(requests.filter { $0.opcode == .flashBegin } == zip(plan.operations, packetCounts).map { operation, count in
            .flashBegin(eraseSize: operation.eraseSize, packetCount: count, packetSize: 0x400, offset: UInt32(operation.part.offset))
        })
        // The web part: its FLASH_BEGIN is request 1 + 38 + 1 + 274.
        let webBegin = 1 + 38 + 1 + 274
        #expect(requests[webBegin].opcode == .flashBegin)
        for index in 0..<6 {
            #expect(requests[webBegin + 1 + index] == .flashData(plan.operations[2].packet(index), sequence: UInt32(index)))
        }
        // Sequence numbers restart at 0 after every FLASH_BEGIN.
        var expectedSequence: UInt32 = 0
        for request in requests {
            if request.opcode == .flashBegin {
                expectedSequence = 0
            } else {
                #expect(request.opcode == .flashData)
                #expect(request.word(1) == expectedSequence)
                #expect(request.word(0) == 0x400)
                expectedSequence += 1
            }
        }
    }

    @Test("the first FLASH_DATA carries the patched image header")
    func firstPacketPatched() throws {
        let first = try plan(release.parts).requests[1]
        #expect(Array(first.payload[16..<24]) == [0xE9, 0x02, 0x03, 0x20, 0x04, 0x00, 0x10, 0x40])
    }
}

@Suite("Flash plan: protected configuration")
struct ProtectedRegionPlanTests {
    @Test("the protected region is MeterLogger's saved configuration, 0x76000–0x78FFF")
    func region() {
        #expect(configuration.range == 0x7_6000..<0x7_9000)
        #expect(configuration.name == "MeterLogger saved configuration")
    }

    @Test("64 KiB at 0x70000 is refused because it would erase the saved configuration")
    func blockOverConfiguration() {
        #expect(throws: FlasherError.invalidPlan(.touchesProtected(part: "big.bin", region: configuration.name, range: 0x7_6000..<0x7_9000))) {
            try plan([part("big.bin", at: 0x7_0000, 0x1_0000)])
        }
    }

    @Test("with allowProtected the same part is accepted and erases 0x70000..<0x80000")
    func allowed() throws {
        let plan = try plan([part("big.bin", at: 0x7_0000, 0x1_0000)], allowProtected: true)
        #expect(plan.operations[0].erasedRange == 0x7_0000..<0x8_0000)
    }

    @Test("a part whose data stops short of 0x76000 but whose ROM erase reaches it is for the stub only")
    func collateralReachesConfiguration() throws {
        // 1 sector at 0x75000: the ROM erases 0x75000..<0x77000; a stub erases 0x75000 only.
        #expect(ESP8266.romErasedRange(offset: 0x7_5000, eraseSize: Int(ESP8266.romEraseSize(offset: 0x7_5000, size: 0x1000)))
            == 0x7_5000..<0x7_7000)
        let accepted = try plan([part("edge.bin", at: 0x7_5000, 0x1000)])
        #expect(accepted.romHazard == .touchesProtected(part: "edge.bin", region: configuration.name, range: 0x7_6000..<0x7_7000))
    }

    @Test("a part whose own sectors reach 0x76000 is refused for every loader")
    func ownSectorsReachConfiguration() {
        #expect(throws: FlasherError.invalidPlan(.touchesProtected(part: "over.bin", region: configuration.name, range: 0x7_6000..<0x7_7000))) {
            try plan([part("over.bin", at: 0x7_5000, 0x1001)])
        }
    }

    @Test("a part whose erase ends exactly at 0x76000 is accepted")
    func stopsAtBoundary() throws {
        // 6 sectors at 0x70000: ask for 3, the ROM erases 6 = 0x70000..<0x76000.
        let plan = try plan([part("six.bin", at: 0x7_0000, 0x6000)])
        #expect(plan.operations[0].erasedRange == 0x7_0000..<0x7_6000)
    }

    @Test("parts after the configuration are fine")
    func afterConfiguration() throws {
        #expect(try plan([part("dump.bin", at: 0x8_0000, 0x2000)]).operations[0].erasedRange == 0x8_0000..<0x8_2000)
        #expect(try plan([part("tail.bin", at: 0x7_9000, 0x1000)]).operations.count == 1)
    }

    @Test("the refusal explains itself with hex offsets and names the way out")
    func messages() {
        let error = FlashPlanError.touchesProtected(part: "big.bin", region: configuration.name, range: 0x7_6000..<0x7_9000)
        #expect(error.description.contains("big.bin"))
        #expect(error.description.contains("0x00076000"))
        #expect(error.description.contains("0x00078fff"))
        #expect(error.description.contains("MeterLogger saved configuration"))
        #expect(error.help?.contains("--allow-protected") == true)
        #expect(FlasherError.invalidPlan(error).description == error.description)
        #expect(FlasherError.invalidPlan(error).help == error.help)
    }
}

@Suite("Flash plan: refusals")
struct FlashPlanRefusalTests {
    @Test("no parts")
    func noParts() {
        #expect(throws: FlasherError.invalidPlan(.noParts)) { try plan([]) }
    }

    @Test("an empty part")
    func emptyPart() {
        #expect(throws: FlasherError.invalidPlan(.emptyPart(name: "empty.bin"))) {
            try plan([part("a.bin", at: 0x1_0000, 10), FlashPart(name: "empty.bin", offset: 0x2_0000, bytes: [])])
        }
    }

    @Test("an offset that is not a multiple of 0x1000", arguments: [0x1_0800, 0x1, 0xF_FFFF, -0x1000])
    func unaligned(offset: Int) {
        #expect(throws: FlasherError.invalidPlan(.unaligned(name: "odd.bin", offset: offset))) {
            try plan([part("odd.bin", at: offset, 16)])
        }
    }

    @Test("a part that ends past the end of the flash")
    func beyondFlash() {
        #expect(throws: FlasherError.invalidPlan(.beyondFlash(name: "long.bin", end: 0x10_1000, flashSize: 0x10_0000))) {
            try plan([part("long.bin", at: 0xF_F000, 0x2000)])
        }
        #expect(throws: FlasherError.invalidPlan(.beyondFlash(name: "far.bin", end: 0x20_0010, flashSize: 0x10_0000))) {
            try plan([part("far.bin", at: 0x20_0000, 0x10)])
        }
    }

    @Test("a part that fills the flash to its last byte is accepted when its erase fits")
    func fillsToEnd() throws {
        // 2 sectors at 0xFE000: ask for 1, the ROM erases 2, ending exactly at 1 MB.
        #expect(try plan([part("end.bin", at: 0xF_E000, 0x2000)]).operations[0].erasedRange == 0xF_E000..<0x10_0000)
    }

    @Test("the last sector is for the stub only: the ROM's erase would run past the end of the flash")
    func eraseBeyondFlash() throws {
        // 1 sector at 0xFF000 (the last one): the ROM erases 0xFF000..<0x101000, a sector past
        // a 1 MB chip, which wraps to sector 0; a stub erases 0xFF000 only.
        let accepted = try plan([part("last.bin", at: 0xF_F000, 0x1000)])
        #expect(accepted.romHazard == .romEraseBeyondFlash(part: "last.bin", end: 0x10_1000, flashSize: 0x10_0000))
        #expect(accepted.romHazard?.help?.contains("stub") == true)
        #expect(try plan([part("end.bin", at: 0xF_E000, 0x2000)]).romHazard == nil)
    }

    @Test("overlapping parts, named in flash order with the offset where the second starts")
    func overlap() {
        let first = part("first.bin", at: 0x1_0000, 0x2000)
        let second = part("second.bin", at: 0x1_1000, 0x1000)
        let expected = FlasherError.invalidPlan(.overlap(first: "first.bin", second: "second.bin", at: 0x1_1000))
        #expect(throws: expected) { try plan([first, second]) }
        #expect(throws: expected) { try plan([second, first]) }
        #expect(throws: FlasherError.invalidPlan(.overlap(first: "a.bin", second: "b.bin", at: 0x1_0000))) {
            try plan([part("a.bin", at: 0x1_0000, 1), part("b.bin", at: 0x1_0000, 1)])
        }
    }

    @Test("parts that touch end to start do not overlap")
    func adjacent() throws {
        #expect(try plan([part("a.bin", at: 0x1_0000, 0x1000), part("b.bin", at: 0x1_1000, 0x1000)]).operations.count == 2)
    }

    @Test("an image at 0 too short for a header is refused as an image error")
    func shortImageAtZero() {
        #expect(throws: FlasherError.image(part: "stub.bin", .truncated(offset: 0, needed: 8, available: 3))) {
            try plan([FlashPart(name: "stub.bin", offset: 0, bytes: [0xE9, 0x01, 0x00])])
        }
    }

    @Test("refusal messages name the part and the offsets in hex")
    func descriptions() {
        #expect(FlashPlanError.unaligned(name: "odd.bin", offset: 0x1_0800).description.contains("0x00010800"))
        #expect(FlashPlanError.unaligned(name: "odd.bin", offset: 0x1_0800).description.contains("odd.bin"))
        let beyond = FlashPlanError.beyondFlash(name: "long.bin", end: 0x10_1000, flashSize: 0x10_0000).description
        #expect(beyond.contains("0x00101000") && beyond.contains("0x00100000") && beyond.contains("1024 KiB"))
        let overlap = FlashPlanError.overlap(first: "a.bin", second: "b.bin", at: 0x1_1000).description
        #expect(overlap.contains("a.bin") && overlap.contains("b.bin") && overlap.contains("0x00011000"))
        #expect(FlashPlanError.emptyPart(name: "empty.bin").description.contains("empty.bin"))
        #expect(FlashPlanError.unaligned(name: "x", offset: 1).help != nil)
        #expect(FlashPlanError.beyondFlash(name: "x", end: 1, flashSize: 0).help != nil)
        #expect(FlashPlanError.overlap(first: "a", second: "b", at: 0).help != nil)
    }
}

@Suite("Flash plan: blank packets")
struct BlankPacketTests {
    /// 8 packets: data in 0–1, 0xFF in 2–4, data in 5–7.
    private static let holed: [UInt8] = {
        var rng = SplitMix64(seed: 5)
        return rng.nonBlankBytes(2 * 0x400) + [UInt8](repeating: 0xFF, count: 3 * 0x400) + rng.nonBlankBytes(3 * 0x400)
    }()

    @Test("a 0xFF hole splits the part into two transfers; the second erases nothing and restarts on the sector boundary")
    func hole() throws {
        let operation = try plan([FlashPart(name: "holed.bin", offset: 0x2_0000, bytes: Self.holed)]).operations[0]
        // Packets 2-4 are blank; the data resumes at packet 5, but the ROM is only ever
        // pointed at sector boundaries, so the second run starts at packet 4 (0x21000).
        #expect(operation.packetRuns == [0..<2, 4..<8])
        #expect(operation.transfers.map { $0.begin.request() } == [
            .flashBegin(eraseSize: 0x1000, packetCount: 2, packetSize: 0x400, offset: 0x2_0000),
            .flashBegin(eraseSize: 0, packetCount: 4, packetSize: 0x400, offset: 0x2_1000),
        ])
        #expect(operation.transfers.map(\.packets) == [0..<2, 4..<8])
        // The first FLASH_BEGIN still erases the whole part (2 sectors).
        #expect(operation.erasedRange == 0x2_0000..<0x2_2000)
    }

    @Test("the requests of a holed part number each transfer's packets from 0")
    func holeRequests() throws {
        let plan = try plan([FlashPart(name: "holed.bin", offset: 0x2_0000, bytes: Self.holed)])
        let operation = plan.operations[0]
        #expect(plan.requests == [
            .flashBegin(eraseSize: 0x1000, packetCount: 2, packetSize: 0x400, offset: 0x2_0000),
            .flashData(operation.packet(0), sequence: 0),
            .flashData(operation.packet(1), sequence: 1),
            .flashBegin(eraseSize: 0, packetCount: 4, packetSize: 0x400, offset: 0x2_1000),
            .flashData(operation.packet(4), sequence: 0),
            .flashData(operation.packet(5), sequence: 1),
            .flashData(operation.packet(6), sequence: 2),
            .flashData(operation.packet(7), sequence: 3),
        ])
    }

    @Test("a part that starts blank: an erase-only FLASH_BEGIN first, then the data where it begins")
    func leadingBlank() throws {
        let bytes = [UInt8](repeating: 0xFF, count: 0x1000) + [UInt8](repeating: 0x00, count: 0x800)
        let operation = try plan([FlashPart(name: "late.bin", offset: 0x3_0000, bytes: bytes)]).operations[0]
        #expect(operation.packetRuns == [4..<6])
        #expect(operation.transfers.map { $0.begin.request() } == [
            .flashBegin(eraseSize: 0x1000, packetCount: 0, packetSize: 0x400, offset: 0x3_0000),
            .flashBegin(eraseSize: 0, packetCount: 2, packetSize: 0x400, offset: 0x3_1000),
        ])
        #expect(operation.transfers.map(\.packets) == [0..<0, 4..<6])
    }

    @Test("a trailing 0xFF tail shorter than a packet is still sent (the packet has data)")
    func partialBlankTail() throws {
        let bytes = [UInt8](repeating: 0x11, count: 0x400 + 1) + [UInt8](repeating: 0xFF, count: 0x200)
        let operation = try plan([FlashPart(name: "tail.bin", offset: 0x3_0000, bytes: bytes)]).operations[0]
        #expect(operation.packetRuns == [0..<2])
    }

    @Test("one non-0xFF byte makes its packet carry data; a leading blank packet in the same sector goes along")
    func singleFFByte() throws {
        var bytes = [UInt8](repeating: 0xFF, count: 0x800)
        bytes[0x7FF] = 0x00
        let operation = try plan([FlashPart(name: "x.bin", offset: 0x3_0000, bytes: bytes)]).operations[0]
        #expect(operation.packetRuns == [0..<2])
    }
}

@Suite("Erase region")
struct EraseRegionTests {
    @Test("a 64 KiB block is erased exactly with half the size asked")
    func block() throws {
        let region = try EraseRegion(offset: 0x6_0000, size: 0x1_0000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        #expect(region.eraseSize == 0x8000)
        #expect(region.erasedRange == 0x6_0000..<0x7_0000)
        #expect(region.collateralErase == nil)
    }

    @Test("one sector near a block start erases one more, and says so")
    func oneSector() throws {
        let region = try EraseRegion(offset: 0xF_C000, size: 0x1000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        #expect(region.eraseSize == 0x1000)
        #expect(region.erasedRange == 0xF_C000..<0xF_E000)
        #expect(region.collateralErase == 0xF_D000..<0xF_E000)
    }

    @Test("offset and size must be whole sectors")
    func alignment() {
        #expect(throws: FlasherError.invalidPlan(.unaligned(name: "erase-region", offset: 0x6_0800))) {
            try EraseRegion(offset: 0x6_0800, size: 0x1000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        }
        #expect(throws: FlasherError.invalidPlan(.unaligned(name: "erase-region end", offset: 0x6_0800))) {
            try EraseRegion(offset: 0x6_0000, size: 0x800, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        }
    }

    @Test("an empty region is refused")
    func empty() {
        #expect(throws: FlasherError.invalidPlan(.emptyPart(name: "erase-region"))) {
            try EraseRegion(offset: 0x6_0000, size: 0, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        }
    }

    @Test("a region, or its ROM erase, past the end of the flash is refused")
    func beyondFlash() {
        #expect(throws: FlasherError.invalidPlan(.beyondFlash(name: "erase-region", end: 0x10_1000, flashSize: 0x10_0000))) {
            try EraseRegion(offset: 0xF_F000, size: 0x2000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        }
        // Asking for the last sector only: the ROM would erase one sector past the end; a
        // stub erases it exactly.
        let last = try? EraseRegion(offset: 0xF_F000, size: 0x1000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        #expect(last?.romHazard == .romEraseBeyondFlash(part: "erase-region", end: 0x10_1000, flashSize: 0x10_0000))
    }

    @Test("erasing into the saved configuration is refused unless allowed")
    func protected() throws {
        #expect(throws: FlasherError.invalidPlan(.touchesProtected(part: "erase-region", region: configuration.name, range: 0x7_6000..<0x7_9000))) {
            try EraseRegion(offset: 0x7_6000, size: 0x3000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        }
        // The ROM's collateral sector alone makes it a stub-only erase.
        let edge = try EraseRegion(offset: 0x7_5000, size: 0x1000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions)
        #expect(edge.romHazard == .touchesProtected(part: "erase-region", region: configuration.name, range: 0x7_6000..<0x7_7000))
        let allowed = try EraseRegion(offset: 0x7_6000, size: 0x3000, flashSize: .size1MB, protectedRegions: FlashLayout.meterLoggerProtectedRegions, allowProtected: true)
        // 3 sectors 6 into a block: ask for 2, the ROM erases 4.
        #expect(allowed.eraseSize == 0x2000)
        #expect(allowed.erasedRange == 0x7_6000..<0x7_A000)
        #expect(allowed.collateralErase == 0x7_9000..<0x7_A000)
    }

    @Test("no protected regions, nothing refused for protection")
    func noRegions() throws {
        #expect(try EraseRegion(offset: 0x7_6000, size: 0x3000, flashSize: .size1MB, protectedRegions: []).erasedRange.lowerBound == 0x7_6000)
    }
}
