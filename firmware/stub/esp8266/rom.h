/*
 * rom.h: the ESP8266 mask-ROM functions and the UART0 registers the stub uses.
 *
 * Function addresses are given to the linker in stub.ld (PROVIDE), from the public ROM
 * symbol list eagle.rom.addr.v6.ld that Espressif ships with the ESP8266 NONOS SDK (ld/).
 * UART0 register offsets and bits are from Espressif's ESP8266 Technical Reference (UART
 * chapter) and the SDK's uart_register.h. The SPI functions return 0 on success.
 */
#ifndef STUB_ROM_H
#define STUB_ROM_H

#include <stdint.h>

int SPIEraseSector(uint32_t sector);             /* sector number (address / 4096) */
int SPIEraseBlock(uint32_t block);               /* 64 KiB block number */
int SPIEraseChip(void);
int SPIWrite(uint32_t address, const uint32_t *words, uint32_t length);
int SPIRead(uint32_t address, uint32_t *words, uint32_t length);
int SPIUnlock(void);
int SPIParamCfg(uint32_t id, uint32_t chip_size, uint32_t block_size, uint32_t sector_size, uint32_t page_size,
                uint32_t status_mask);
void SelectSpiFunction(void);
void uart_div_modify(uint8_t uart, uint32_t divider);
void ets_delay_us(uint32_t microseconds);
void ets_isr_attach(int interrupt, void (*handler)(void *), void *argument);
void ets_isr_unmask(uint32_t mask);
void ets_set_user_start(void (*start)(void));
void software_reset(void);

/* UART0 (base 0x60000000). */
#define UART0_REG(offset) (*(volatile uint32_t *)(0x60000000u + (offset)))
#define UART0_FIFO UART0_REG(0x00)
#define UART0_INT_ST UART0_REG(0x08)
#define UART0_INT_ENA UART0_REG(0x0C)
#define UART0_INT_CLR UART0_REG(0x10)
#define UART0_CLKDIV UART0_REG(0x14)
#define UART_CLKDIV_MASK 0xFFFFFu
#define UART0_STATUS UART0_REG(0x1C)
#define UART0_CONF1 UART0_REG(0x24)
#define UART_RXFIFO_FULL_INT (1u << 0)
#define UART_RXFIFO_TOUT_INT (1u << 8)
#define UART_RXFIFO_COUNT(status) ((status) & 0xFFu)
#define UART_TXFIFO_COUNT(status) (((status) >> 16) & 0xFFu)
#define UART_TXFIFO_SIZE 128u
/* CONF1: RX FIFO "full" threshold (bits 0-6), RX timeout in byte times (bits 24-30), and
 * the timeout's enable (bit 31). */
#define UART_CONF1_RX(full, timeout) (((full) & 0x7Fu) | (((timeout) & 0x7Fu) << 24) | (1u << 31))
/* The UART interrupt's number on the CPU (ETS_UART_INUM in the SDK). */
#define UART_INTERRUPT 5

/* Booting the firmware from flash instead of the loader: the ROM's loader was called
 * from the ROM's boot routine with this return address on the stack; returning to the
 * second address instead carries on with the boot from flash (facts from esptool's
 * ESP8266 stub). */
#define ROM_LOADER_RETURN 0x40001100u
#define ROM_FLASH_BOOT 0x400010a8u

#endif
