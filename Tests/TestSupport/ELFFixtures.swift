/// Small firmware sources the tests link with xtensa-lx106-elf-gcc at test time, one per
/// ELF shape elf2image must handle. They are kept as Swift strings because a C or assembly
/// file inside a Swift test target would be taken for a source of the target.
public struct ELFFixture: Sendable, Hashable, CustomStringConvertible {
    public enum Language: String, Sendable { case c, assembly = "S" }

    public let name: String
    public let language: Language
    public let source: String
    public let linkerScript: String

    public var description: String { name }

    /// gcc flags: size-optimised bare-metal code; long calls because IRAM and flash-mapped
    /// code are more than a call's reach apart.
    public var compilerFlags: [String] {
        switch language {
        case .c: ["-Os", "-nostdlib", "-ffreestanding", "-mlongcalls"]
        case .assembly: ["-nostdlib"]
        }
    }

    /// The ESP8266-loadable shapes, each compared with esptool.
    public static let all: [ELFFixture] = [iramOnly, iramDram, withIROM, oddSections, textFirst]
}

// MARK: - Linker scripts (our own)

/// IRAM at 0x40100000, DRAM at 0x3FFE8000, flash-mapped code at 0x40210000 (flash offset
/// 0x10000), the places the NONOS SDK's application layout uses. Output sections in the
/// SDK's order: DRAM first.
private let standardLayout = """
    ENTRY(call_user_start)
    MEMORY {
      dram0 : org = 0x3FFE8000, len = 0x14000
      iram1 : org = 0x40100000, len = 0x8000
      irom0 : org = 0x40210000, len = 0x5C000
    }
    SECTIONS {
      .data : ALIGN(4) { *(.data .data.*) } > dram0
      .rodata : ALIGN(4) { *(.rodata .rodata.*) } > dram0
      .bss (NOLOAD) : ALIGN(4) { *(.bss .bss.* COMMON) } > dram0
      .text : ALIGN(4) { *(.literal .text .literal.* .text.*) } > iram1
      .irom0.text : ALIGN(4) { *(.irom0.literal .irom.literal .irom.text.literal .irom0.text .irom.text) } > irom0
    }
    """

/// Code sections first, flash-mapped code at 0x40240000 (flash offset 0x40000), and a
/// 16-byte aligned .data that leaves a gap after .rodata.
private let textFirstLayout = """
    ENTRY(call_user_start)
    MEMORY {
      dram0 : org = 0x3FFE8000, len = 0x14000
      iram1 : org = 0x40100000, len = 0x8000
      irom0 : org = 0x40240000, len = 0x40000
    }
    SECTIONS {
      .text : ALIGN(4) { *(.literal .text .literal.* .text.*) } > iram1
      .irom0.text : ALIGN(4) { *(.irom0.literal .irom0.text) } > irom0
      .rodata : ALIGN(4) { *(.rodata .rodata.*) } > dram0
      .data : ALIGN(16) { *(.data .data.*) } > dram0
      .bss (NOLOAD) : ALIGN(4) { *(.bss .bss.* COMMON) } > dram0
    }
    """

// MARK: - Sources

/// MeterLogger-like C: a serial in .data, the SSID prefix and a hex table in .rodata,
/// a buffer in .bss, and the formatting code in flash (.irom0.text). No division: the
/// Debian cross compiler ships no libgcc.
private let meterLoggerLikeC = """
    #define IROM __attribute__((section(".irom0.text")))
    int meter_serial = 9999999;
    const char ssid_prefix[] = "KAM_";
    const char hex_digits[] = "0123456789abcdef";
    static char buffer[32];

    IROM static int hex_text(unsigned value, char *out) {
        int n = 0;
        for (int shift = 28; shift >= 0; shift -= 4) out[n++] = hex_digits[(value >> shift) & 15];
        return n;
    }

    IROM int format_ssid(char *out) {
        int n = 0;
        while (ssid_prefix[n]) { out[n] = ssid_prefix[n]; n++; }
        return n + hex_text(meter_serial, out + n);
    }

    int call_user_start(void) { return format_ssid(buffer) + buffer[0]; }
    """

extension ELFFixture {
    /// Code only: the values live in registers, so .text (IRAM) is the one loadable section.
    public static let iramOnly = ELFFixture(name: "iram-only", language: .c, source: """
        static int mix(int a, int b) { return (a << 3) ^ (b >> 1) ^ 0x5A; }
        int call_user_start(int a, int b) {
            int x = mix(a, b);
            for (int i = 0; i < 5; i++) x = mix(x, i);
            return x;
        }
        """, linkerScript: standardLayout)

    /// IRAM code with initialised data (.data), constants (.rodata, odd length) and .bss;
    /// no flash-mapped code, so no 0x10000.bin.
    public static let iramDram = ELFFixture(name: "iram-dram", language: .c, source: """
        int boot_count = 7;
        const char banner[] = "MeterLogger test fixture";
        const unsigned short table[5] = {1, 1, 2, 3, 5};
        static int scratch[16];
        int call_user_start(int index) {
            scratch[index & 15] += banner[index & 7] + table[index & 3];
            return ++boot_count + scratch[3];
        }
        """, linkerScript: standardLayout)

    /// The MeterLogger shape: DRAM, IRAM and .irom0.text at 0x40210000 (0x10000.bin).
    public static let withIROM = ELFFixture(name: "with-irom", language: .c, source: meterLoggerLikeC, linkerScript: standardLayout)

    /// The same code linked code-first with flash-mapped code at flash offset 0x40000 and
    /// separate .rodata and .data segments.
    public static let textFirst = ELFFixture(name: "text-first", language: .c, source: meterLoggerLikeC, linkerScript: textFirstLayout)

    /// Several DRAM sections of odd lengths at chosen addresses: some merge with zero
    /// padding in between, one sits right after another yet does not merge (it does not
    /// start where the other ends after padding to 4), an INIT_ARRAY section merges, .bss
    /// is left out, two IRAM sections merge, and a 5-byte .irom0.text is padded to 8.
    public static let oddSections = ELFFixture(name: "odd-sections", language: .assembly, source: """
            .section .text, "ax", @progbits
            .global call_user_start
            .align 4
        call_user_start:
            movi a2, 42
            ret.n
            .section .iram.tail, "ax", @progbits
            .byte 0xC0, 0xDB, 0xDC, 0xDD, 0xC0
            .section .data, "aw", @progbits
            .byte 0x11, 0x12, 0x13, 0x14, 0x15, 0x16
            .section .rodata, "a", @progbits
            .byte 0x21, 0x22, 0x23
            .section .dram.flag, "aw", @progbits
            .byte 0x31
            .section .dram.table, "aw", @progbits
            .byte 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47
            .section .dram.init, "aw", @init_array
            .byte 0x51, 0x52, 0x53, 0x54
            .section .bss, "aw", @nobits
            .skip 9
            .section .irom0.text, "ax", @progbits
            .byte 0x61, 0x62, 0x63, 0x64, 0x65

        """, linkerScript: """
        ENTRY(call_user_start)
        SECTIONS {
          .data 0x3FFE8000 : { *(.data) }
          .rodata 0x3FFE8008 : { *(.rodata) }
          .dram.flag 0x3FFE800B : { *(.dram.flag) }
          .dram.table 0x3FFE8010 : { *(.dram.table) }
          .dram.init 0x3FFE8018 : { *(.dram.init) }
          .bss 0x3FFE8020 (NOLOAD) : { *(.bss) }
          .text 0x40100000 : { *(.text) }
          .iram.tail : { *(.iram.tail) }
          .irom0.text 0x40210000 : { *(.irom0.text) }
        }
        """)

    /// Two separate flash-mapped sections: not a valid v1 firmware (esptool refuses it too).
    public static let twoIROM = ELFFixture(name: "two-irom", language: .assembly, source: """
            .section .text, "ax", @progbits
            .global call_user_start
        call_user_start:
            ret.n
            .section .irom0.text, "ax", @progbits
            .byte 1, 2, 3, 4
            .section .irom1.text, "ax", @progbits
            .byte 5, 6, 7, 8

        """, linkerScript: """
        ENTRY(call_user_start)
        SECTIONS {
          .text 0x40100000 : { *(.text) }
          .irom0.text 0x40210000 : { *(.irom0.text) }
          .irom1.text 0x40220000 : { *(.irom1.text) }
        }
        """)
}
