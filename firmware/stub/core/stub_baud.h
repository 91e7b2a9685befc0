/*
 * stub_baud.h: the UART0 clock divider for CHANGE_BAUDRATE, as a pure function (the HAL
 * reads and writes the register; the host tests check the arithmetic through it).
 */
#ifndef STUB_BAUD_H
#define STUB_BAUD_H

#include <stdint.h>

/* The UART's clock as the ROM sets it up: 52 MHz, twice the usual 26 MHz crystal (esptool's
 * ESP8266 stub divides the same). Only used when the client does not say the old rate. */
#define STUB_UART_CLOCK_HZ 52000000u
/* UART_CLKDIV holds the divider in bits 0-19 (ESP8266 Technical Reference, UART chapter). */
#define STUB_UART_DIVIDER_MASK 0xFFFFFu

/* The divider that moves the line from `old_baud` (the rate in use; 0 when the client did
 * not say it) to `new_baud`: the current divider scaled by old / new, rounded. Scaling the
 * divider the ROM's autobaud measured keeps the crystal's error out of the new rate; with
 * no old rate (or no current divider) it falls back to STUB_UART_CLOCK_HZ / new_baud.
 * Returns 0 when there is no usable divider (new_baud 0, or a result outside 1..mask). */
uint32_t stub_baud_divider(uint32_t current_divider, uint32_t old_baud, uint32_t new_baud);

#endif
