/*
 * hal_esp8266.c: core/stub_hal.h on the ESP8266: ROM SPI functions for the flash, UART0
 * registers for sending (receiving is the interrupt in start.c), and direct memory
 * access for registers and RAM.
 */
#include "../core/stub_hal.h"
#include "../core/stub_limits.h"
#include "rom.h"

/* After the transmit FIFO is empty the shift register still sends its last byte; and a
 * USB adapter wants a moment before the rate changes. */
#define LINE_SETTLE_US 10000u
/* After a new divider, before the first byte at the new rate. */
#define BAUD_SETTLE_US 1000u

struct stub_port {
    int unused;
};

void stub_hal_uart_write(struct stub_port *port, const uint8_t *bytes, size_t count)
{
    (void)port;
    for (size_t i = 0; i < count; i++) {
        while (UART_TXFIFO_COUNT(UART0_STATUS) >= UART_TXFIFO_SIZE - 2u) {
        }
        UART0_FIFO = bytes[i];
    }
}

void stub_hal_uart_flush(struct stub_port *port)
{
    (void)port;
    while (UART_TXFIFO_COUNT(UART0_STATUS) != 0) {
    }
    ets_delay_us(LINE_SETTLE_US);
}

uint32_t stub_hal_uart_divider(struct stub_port *port)
{
    (void)port;
    return UART0_CLKDIV & UART_CLKDIV_MASK;
}

void stub_hal_set_uart_divider(struct stub_port *port, uint32_t divider, uint32_t baud)
{
    (void)port;
    (void)baud;
    uart_div_modify(0, divider);
    ets_delay_us(BAUD_SETTLE_US);
}

int stub_hal_wait(struct stub_port *port)
{
    (void)port; /* the interrupt fills the ring; the loop just looks again */
    return 0;
}

int stub_hal_flash_unlock(struct stub_port *port)
{
    (void)port;
    return SPIUnlock();
}

int stub_hal_flash_erase_sector(struct stub_port *port, uint32_t address)
{
    (void)port;
    return SPIEraseSector(address / STUB_SECTOR_SIZE);
}

int stub_hal_flash_erase_block(struct stub_port *port, uint32_t address)
{
    (void)port;
    return SPIEraseBlock(address / STUB_BLOCK_SIZE);
}

int stub_hal_flash_erase_chip(struct stub_port *port)
{
    (void)port;
    return SPIEraseChip();
}

int stub_hal_flash_write(struct stub_port *port, uint32_t address, const uint32_t *words, uint32_t length)
{
    (void)port;
    return SPIWrite(address, words, length);
}

int stub_hal_flash_read(struct stub_port *port, uint32_t address, uint32_t *words, uint32_t length)
{
    (void)port;
    return SPIRead(address, words, length);
}

int stub_hal_flash_set_params(struct stub_port *port, const uint32_t params[6])
{
    (void)port;
    return SPIParamCfg(params[0], params[1], params[2], params[3], params[4], params[5]);
}

uint32_t stub_hal_read_reg(struct stub_port *port, uint32_t address)
{
    (void)port;
    return *(volatile uint32_t *)address;
}

void stub_hal_write_reg(struct stub_port *port, uint32_t address, uint32_t value)
{
    (void)port;
    *(volatile uint32_t *)address = value;
}

void stub_hal_mem_write(struct stub_port *port, uint32_t address, const uint8_t *bytes, uint32_t count)
{
    (void)port;
    /* Word by word: IRAM takes only 32-bit stores. The client sends whole words. */
    volatile uint32_t *target = (volatile uint32_t *)(address & ~3u);
    for (uint32_t i = 0; i + 4u <= count; i += 4u) {
        *target++ = (uint32_t)bytes[i] | ((uint32_t)bytes[i + 1] << 8) | ((uint32_t)bytes[i + 2] << 16) |
                    ((uint32_t)bytes[i + 3] << 24);
    }
}

void stub_hal_delay_us(struct stub_port *port, uint32_t microseconds)
{
    (void)port;
    ets_delay_us(microseconds);
}

void stub_hal_reboot(struct stub_port *port)
{
    (void)port;
    software_reset();
}

void stub_hal_run_user_code(struct stub_port *port)
{
    (void)port; /* stub_serve returns; start.c hands the boot back to the ROM */
}

void stub_hal_jump(struct stub_port *port, uint32_t entry)
{
    (void)port;
    ((void (*)(void))entry)();
}
