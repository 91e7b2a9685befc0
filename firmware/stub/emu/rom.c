/*
 * rom.c: the fake mask ROM's models (../README.md, "The real stub on an emulated LX106").
 * Everything the stub reaches outside its own code: the ROM functions (flash over a NOR
 * model, UART divider, delays, interrupt attach/unmask, reset), UART0's registers (reached
 * through traps on 0x60000000–0x7FFFFFFF and on the efuse block), the receive interrupt fed
 * from the host on a timer tick, the ROM's serial loader (SYNC, READ_REG, WRITE_REG,
 * MEM_BEGIN/DATA/END) and the end report.
 *
 * The host side is QEMU's semihosting: guest fd 0/1 are QEMU's stdin/stdout (the line),
 * fd 2 its stderr (the report). The run's settings are words at 0x3FFC0000 (struct config).
 */
#include <stddef.h>
#include <stdint.h>

/* ---- settings (written by QEMU's loader device before reset) ---- */
struct config {
    uint32_t magic;        /* CONFIG_MAGIC */
    uint32_t mode;         /* MODE_DIRECT: stub loaded by QEMU, start it; MODE_LOADER: serial loader */
    uint32_t flash_size;   /* bytes of the flash model */
    uint32_t flash_fill;   /* byte the flash starts with, or KEEP_FLASH (an image was loaded) */
    uint32_t entry;        /* MODE_DIRECT: stub_entry */
    uint32_t bss_start;    /* MODE_DIRECT: the stub's .bss, filled with garbage first */
    uint32_t bss_end;
    uint32_t tick_us;      /* receive tick */
    uint32_t cycles_per_us;
};
#define CONFIG ((volatile struct config *)0x3FFC0000u)
#define CONFIG_MAGIC 0x434D5545u /* "EUMC" */
#define MODE_DIRECT 0u
#define MODE_LOADER 1u
#define KEEP_FLASH 0xFFFFFFFFu

/* ---- memory the model uses ---- */
#define FLASH_BASE 0x51000000u
#define FLASH_MAX (16u << 20)
#define DRAM_START 0x3FFE8000u
#define DRAM_DATA_END 0x3FFFC000u /* where the ROM's own data starts on the chip */
#define STUB_SP 0x3FFFFD00u       /* the loader's stack pointer when it calls the stub (a guess) */
#define STACK_PAINT 0xA5C3A5C3u
#define LOADER_FRAME_SLOT (STUB_SP + 12u)
#define ROM_LOADER_RETURN 0x40001100u
#define ROM_FLASH_BOOT 0x400010a8u

/* ---- how a run ends (QEMU's exit code) ---- */
enum {
    END_EOF = 10,           /* the host closed the line */
    END_REBOOT = 11,        /* software_reset */
    END_FLASH_BOOT = 12,    /* the stub returned into the ROM's flash boot (RUN_USER_CODE) */
    END_LOADER_RETURN = 13, /* the stub returned into the loader unchanged */
    END_FATAL = 14,         /* an exception the ROM does not model */
    END_BAD_RETURN = 15,    /* the stub returned with a wrong stack pointer or frame */
    END_BAD_CONFIG = 16,
};

/* ---- semihosting ---- */
static int32_t simcall(int32_t call, int32_t a, int32_t b, int32_t c)
{
    register int32_t a2 __asm__("a2") = call;
    register int32_t a3 __asm__("a3") = a;
    register int32_t a4 __asm__("a4") = b;
    register int32_t a5 __asm__("a5") = c;
    __asm__ __volatile__("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}
#define SYS_EXIT 1
#define SYS_READ 3
#define SYS_WRITE 4
#define SYS_SELECT_ONE 29
#define SELECT_READ 1

/* ---- small helpers (no libc) ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
uint32_t __udivsi3(uint32_t n, uint32_t d);
uint32_t __umodsi3(uint32_t n, uint32_t d);

static uint32_t udivmod(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0, r = 0;
    if (d == 0) {
        *rem = n;
        return 0xFFFFFFFFu;
    }
    for (int i = 31; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1u << i;
        }
    }
    *rem = r;
    return q;
}
uint32_t __udivsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    return udivmod(n, d, &r);
}
uint32_t __umodsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    udivmod(n, d, &r);
    return r;
}

/* As the ROM's: word copies when everything is aligned, bytes otherwise. */
void *memcpy(void *dst, const void *src, size_t n)
{
    if ((((uint32_t)dst | (uint32_t)src | n) & 3u) == 0) {
        uint32_t *d = dst;
        const uint32_t *s = src;
        for (size_t i = 0; i < n / 4u; i++) d[i] = s[i];
    } else {
        uint8_t *d = dst;
        const uint8_t *s = src;
        for (size_t i = 0; i < n; i++) d[i] = s[i];
    }
    return dst;
}
void *memset(void *dst, int c, size_t n)
{
    if ((((uint32_t)dst | n) & 3u) == 0) {
        uint32_t word = (uint8_t)c * 0x01010101u;
        uint32_t *d = dst;
        for (size_t i = 0; i < n / 4u; i++) d[i] = word;
    } else {
        uint8_t *d = dst;
        for (size_t i = 0; i < n; i++) d[i] = (uint8_t)c;
    }
    return dst;
}

static inline uint32_t ccount(void)
{
    uint32_t v;
    __asm__ __volatile__("rsr.ccount %0" : "=r"(v));
    return v;
}

/* ---- the report ---- */
static char report[1024];
static uint32_t report_len;
static void put(const char *s)
{
    while (*s && report_len < sizeof report - 1) report[report_len++] = *s++;
}
static void put_u(uint32_t v)
{
    char digits[12];
    int n = 0;
    do {
        uint32_t r;
        v = udivmod(v, 10, &r);
        digits[n++] = (char)('0' + r);
    } while (v);
    while (n) {
        char one[2] = { digits[--n], 0 };
        put(one);
    }
}
static void put_x(uint32_t v)
{
    put("0x");
    for (int i = 28; i >= 0; i -= 4) {
        char one[2] = { "0123456789abcdef"[(v >> i) & 15u], 0 };
        put(one);
    }
}
static void field(const char *name, uint32_t v)
{
    put(" ");
    put(name);
    put("=");
    put_u(v);
}

/* ---- state ---- */
static struct {
    uint32_t interrupts, ticks, rx_bytes, tx_bytes;
    uint32_t flash_reads, flash_writes, flash_bytes_written, sector_erases, block_erases, chip_erases;
    uint32_t unerased_bytes, contract, contract_first_pc, traps;
    uint32_t fatal_cause, fatal_pc, fatal_vaddr;
    uint32_t loader_commands, started;
} stats;
static const char *contract_first = "none";
static uint32_t tick_cycles, cycles_per_us;

static void line_flush(void);
static uint32_t uart_clkdiv(void);
static uint32_t stack_used(void)
{
    const volatile uint32_t *word = (const volatile uint32_t *)DRAM_DATA_END;
    while ((uint32_t)word < STUB_SP && *word == STACK_PAINT) word++;
    return STUB_SP - (uint32_t)word;
}

static const char *end_name(int code)
{
    switch (code) {
    case END_EOF: return "eof";
    case END_REBOOT: return "reboot";
    case END_FLASH_BOOT: return "flash-boot";
    case END_LOADER_RETURN: return "loader-return";
    case END_FATAL: return "fatal";
    case END_BAD_RETURN: return "bad-return";
    default: return "bad-config";
    }
}

static void __attribute__((noreturn)) rom_end(int code)
{
    line_flush();
    report_len = 0;
    put("\nEMU-REPORT end=");
    put(end_name(code));
    field("started", stats.started);
    field("stack", stats.started ? stack_used() : 0);
    field("interrupts", stats.interrupts);
    field("ticks", stats.ticks);
    field("rx", stats.rx_bytes);
    field("tx", stats.tx_bytes);
    field("traps", stats.traps);
    field("flash_reads", stats.flash_reads);
    field("flash_writes", stats.flash_writes);
    field("flash_bytes_written", stats.flash_bytes_written);
    field("sector_erases", stats.sector_erases);
    field("block_erases", stats.block_erases);
    field("chip_erases", stats.chip_erases);
    field("unerased_bytes", stats.unerased_bytes);
    field("contract_violations", stats.contract);
    put(" contract_first=");
    put(contract_first);
    put(" contract_pc=");
    put_x(stats.contract_first_pc);
    field("fatal_cause", stats.fatal_cause);
    put(" fatal_pc=");
    put_x(stats.fatal_pc);
    put(" fatal_vaddr=");
    put_x(stats.fatal_vaddr);
    field("loader_commands", stats.loader_commands);
    field("clkdiv", uart_clkdiv());
    put("\n");
    simcall(SYS_WRITE, 2, (int32_t)(uint32_t)report, (int32_t)report_len);
    simcall(SYS_EXIT, code, 0, 0);
    for (;;) {
    }
}

static void violation(const char *what, uint32_t pc)
{
    if (stats.contract++ == 0) {
        contract_first = what;
        stats.contract_first_pc = pc;
    }
}
#define CALLER() ((uint32_t)__builtin_return_address(0))

/* ---- the line (host bytes in, stub bytes out) ---- */
static uint8_t host_in[4096];
static uint32_t host_in_head, host_in_tail;
static int host_eof;
static uint8_t line_out[256];
static uint32_t line_out_len;

static void line_flush(void)
{
    uint32_t done = 0;
    while (done < line_out_len) {
        int32_t n = simcall(SYS_WRITE, 1, (int32_t)(uint32_t)(line_out + done), (int32_t)(line_out_len - done));
        if (n <= 0) break;
        done += (uint32_t)n;
    }
    stats.tx_bytes += line_out_len;
    line_out_len = 0;
}
static void line_put(uint8_t byte)
{
    if (line_out_len == sizeof line_out) line_flush();
    line_out[line_out_len++] = byte;
}

/* Pulls what the host has sent (waiting up to `timeout_us`); 0 when nothing came. */
static uint32_t host_pull(uint32_t timeout_us)
{
    if (host_in_head != host_in_tail) return host_in_tail - host_in_head;
    if (host_eof) return 0;
    uint32_t tv[2] = { timeout_us / 1000000u, timeout_us % 1000000u };
    int32_t ready = simcall(SYS_SELECT_ONE, 0, SELECT_READ, (int32_t)(uint32_t)tv);
    if (ready <= 0) return 0;
    int32_t n = simcall(SYS_READ, 0, (int32_t)(uint32_t)host_in, (int32_t)sizeof host_in);
    if (n <= 0) {
        host_eof = 1;
        return 0;
    }
    host_in_head = 0;
    host_in_tail = (uint32_t)n;
    stats.rx_bytes += (uint32_t)n;
    return (uint32_t)n;
}

/* ---- UART0 ---- */
#define UART_BASE 0x60000000u
#define RX_FIFO_SIZE 128u
#define TX_FIFO_SIZE 128u
#define INT_RXFIFO_FULL (1u << 0)
#define INT_RXFIFO_TOUT (1u << 8)
static struct {
    uint8_t rx[RX_FIFO_SIZE];
    uint32_t rx_head, rx_count;
    uint32_t tx_count; /* bytes "in the FIFO": line_out holds them until a flush */
    uint32_t int_raw, int_ena, clkdiv, conf0, conf1;
    uint32_t last_was_status;
} uart = { .clkdiv = 451, /* what the ROM's autobaud leaves at 115200 (52 MHz / 115200) */ .conf0 = 0x1C, .conf1 = 0x00000060u };

static uint32_t uart_clkdiv(void)
{
    return uart.clkdiv;
}

/* Other registers at 0x6000xxxx and the efuse block: plain words (READ_REG/WRITE_REG). */
#define GENERIC_REGS 64
static uint32_t generic_addr[GENERIC_REGS], generic_value[GENERIC_REGS], generic_count;

static uint32_t efuse(uint32_t address, int *known)
{
    *known = 1;
    switch (address) {
    case 0x3FF00050u: return 0x56000000u; /* MAC0: low MAC byte 0x56 */
    case 0x3FF00054u: return 0x00001234u; /* MAC1: OUI selector 0 (18:FE:34), bytes 12 34 */
    case 0x3FF00058u: return 0x00000000u;
    case 0x3FF0005Cu: return 0x00000000u; /* MAC3 */
    default: *known = 0; return 0;
    }
}

static void uart_update_interrupts(void)
{
    uint32_t full = uart.conf1 & 0x7Fu;
    if (full == 0) full = 1;
    if (uart.rx_count >= full) uart.int_raw |= INT_RXFIFO_FULL;
    /* Bytes that wait while the host has no more: the idle timeout. */
    if (uart.rx_count > 0 && (uart.conf1 & (1u << 31)) && host_in_head == host_in_tail) uart.int_raw |= INT_RXFIFO_TOUT;
}

static uint32_t uart_read(uint32_t offset)
{
    uint32_t status_read = 0, value = 0;
    switch (offset) {
    case 0x00:
        if (uart.rx_count) {
            value = uart.rx[uart.rx_head];
            uart.rx_head = (uart.rx_head + 1u) % RX_FIFO_SIZE;
            uart.rx_count--;
        }
        break;
    case 0x04: value = uart.int_raw; break;
    case 0x08: value = uart.int_raw & uart.int_ena; break;
    case 0x0C: value = uart.int_ena; break;
    case 0x14: value = uart.clkdiv; break;
    case 0x1C:
        /* Polling the status twice without writing: the stub waits for the FIFO to drain. */
        if (uart.last_was_status && uart.tx_count) {
            line_flush();
            uart.tx_count = 0;
        }
        status_read = 1;
        value = (uart.rx_count & 0xFFu) | ((uart.tx_count & 0xFFu) << 16);
        break;
    case 0x20: value = uart.conf0; break;
    case 0x24: value = uart.conf1; break;
    default: break;
    }
    uart.last_was_status = status_read;
    return value;
}

static void uart_write(uint32_t offset, uint32_t value)
{
    uart.last_was_status = 0;
    switch (offset) {
    case 0x00:
        line_put((uint8_t)value);
        if (++uart.tx_count >= TX_FIFO_SIZE - 2u) {
            line_flush();
            uart.tx_count = 0;
        }
        break;
    case 0x04: uart.int_raw = value; break;
    case 0x0C: uart.int_ena = value; break;
    case 0x10: uart.int_raw &= ~value; break;
    case 0x14: uart.clkdiv = value & 0xFFFFFu; break;
    case 0x20: uart.conf0 = value; break;
    case 0x24: uart.conf1 = value; break;
    default: break;
    }
}

#define SPI0_CMD 0x60000200u
#define SPI0_W0 0x60000240u
#define SPI_USR (1u << 18)
static uint32_t flash_size;

static int generic_slot(uint32_t address, int create)
{
    for (uint32_t i = 0; i < generic_count; i++)
        if (generic_addr[i] == address) return (int)i;
    if (!create || generic_count == GENERIC_REGS) return -1;
    generic_addr[generic_count] = address;
    generic_value[generic_count] = 0;
    return (int)generic_count++;
}

/* A register read or write the stub (or the loader) makes; 0 when no model answers. */
static int mmio(uint32_t address, int store, uint32_t *value)
{
    if (address >= UART_BASE && address < UART_BASE + 0x80u) {
        if (store) uart_write(address - UART_BASE, *value);
        else *value = uart_read(address - UART_BASE);
        return 1;
    }
    int known;
    uint32_t fuse = efuse(address & ~3u, &known);
    if (known) {
        if (!store) *value = fuse;
        return 1;
    }
    if (store && address == SPI0_CMD && (*value & SPI_USR)) {
        /* A user command (esptool reads the flash id this way): done at once, the JEDEC
         * id of a Winbond-like chip of the model's size in W0. */
        uint32_t log2 = 0;
        while ((1u << log2) < flash_size) log2++;
        uint32_t id = 0xEFu | (0x40u << 8) | (log2 << 16);
        int w0 = generic_slot(SPI0_W0, 1);
        if (w0 >= 0) generic_value[w0] = id;
        *value &= ~SPI_USR;
    }
    if ((address >= 0x60000000u && address < 0x80000000u) || (address >= 0x3FF00000u && address < 0x3FF01000u)) {
        int slot = generic_slot(address & ~3u, store);
        if (store && slot >= 0) generic_value[slot] = *value;
        if (!store) *value = slot >= 0 ? generic_value[slot] : 0;
        return 1;
    }
    return 0;
}

/* ---- the trap: decode the load/store at EPC1, run the register model, step over ---- */
struct frame {
    uint32_t a[16];
    uint32_t sar, epc1, exccause, excvaddr, ps, pad[3];
};
struct frame rom_trap_frame;
uint32_t rom_trap_stack[512];
uint32_t rom_stack[2048];

static uint32_t fetch24(uint32_t pc)
{
    /* Word loads only: the stub's code is in IRAM. */
    const volatile uint32_t *word = (const volatile uint32_t *)(pc & ~3u);
    uint32_t shift = (pc & 3u) * 8u;
    uint32_t low = word[0] >> shift;
    uint32_t high = shift ? word[1] << (32u - shift) : 0;
    return (low | high) & 0xFFFFFFu;
}

static void __attribute__((noreturn)) fatal(uint32_t cause, uint32_t pc, uint32_t vaddr)
{
    stats.fatal_cause = cause;
    stats.fatal_pc = pc;
    stats.fatal_vaddr = vaddr;
    rom_end(END_FATAL);
}

void rom_trap(struct frame *frame);
void rom_trap(struct frame *frame)
{
    uint32_t cause, vaddr;
    __asm__ __volatile__("rsr.exccause %0" : "=r"(cause));
    __asm__ __volatile__("rsr.excvaddr %0" : "=r"(vaddr));
    uint32_t pc = frame->epc1;
    /* 28/29 Load/StoreProhibited (the peripheral range), 13/15 PIF errors (efuses). */
    if (cause != 28 && cause != 29 && cause != 13 && cause != 15) fatal(cause, pc, vaddr);
    uint32_t insn = fetch24(pc);
    uint32_t op0 = insn & 15u, t = (insn >> 4) & 15u, s = (insn >> 8) & 15u, r = (insn >> 12) & 15u;
    uint32_t length, size, store = 0, sign = 0, offset;
    if (op0 == 8 || op0 == 9) { /* l32i.n / s32i.n */
        length = 2;
        size = 4;
        store = op0 == 9;
        offset = r << 2;
    } else if (op0 == 2 && (r == 0 || r == 1 || r == 2 || r == 4 || r == 5 || r == 6 || r == 9)) {
        length = 3;
        uint32_t imm8 = (insn >> 16) & 0xFFu;
        size = (r == 0 || r == 4) ? 1 : (r == 2 || r == 6) ? 4 : 2;
        store = r >= 4 && r <= 6;
        sign = r == 9;
        offset = imm8 * size;
    } else {
        fatal(cause, pc, vaddr);
    }
    uint32_t address = frame->a[s] + offset;
    stats.traps++;
    uint32_t value = store ? frame->a[t] : 0;
    if (!mmio(address & ~3u, (int)store, &value)) fatal(cause, pc, address);
    if (!store) {
        uint32_t shift = (address & 3u) * 8u;
        value >>= shift;
        if (size == 1) value &= 0xFFu;
        if (size == 2) value = sign ? (uint32_t)(int32_t)(int16_t)value : (value & 0xFFFFu);
        frame->a[t] = value;
    }
    frame->epc1 = pc + length;
}

void rom_fatal_vector(uint32_t which, uint32_t sp);
void rom_fatal_vector(uint32_t which, uint32_t sp)
{
    uint32_t cause, pc, vaddr;
    (void)sp;
    __asm__ __volatile__("rsr.exccause %0" : "=r"(cause));
    __asm__ __volatile__("rsr.epc1 %0" : "=r"(pc));
    __asm__ __volatile__("rsr.excvaddr %0" : "=r"(vaddr));
    fatal(100u + which * 100u + cause, pc, vaddr);
}

/* ---- interrupts: ets_isr_attach/unmask and the tick ---- */
static void (*uart_handler)(void *);
static void *uart_argument;
static uint32_t isr_unmasked;

void rom_ets_isr_attach(int interrupt, void (*handler)(void *), void *argument);
void rom_ets_isr_attach(int interrupt, void (*handler)(void *), void *argument)
{
    if (interrupt == 5) {
        uart_handler = handler;
        uart_argument = argument;
    }
}
void rom_ets_isr_unmask(uint32_t mask);
void rom_ets_isr_unmask(uint32_t mask)
{
    isr_unmasked |= mask;
}
void rom_ets_set_user_start(void (*start)(void));
void rom_ets_set_user_start(void (*start)(void))
{
    (void)start;
}

#define TIMER_INTERRUPT 6
/* Sets the next tick. CCOUNT runs with the host's clock: when QEMU is descheduled between
 * reading CCOUNT and writing CCOMPARE0 (a loaded machine), the compare value may already
 * be behind CCOUNT, and the next match would come only after the 32-bit counter wraps
 * (107 s at 40 MHz). So: write, then check that CCOUNT has not passed it yet, else again. */
static void tick_arm(void)
{
    uint32_t now, next;
    do {
        now = ccount();
        next = now + tick_cycles;
        __asm__ __volatile__("wsr.ccompare0 %0; esync" ::"r"(next));
    } while (ccount() - now >= tick_cycles);
}

/* Moves host bytes into the RX FIFO. */
static void rx_fill(void)
{
    while (uart.rx_count < RX_FIFO_SIZE && host_pull(0)) {
        uint32_t tail = (uart.rx_head + uart.rx_count) % RX_FIFO_SIZE;
        uart.rx[tail] = host_in[host_in_head++];
        uart.rx_count++;
    }
}

void rom_irq(struct frame *frame);
void rom_irq(struct frame *frame)
{
    uint32_t pending;
    __asm__ __volatile__("rsr.interrupt %0" : "=r"(pending));
    if (!(pending & (1u << TIMER_INTERRUPT))) fatal(4, frame->epc1, pending); /* nothing else is enabled */
    stats.ticks++;
    tick_arm();
    if (uart.tx_count) {
        line_flush();
        uart.tx_count = 0;
    }
    if (host_eof && host_in_head == host_in_tail && uart.rx_count == 0) rom_end(END_EOF);
    /* As the ROM's dispatcher: the handler runs with EXCM clear at interrupt level 1. */
    for (int round = 0; round < 8; round++) {
        rx_fill();
        uart_update_interrupts();
        if (!((uart.int_raw & uart.int_ena) && (isr_unmasked & (1u << 5)) && uart_handler)) break;
        stats.interrupts++;
        __asm__ __volatile__("wsr.ps %0; rsync" ::"r"(0x21u));
        uart_handler(uart_argument);
        __asm__ __volatile__("wsr.ps %0; rsync" ::"r"(0x31u));
        if (uart.rx_count) break; /* the handler left bytes: try again next tick */
    }
}

/* ---- the flash model (NOR: erase sets bits, programming only clears them) ---- */
#define FLASH ((volatile uint32_t *)FLASH_BASE)

static int flash_range(uint32_t address, uint32_t length)
{
    return address <= flash_size && length <= flash_size - address;
}

int rom_spi_read(uint32_t address, uint32_t *words, uint32_t length);
int rom_spi_read(uint32_t address, uint32_t *words, uint32_t length)
{
    stats.flash_reads++;
    if ((address | length | (uint32_t)words) & 3u) {
        violation("spi_read_unaligned", CALLER());
        return 1;
    }
    if (!flash_range(address, length)) return 1;
    for (uint32_t i = 0; i < length / 4u; i++) words[i] = FLASH[address / 4u + i];
    return 0;
}

int rom_spi_write(uint32_t address, const uint32_t *words, uint32_t length);
int rom_spi_write(uint32_t address, const uint32_t *words, uint32_t length)
{
    stats.flash_writes++;
    if ((address | length | (uint32_t)words) & 3u) {
        violation("spi_write_unaligned", CALLER());
        return 1;
    }
    if (!flash_range(address, length)) return 1;
    for (uint32_t i = 0; i < length / 4u; i++) {
        uint32_t old = FLASH[address / 4u + i], data = words[i];
        uint32_t lost = data & ~old; /* ones asked for where the flash holds zeros */
        for (uint32_t b = 0; b < 4u; b++)
            if ((lost >> (b * 8u)) & 0xFFu) stats.unerased_bytes++;
        FLASH[address / 4u + i] = old & data;
    }
    stats.flash_bytes_written += length;
    return 0;
}

static int erase(uint32_t address, uint32_t length)
{
    if (!flash_range(address, length)) return 1;
    for (uint32_t i = 0; i < length / 4u; i++) FLASH[address / 4u + i] = 0xFFFFFFFFu;
    return 0;
}
int rom_spi_erase_sector(uint32_t sector);
int rom_spi_erase_sector(uint32_t sector)
{
    stats.sector_erases++;
    return erase(sector * 0x1000u, 0x1000u);
}
int rom_spi_erase_block(uint32_t block);
int rom_spi_erase_block(uint32_t block)
{
    stats.block_erases++;
    return erase(block * 0x10000u, 0x10000u);
}
int rom_spi_erase_chip(void);
int rom_spi_erase_chip(void)
{
    stats.chip_erases++;
    return erase(0, flash_size);
}
int rom_spi_unlock(void);
int rom_spi_unlock(void)
{
    return 0;
}
int rom_spi_param_cfg(uint32_t id, uint32_t size, uint32_t block, uint32_t sector, uint32_t page, uint32_t mask);
int rom_spi_param_cfg(uint32_t id, uint32_t size, uint32_t block, uint32_t sector, uint32_t page, uint32_t mask)
{
    (void)id, (void)size, (void)page, (void)mask;
    if (block != 0x10000u || sector != 0x1000u) violation("spi_param_geometry", CALLER());
    return 0;
}
void rom_select_spi_function(void);
void rom_select_spi_function(void)
{
}

/* ---- other ROM functions ---- */
void rom_uart_div_modify(uint32_t uart_number, uint32_t divider);
void rom_uart_div_modify(uint32_t uart_number, uint32_t divider)
{
    if (uart_number == 0) uart.clkdiv = divider & 0xFFFFFu;
}
void rom_ets_delay_us(uint32_t microseconds);
void rom_ets_delay_us(uint32_t microseconds)
{
    uint32_t start = ccount(), cycles = microseconds * cycles_per_us;
    while (ccount() - start < cycles) {
    }
}
void rom_software_reset(void);
void rom_software_reset(void)
{
    rom_end(END_REBOOT);
}

/* ---- leaving the stub ---- */
void rom_stub_returned(uint32_t sp);
void rom_stub_returned(uint32_t sp)
{
    if (sp != STUB_SP) rom_end(END_BAD_RETURN);
    uint32_t slot = *(volatile uint32_t *)LOADER_FRAME_SLOT;
    if (slot == ROM_FLASH_BOOT) rom_end(END_FLASH_BOOT);
    if (slot == ROM_LOADER_RETURN) rom_end(END_LOADER_RETURN);
    rom_end(END_BAD_RETURN);
}
void rom_flash_boot(uint32_t sp);
void rom_flash_boot(uint32_t sp)
{
    (void)sp;
    rom_end(END_FLASH_BOOT);
}
void rom_loader_return(uint32_t sp);
void rom_loader_return(uint32_t sp)
{
    (void)sp;
    rom_end(END_LOADER_RETURN);
}

void rom_enter_stub(uint32_t entry, uint32_t sp);

static void __attribute__((noreturn)) start_stub(uint32_t entry)
{
    /* The loader's frame above the stub's stack: its return address into the boot. */
    volatile uint32_t *frame = (volatile uint32_t *)STUB_SP;
    frame[0] = 0x3FFFFD40u;
    frame[1] = 0;
    frame[2] = 0x40000000u;
    frame[3] = ROM_LOADER_RETURN;
    for (volatile uint32_t *word = (volatile uint32_t *)DRAM_DATA_END; (uint32_t)word < STUB_SP; word++) *word = STACK_PAINT;
    stats.started = 1;
    uint32_t enable = 1u << TIMER_INTERRUPT;
    tick_arm();
    __asm__ __volatile__("wsr.intenable %0; rsync" ::"r"(enable));
    rom_enter_stub(entry, STUB_SP);
    rom_end(END_BAD_RETURN);
}

static void garbage(uint32_t start, uint32_t end)
{
    uint32_t x = 0x9E3779B9u;
    for (volatile uint32_t *word = (volatile uint32_t *)(start & ~3u); (uint32_t)word < end; word++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *word = x;
    }
}

/* ---- the ROM's serial loader ---- */
#define SLIP_END 0xC0u
#define SLIP_ESC 0xDBu
static uint8_t frame_buf[0x4000 + 64];

static int host_byte(void)
{
    while (host_in_head == host_in_tail) {
        host_pull(1000000u);
        if (host_eof && host_in_head == host_in_tail) return -1;
    }
    return host_in[host_in_head++];
}

/* One SLIP frame; its length, or -1 at EOF. */
static int slip_frame(void)
{
    uint32_t n = 0;
    int byte;
    do {
        byte = host_byte();
        if (byte < 0) return -1;
    } while (byte != SLIP_END);
    for (;;) {
        byte = host_byte();
        if (byte < 0) return -1;
        if (byte == SLIP_END) {
            if (n == 0) continue;
            return (int)n;
        }
        if (byte == SLIP_ESC) {
            byte = host_byte();
            if (byte < 0) return -1;
            byte = byte == 0xDC ? (int)SLIP_END : byte == 0xDD ? (int)SLIP_ESC : -2;
            if (byte == -2) { n = 0; continue; }
        }
        if (n < sizeof frame_buf) frame_buf[n++] = (uint8_t)byte;
    }
}

static void slip_put(uint8_t byte)
{
    if (byte == SLIP_END) {
        line_put(SLIP_ESC);
        line_put(0xDC);
    } else if (byte == SLIP_ESC) {
        line_put(SLIP_ESC);
        line_put(0xDD);
    } else {
        line_put(byte);
    }
}

/* A ROM reply: 01 op len(2) value(4) data status error (the ROM fails with 01 code). */
static void loader_reply(uint8_t opcode, uint32_t value, uint8_t status, uint8_t error)
{
    line_put(SLIP_END);
    slip_put(1);
    slip_put(opcode);
    slip_put(2);
    slip_put(0);
    for (int i = 0; i < 4; i++) slip_put((uint8_t)(value >> (8 * i)));
    slip_put(status);
    slip_put(error);
    line_put(SLIP_END);
    line_flush();
}

static uint32_t u32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int ram_writable(uint32_t address, uint32_t length)
{
    return (address >= DRAM_START && address + length <= DRAM_DATA_END) ||
           (address >= 0x40100000u && address + length <= 0x40110000u);
}

static void __attribute__((noreturn)) serial_loader(void)
{
    uint32_t mem_address = 0, mem_size = 0, mem_written = 0, mem_active = 0;
    for (;;) {
        int n = slip_frame();
        if (n < 0) rom_end(END_EOF);
        if (n < 8 || frame_buf[0] != 0) continue;
        stats.loader_commands++;
        uint8_t opcode = frame_buf[1];
        uint32_t length = (uint32_t)frame_buf[2] | ((uint32_t)frame_buf[3] << 8);
        uint32_t checksum = u32_at(frame_buf + 4);
        const uint8_t *data = frame_buf + 8;
        if (length != (uint32_t)n - 8u) {
            loader_reply(opcode, 0, 1, 0x05);
            continue;
        }
        switch (opcode) {
        case 0x08: /* SYNC: the ROM answers several times */
            for (int i = 0; i < 8; i++) loader_reply(opcode, 0x20120707u, 0, 0);
            break;
        case 0x0A: { /* READ_REG */
            uint32_t address = length >= 4 ? u32_at(data) : 0, value = 0;
            if (!mmio(address, 0, &value) && (address & 3u) == 0 &&
                ((address >= 0x3FFC0000u && address < 0x40000000u) || (address >= 0x40000000u && address < 0x40110000u)))
                value = *(volatile uint32_t *)address;
            loader_reply(opcode, value, 0, 0);
            break;
        }
        case 0x09: { /* WRITE_REG: peripheral words only */
            uint32_t address = length >= 8 ? u32_at(data) : 0, value = length >= 8 ? u32_at(data + 4) : 0;
            mmio(address, 1, &value);
            loader_reply(opcode, 0, 0, 0);
            break;
        }
        case 0x05: /* MEM_BEGIN: size, blocks, block size, address */
            if (length < 16) {
                loader_reply(opcode, 0, 1, 0x05);
                break;
            }
            mem_size = u32_at(data);
            mem_address = u32_at(data + 12);
            mem_written = 0;
            mem_active = ram_writable(mem_address, mem_size) && (mem_address & 3u) == 0;
            loader_reply(opcode, 0, mem_active ? 0 : 1, mem_active ? 0 : 0x05);
            break;
        case 0x07: { /* MEM_DATA: len, seq, 0, 0, data */
            uint32_t count = length >= 16 ? u32_at(data) : 0xFFFFFFFFu;
            if (!mem_active || count + 16u != length || mem_written + count > mem_size) {
                loader_reply(opcode, 0, 1, 0x05);
                break;
            }
            uint8_t sum = 0xEF;
            for (uint32_t i = 0; i < count; i++) sum ^= data[16 + i];
            if (sum != (uint8_t)checksum) {
                loader_reply(opcode, 0, 1, 0x07);
                break;
            }
            /* Word by word (IRAM takes whole words); a short tail is padded. */
            for (uint32_t i = 0; i < count; i += 4) {
                uint32_t word = 0;
                for (uint32_t b = 0; b < 4 && i + b < count; b++) word |= (uint32_t)data[16 + i + b] << (8 * b);
                *(volatile uint32_t *)(mem_address + mem_written + i) = word;
            }
            mem_written += count;
            loader_reply(opcode, 0, 0, 0);
            break;
        }
        case 0x06: { /* MEM_END: no-execute flag, entry */
            uint32_t no_execute = length >= 4 ? u32_at(data) : 1, entry = length >= 8 ? u32_at(data + 4) : 0;
            loader_reply(opcode, 0, 0, 0);
            if (!no_execute && entry) start_stub(entry);
            break;
        }
        default:
            loader_reply(opcode, 0, 1, 0x05);
            break;
        }
    }
}

/* ---- start-up ---- */
extern uint32_t _rom_bss_start[], _rom_bss_end[];
void rom_main(void);
void rom_main(void)
{
    for (uint32_t *word = _rom_bss_start; word < _rom_bss_end; word++) *word = 0;
    volatile struct config *config = CONFIG;
    if (config->magic != CONFIG_MAGIC || config->flash_size > FLASH_MAX || config->cycles_per_us == 0) rom_end(END_BAD_CONFIG);
    flash_size = config->flash_size;
    cycles_per_us = config->cycles_per_us;
    tick_cycles = config->tick_us * cycles_per_us;
    if (tick_cycles == 0) tick_cycles = 100u * cycles_per_us;
    if (config->flash_fill != KEEP_FLASH) {
        uint32_t fill = (config->flash_fill & 0xFFu) * 0x01010101u;
        for (uint32_t i = 0; i < flash_size / 4u; i++) FLASH[i] = fill;
    }
    /* The peripheral range traps (DTLB attribute 15: no access), so the models see it. */
    __asm__ __volatile__("wdtlb %0, %1; dsync" ::"r"(15u), "r"(0x60000000u));
    if (config->mode == MODE_DIRECT) {
        garbage(config->bss_start, config->bss_end);
        start_stub(config->entry);
    }
    garbage(DRAM_START, DRAM_DATA_END);
    /* As a chip's ROM prints its boot line before the loader listens (our own text). */
    static const char banner[] = "\r\nfake mask ROM: serial loader\r\n";
    for (const char *c = banner; *c; c++) line_put((uint8_t)*c);
    line_flush();
    serial_loader();
}
