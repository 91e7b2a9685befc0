/*
 * start.c: the stub's entry point and its UART receive interrupt.
 *
 * The ROM loader calls stub_entry (MEM_END with an entry point) on its own stack. The stub
 * clears .bss, attaches its interrupt to UART0 (replacing the ROM's), configures the flash
 * for STUB_DEFAULT_FLASH_SIZE (16 MiB) until SPI_SET_PARAMS says otherwise, greets with
 * OHAI and serves. The
 * line keeps the rate the ROM measured.
 */
#include "../core/stub.h"
#include "rom.h"

/* RX interrupt when this many bytes wait in the 128-byte FIFO, or after 2 idle byte times. */
#define RX_FULL_THRESHOLD 80u
#define RX_TIMEOUT_BYTES 2u
/* Flash geometry until the client sends SPI_SET_PARAMS: STUB_DEFAULT_FLASH_SIZE, 64 KiB
 * blocks, 4 KiB sectors, 256-byte pages, status mask 0xFFFF (as esptool's stub starts). */
#define FLASH_PAGE_SIZE 256u
#define FLASH_STATUS_MASK 0xFFFFu

extern uint32_t _bss_start[];
extern uint32_t _bss_end[];

static struct stub_port *const port = 0; /* the chip's HAL keeps no state */
static struct stub stub;

void stub_entry(void);

static void uart_interrupt(void *argument)
{
    (void)argument;
    uint32_t pending = UART0_INT_ST;
    uint8_t bytes[UART_TXFIFO_SIZE];
    for (;;) {
        uint32_t count = UART_RXFIFO_COUNT(UART0_STATUS);
        if (count == 0) break;
        for (uint32_t i = 0; i < count; i++) bytes[i] = (uint8_t)UART0_FIFO;
        stub_rx_push(&stub.rx, bytes, count);
    }
    UART0_INT_CLR = pending;
}

/* Puts the ROM's flash boot where the ROM loader returns to (see rom.h). */
static void return_to_flash_boot(volatile uint32_t *from)
{
    for (volatile uint32_t *word = from; (uint32_t)word < 0x40000000u; word++) {
        if (*word == ROM_LOADER_RETURN) {
            *word = ROM_FLASH_BOOT;
            return;
        }
    }
}

void stub_entry(void)
{
    volatile uint32_t marker = 0;
    for (uint32_t *word = _bss_start; word < _bss_end; word++) *word = 0;
    /* The ROM would run us again at the next boot otherwise. */
    ets_set_user_start(0);
    SelectSpiFunction();
    SPIParamCfg(0, STUB_DEFAULT_FLASH_SIZE, STUB_BLOCK_SIZE, STUB_SECTOR_SIZE, FLASH_PAGE_SIZE, FLASH_STATUS_MASK);

    stub_init(&stub, port);
    UART0_CONF1 = UART_CONF1_RX(RX_FULL_THRESHOLD, RX_TIMEOUT_BYTES);
    ets_isr_attach(UART_INTERRUPT, uart_interrupt, 0);
    UART0_INT_CLR = 0xFFFFu;
    UART0_INT_ENA = UART_RXFIFO_FULL_INT | UART_RXFIFO_TOUT_INT;
    ets_isr_unmask(1u << UART_INTERRUPT);

    stub_greet(&stub);
    if (stub_serve(&stub) == STUB_EXIT_RUN_USER_CODE) {
        UART0_INT_ENA = 0;
        return_to_flash_boot(&marker);
    }
}
