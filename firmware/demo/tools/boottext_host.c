/*
 * boottext_host.c: runs the firmware's boot text code (src/boottext.c) and its
 * configuration block (src/config.c) on the host, with ets_printf mapped to the C
 * library's vprintf, and writes the text to stdout. Tests compare it with the Swift side
 * (DemoFirmwareConfig.bootText). Built by `make build/boottext-host` with the host cc.
 */
#include <stdarg.h>
#include <stdio.h>

#include "boottext.h"

/* The linker script's .irom0.text bounds, which config.c records. */
const char _irom0_text_start[1];
const char _irom0_text_end[1];

int ets_printf(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int written = vprintf(format, arguments);
    va_end(arguments);
    return written;
}

int main(void)
{
    print_boot_text(&mlcf_config);
    return fflush(stdout) == 0 ? 0 : 1;
}
