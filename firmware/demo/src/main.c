/*
 * main.c: the demo firmware's start. The ROM loads .text (IRAM) and .data/.rodata (DRAM)
 * from firmware/0x00000.bin and jumps to call_user_start; that maps flash through the
 * cache so that the .irom0.text code (firmware/0x10000.bin) can run, prints the
 * configuration block (boottext.c) over UART0 and idles.
 *
 * The UART stays at the rate the ROM left it: the ROM programs 115200 baud for a 40 MHz
 * crystal, which is 74880 baud with the usual 26 MHz crystal, so the text follows the ROM
 * boot log at 74880 baud. (uart_div_modify could change that; the demo does not.)
 */
#include "boottext.h"
#include "meter.h"
#include "mlcf.h"
#include "rom.h"

extern uint32_t _bss_start[];
extern uint32_t _bss_end[];

void call_user_start(void);
static void uart0_putc(char c);
IROM void demo_main(void);

/* The entry point (IRAM: flash is not mapped yet when the ROM jumps here). */
void call_user_start(void)
{
    /* The ROM loads only the segments in the image; .bss is ours to clear. */
    for (uint32_t *word = _bss_start; word < _bss_end; word++) *word = 0;
    ets_wdt_disable();
    Cache_Read_Enable(0, 0, 1);
    ets_install_putc1(uart0_putc);
    demo_main();
}

/* ets_printf's character routine: the byte goes to UART0 unchanged (no LF to CR LF). */
static void uart0_putc(char c)
{
    while (UART_TXFIFO_COUNT(UART0_STATUS) >= UART_TXFIFO_SIZE - 2) {
    }
    UART0_FIFO = (uint8_t)c;
}

/* Seconds between meter polls. */
#define POLL_INTERVAL 60

/* Polls so far: the request the meter would get is built every POLL_INTERVAL seconds.
 * (The demo has no meter and sends nothing; see meter.h.) */
static uint32_t meter_polls;

IROM static void idle(uint32_t meter)
{
    uint8_t request[METER_FRAME_MAX];
    for (;;) {
        if (meter_build_request(meter, request) > 0) meter_polls++;
        for (int second = 0; second < POLL_INTERVAL; second++) ets_delay_us(1000000);
    }
}

IROM void demo_main(void)
{
    print_boot_text(&mlcf_config);
    idle(mlcf_config.flags & MLCF_METER_MASK);
}
