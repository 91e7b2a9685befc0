/*
 * rom.h: the ESP8266 mask-ROM functions and registers the demo firmware uses. The
 * functions' addresses are given to the linker in ld/demo.ld (PROVIDE), taken from the
 * public ESP8266 ROM symbol list "eagle.rom.addr.v6.ld" (see README.md).
 */
#ifndef ROM_H
#define ROM_H

#include <stdint.h>

/* printf into the installed character routine (putc1); only %s is used here. */
int ets_printf(const char *format, ...);
/* Installs the routine ets_printf writes each character with. */
void ets_install_putc1(void (*routine)(char c));
/* Busy-waits `us` microseconds (CPU cycle counter). */
void ets_delay_us(uint32_t us);
/* Disables the ROM's hardware watchdog. */
int ets_wdt_disable(void);
/* Maps flash into the 0x40200000 window (the instruction cache): odd_even selects the
 * 1 MB half of a 2 MB block, mb_count the 2 MB block, the last argument enables it. */
void Cache_Read_Enable(uint8_t odd_even, uint8_t mb_count, uint8_t enable);

/* UART0 registers (ESP8266 technical reference, UART chapter). */
#define UART0_FIFO (*(volatile uint32_t *)0x60000000u)
#define UART0_STATUS (*(volatile uint32_t *)0x6000001Cu)
#define UART_TXFIFO_COUNT(status) (((status) >> 16) & 0xFFu)
#define UART_TXFIFO_SIZE 128u

/* Code placement: IRAM (.text) is loaded by the ROM; .irom0.text runs from flash once
 * the cache maps it. (MLCF_HOST: the host build of the boot text, tools/boottext_host.c.) */
#ifdef MLCF_HOST
#define IROM
#else
#define IROM __attribute__((section(".irom0.text")))
#endif

#endif
