/*
 * stub_hal.h: everything the portable core needs from the machine it runs on. The chip's
 * implementation is ../esp8266/hal_esp8266.c (ROM functions and UART registers); the
 * host's is ../host/host_hal.c (a file descriptor and a flash array in memory).
 *
 * Receiving is the other way round: the machine's receive side (the UART interrupt on the
 * chip, a reader thread on the host) hands the bytes it gets to stub_rx_push() (stub_rx.h),
 * which decodes SLIP into the frame ring the core reads.
 */
#ifndef STUB_HAL_H
#define STUB_HAL_H

#include <stddef.h>
#include <stdint.h>

/* The machine behind the core: opaque to it (one static instance on the chip). */
struct stub_port;

/* Sends bytes; returns when they are queued for the wire. */
void stub_hal_uart_write(struct stub_port *port, const uint8_t *bytes, size_t count);
/* Returns when every byte written so far has left the transmitter. */
void stub_hal_uart_flush(struct stub_port *port);
/* UART0's clock divider (UART_CLKDIV). */
uint32_t stub_hal_uart_divider(struct stub_port *port);
/* Moves the line to `baud` by setting the divider the core computed (core/stub_baud.h). */
void stub_hal_set_uart_divider(struct stub_port *port, uint32_t divider, uint32_t baud);

/* Called while no request frame is waiting: the host sleeps until one arrives (or a
 * moment passes). Returns non-zero when the stub must stop (host only; the chip never). */
int stub_hal_wait(struct stub_port *port);

/* Flash. Addresses and lengths of write and read are multiples of 4 and the buffers word
 * aligned; erase addresses are multiples of the sector (block) size. 0 = done. */
int stub_hal_flash_unlock(struct stub_port *port);
int stub_hal_flash_erase_sector(struct stub_port *port, uint32_t address);
int stub_hal_flash_erase_block(struct stub_port *port, uint32_t address);
int stub_hal_flash_erase_chip(struct stub_port *port);
int stub_hal_flash_write(struct stub_port *port, uint32_t address, const uint32_t *words, uint32_t length);
int stub_hal_flash_read(struct stub_port *port, uint32_t address, uint32_t *words, uint32_t length);
/* SPI_SET_PARAMS: flash geometry as the client states it. 0 = accepted. */
int stub_hal_flash_set_params(struct stub_port *port, const uint32_t params[6]);

/* Registers and RAM (READ_REG / WRITE_REG / MEM_DATA). */
uint32_t stub_hal_read_reg(struct stub_port *port, uint32_t address);
void stub_hal_write_reg(struct stub_port *port, uint32_t address, uint32_t value);
void stub_hal_mem_write(struct stub_port *port, uint32_t address, const uint8_t *bytes, uint32_t count);
void stub_hal_delay_us(struct stub_port *port, uint32_t microseconds);

/* Leaving the stub. Each returns only on the host, where the core then stops serving. */
void stub_hal_reboot(struct stub_port *port);
void stub_hal_run_user_code(struct stub_port *port);
void stub_hal_jump(struct stub_port *port, uint32_t entry);

#endif
