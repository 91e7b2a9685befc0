import Basics
import ESPProtocol
import ESPImage
import Foundation
import Testing
import TestSupport

private let sector = 0x1000

@Suite("ROM erase-size compensation")
struct ROMEraseSizeTests {
    @Test("64 KiB on a block boundary: ask for 8 sectors, the ROM erases exactly the 16")
    func fullBlock() {
        let eraseSize = ESP8266.romEraseSize(offset: 0x6_0000, size: 0x1_0000)
        #expect(eraseSize == 0x8000)
        #expect(ESP8266.romErasedRange(offset: 0x6_0000, eraseSize: Int(eraseSize)) == 0x6_0000..<0x7_0000)
    }

    @Test("0x10000.bin (279684 bytes, 69 sectors) at 0x10000: ask for 69 - 16 sectors, erase exactly 69")
    func iromImage() {
        let eraseSize = ESP8266.romEraseSize(offset: 0x1_0000, size: 279_684)
        #expect(eraseSize == UInt32((69 - 16) * sector))
        #expect(ESP8266.romErasedRange(offset: 0x1_0000, eraseSize: Int(eraseSize)) == 0x1_0000..<(0x1_0000 + 69 * sector))
    }

    @Test("0x00000.bin (38784 bytes, 10 sectors) at 0: ask for 5 sectors, erase exactly 10")
    func bootImage() {
        let eraseSize = ESP8266.romEraseSize(offset: 0, size: 38_784)
        #expect(eraseSize == UInt32(5 * sector))
        #expect(ESP8266.romErasedRange(offset: 0, eraseSize: Int(eraseSize)) == 0..<(10 * sector))
    }

    @Test("one sector at 0xFC000 cannot be compensated: the ROM erases two (0xFC000..<0xFE000)")
    func oddSectorNearBlockStart() {
        let eraseSize = ESP8266.romEraseSize(offset: 0xF_C000, size: 128)
        #expect(eraseSize == UInt32(sector))
        #expect(ESP8266.romErasedRange(offset: 0xF_C000, eraseSize: Int(eraseSize)) == 0xF_C000..<0xF_E000)
    }

    @Test("the ROM's erase, as modelled: N sectors plus the head of the block, capped at N")
    func romModel() {
        // Asking for 1 sector at the last sector of a block: head 1, erases 2.
        #expect(ESP8266.romErasedRange(offset: 0xF_000, eraseSize: sector) == 0xF_000..<0x11_000)
        // Asking for 20 sectors at a block start: 20 + 16.
        #expect(ESP8266.romErasedRange(offset: 0x2_0000, eraseSize: 20 * sector) == 0x2_0000..<(0x2_0000 + 36 * sector))
        // Asking for 3 sectors 5 sectors into a block: head 11 capped at 3, erases 6.
        #expect(ESP8266.romErasedRange(offset: 0x7_5000, eraseSize: 3 * sector) == 0x7_5000..<0x7_B000)
        // Asking for nothing erases nothing.
        #expect(ESP8266.romErasedRange(offset: 0x2_1000, eraseSize: 0).isEmpty)
    }

    @Test("for every start sector in 1 MB and 1…64 sectors, the compensated erase starts at the offset, covers the request, and overshoots by at most one sector")
    func compensationProperty() {
        for startSector in 0..<256 {
            for count in 1...64 {
                let offset = startSector * sector
                let size = count * sector
                let erased = ESP8266.romErasedRange(offset: offset, eraseSize: Int(ESP8266.romEraseSize(offset: offset, size: size)))
                guard erased.lowerBound == offset, erased.upperBound >= offset + size, erased.upperBound <= offset + size + sector else {
                    Issue.record("\(count) sectors at \(hex(offset)) erase \(hex(erased.lowerBound))..<\(hex(erased.upperBound))")
                    continue
                }
            }
        }
    }

    @Test("sizes that are not whole sectors are compensated like the sectors they touch")
    func partialSectors() {
        for startSector in stride(from: 0, to: 256, by: 3) {
            for size in [1, 100, 4095, 4097, 12_345, 65_535, 65_537] {
                let offset = startSector * sector
                #expect(ESP8266.romEraseSize(offset: offset, size: size)
                    == ESP8266.romEraseSize(offset: offset, size: (size + sector - 1) / sector * sector))
            }
        }
    }

    @Test("sending the unadjusted size makes the ROM erase more than asked (the bug)")
    func unadjustedErasesMore() {
        for startSector in 0..<256 {
            for count in 1...64 {
                let offset = startSector * sector
                let erased = ESP8266.romErasedRange(offset: offset, eraseSize: count * sector)
                #expect(erased.upperBound > offset + count * sector)
            }
        }
        // The classic case: 64 KiB at a block start, sent as is, wipes the next 64 KiB too.
        #expect(ESP8266.romErasedRange(offset: 0x6_0000, eraseSize: 0x1_0000) == 0x6_0000..<0x8_0000)
    }

    @Test("esptool computes the same erase size for every case of the grid")
    func agreesWithEsptool() async throws {
        let script = """
            from esptool.targets.esp8266 import ESP8266ROM as R
            print(' '.join(str(R.get_erase_size(R, s * 4096, n * 4096)) for s in range(256) for n in range(1, 65)))
            """
        let result = try await runProcess(esptoolPython, ["-c", script])
        try #require(result.succeeded, "python failed: \(result)")
        let theirs = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { UInt32($0) }
        let ours = (0..<256).flatMap { s in (1...64).map { n in ESP8266.romEraseSize(offset: s * sector, size: n * sector) } }
        #expect(theirs == ours)
    }
}

@Suite("Chip id and MAC address")
struct ChipIdentityTests {
    @Test("chip id is MAC0's top byte below MAC1's low 24 bits")
    func chipID() {
        #expect(ESP8266.chipID(mac0: 0xAB00_0000, mac1: 0x0012_3456) == 0x1234_56AB)
        #expect(ESP8266.chipID(mac0: 0x00FF_FFFF, mac1: 0xFF00_0000) == 0)
        #expect(ESP8266.chipID(mac0: 0xFFFF_FFFF, mac1: 0xFFFF_FFFF) == 0xFFFF_FFFF)
    }

    @Test("selector byte 0 of MAC1 (MAC3 zero) means OUI 18:FE:34")
    func espressifOUI() throws {
        let mac = try #require(ESP8266.macAddress(mac0: 0xAB00_0000, mac1: 0x0000_3456, mac3: 0))
        #expect(mac.bytes == [0x18, 0xFE, 0x34, 0x34, 0x56, 0xAB])
        #expect(mac.description == "18:fe:34:34:56:ab")
    }

    @Test("selector byte 1 of MAC1 (MAC3 zero) means OUI AC:D0:74")
    func secondOUI() throws {
        let mac = try #require(ESP8266.macAddress(mac0: 0x0700_0000, mac1: 0x0101_0203, mac3: 0))
        #expect(mac.bytes == [0xAC, 0xD0, 0x74, 0x02, 0x03, 0x07])
    }

    @Test("a non-zero MAC3 gives the OUI from its low three bytes, whatever the selector")
    func mac3OUI() throws {
        let mac = try #require(ESP8266.macAddress(mac0: 0xC000_0000, mac1: 0x0299_8877, mac3: 0x005C_CF7F))
        #expect(mac.bytes == [0x5C, 0xCF, 0x7F, 0x88, 0x77, 0xC0])
        #expect(mac.description == "5c:cf:7f:88:77:c0")
    }

    @Test("the selector is byte 2 of MAC1; byte 3 plays no part")
    func selectorByte() {
        #expect(ESP8266.macAddress(mac0: 0, mac1: 0xFF00_0000, mac3: 0)?.bytes == [0x18, 0xFE, 0x34, 0, 0, 0])
        #expect(ESP8266.macAddress(mac0: 0, mac1: 0xFF01_0000, mac3: 0)?.bytes == [0xAC, 0xD0, 0x74, 0, 0, 0])
    }

    @Test("an unknown selector with MAC3 zero has no MAC address")
    func unknownSelector() {
        #expect(ESP8266.macAddress(mac0: 0, mac1: 0x0002_0000, mac3: 0) == nil)
        #expect(ESP8266.macAddress(mac0: 0, mac1: 0x00FF_0000, mac3: 0) == nil)
    }

    @Test("otpWords inverts macAddress for both Espressif OUIs and for a MAC3 OUI")
    func otpWordsInverse() throws {
        var rng = SplitMix64(seed: 8266)
        let ouis: [[UInt8]] = [[0x18, 0xFE, 0x34], [0xAC, 0xD0, 0x74], [0x5C, 0xCF, 0x7F], [0x00, 0x00, 0x01], [0xFF, 0xFF, 0xFF]]
        for oui in ouis {
            for _ in 0..<50 {
                let mac = try #require(MACAddress(bytes: oui + rng.bytes(3)))
                let words = ESP8266.otpWords(for: mac)
                #expect(ESP8266.macAddress(mac0: words.mac0, mac1: words.mac1, mac3: words.mac3) == mac)
            }
        }
        let espressif = ESP8266.otpWords(for: try #require(MACAddress("18:fe:34:01:02:03")))
        #expect(espressif.mac3 == 0 && (espressif.mac1 >> 16) & 0xFF == 0)
        let second = ESP8266.otpWords(for: try #require(MACAddress("ac:d0:74:01:02:03")))
        #expect(second.mac3 == 0 && (second.mac1 >> 16) & 0xFF == 1)
        let other = ESP8266.otpWords(for: try #require(MACAddress("5c:cf:7f:01:02:03")))
        #expect(other.mac3 == 0x5C_CF7F)
    }
}

@Suite("MAC address text")
struct MACAddressParsingTests {
    @Test("colon- and dash-separated hex in either case is accepted",
          arguments: ["aa:bb:cc:dd:ee:ff", "AA:BB:CC:DD:EE:FF", "AA-BB-CC-DD-EE-FF", "aA-Bb-cC-dD-eE-fF"])
    func accepts(text: String) throws {
        #expect(try #require(MACAddress(text)).bytes == [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])
    }

    @Test("the description is lower-case, colon separated, two digits per byte")
    func description() throws {
        #expect(try #require(MACAddress("00:0A:b0:0c:01:10")).description == "00:0a:b0:0c:01:10")
    }

    @Test("wrong group counts, non-hex digits and wrong group widths are refused",
          arguments: ["aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "", "gg:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:fz",
                      "aaa:bb:cc:dd:ee:ff", "a:bb:cc:dd:ee:ff", "aabbccddeeff", "aa bb cc dd ee ff"])
    func refuses(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test("a sign is not a hex digit", arguments: ["+a:bb:cc:dd:ee:ff", "aa:bb:+c:dd:ee:ff"])
    func refusesSigns(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test("empty groups and stray separators are refused",
          arguments: ["aa::bb:cc:dd:ee:ff", ":aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff:", "aa:bb:cc:dd:ee:ff--"])
    func refusesEmptyGroups(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test("only six bytes make a MAC address")
    func byteCount() {
        #expect(MACAddress(bytes: [1, 2, 3, 4, 5]) == nil)
        #expect(MACAddress(bytes: [1, 2, 3, 4, 5, 6, 7]) == nil)
        #expect(MACAddress(bytes: [1, 2, 3, 4, 5, 6])?.bytes == [1, 2, 3, 4, 5, 6])
    }
}
