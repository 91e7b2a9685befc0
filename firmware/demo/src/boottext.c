/*
 * boottext.c: the boot text, byte for byte. Sources/MeterLogger/DemoFirmwareConfig.swift
 * (`bootText`) produces the same bytes: the device twin prints that text when it boots
 * this firmware, and a test compiles this file for the host (make build/boottext-host)
 * and compares. Every line ends in CR LF, written as such (the firmware's character
 * routine sends bytes unchanged):
 *
 *   <CR><LF>
 *   MeterLogger demo firmware<CR><LF>
 *   meter: <kmp|mc66c|mc66b|impulse><CR><LF>
 *   serial: <serial><CR><LF>
 *   flags: 0x<flags as 8 lowercase hex digits><CR><LF>
 *   options:< NAME for each option bit set, bit 8 first | " none"><CR><LF>
 *   ssid: <EL_ for impulse meters, KAM_ otherwise><serial><CR><LF>
 *   ready<CR><LF>
 *
 * Only %s is used with ets_printf. Neither the KEY nor the AP password is ever printed.
 */
#include "boottext.h"

/* Option names, indexed by bit - MLCF_FIRST_OPTION_BIT. */
static const char *const option_names[] = {
    "THERMO_NO", "THERMO_ON_AC_2", "LED_ON_AC", "AC_TEST", "AP", "AUTO_CLOSE", "NO_CRON",
    "FLOW_METER", "DEBUG", "DEBUG_NO_METER", "DEBUG_SHORT_WEB_CONFIG_TIME",
    "DEBUG_STACK_TRACE", "IMPULSE_DEV_BOARD",
};
_Static_assert(sizeof(option_names) / sizeof(option_names[0]) == MLCF_LAST_OPTION_BIT - MLCF_FIRST_OPTION_BIT + 1,
               "one name per option bit");

/* The meter type's name as the boot text shows it. */
IROM static const char *meter_name(uint32_t flags)
{
    switch (flags & MLCF_METER_MASK) {
    case MLCF_METER_KMP: return "kmp";
    case MLCF_METER_MC66C: return "mc66c";
    case MLCF_METER_MC66B: return "mc66b";
    case MLCF_METER_IMPULSE: return "impulse";
    default: return "unknown";
    }
}

/* "0x" and 8 lowercase hex digits; `out` holds 11 bytes. No digit table: the AP password
 * text must not find a look-alike anywhere in the image. */
IROM static void format_hex32(uint32_t value, char *out)
{
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 8; i++) {
        uint32_t nibble = (value >> (28 - 4 * i)) & 0xFu;
        out[2 + i] = (char)(nibble < 10 ? '0' + nibble : 'a' + (nibble - 10));
    }
    out[10] = '\0';
}

IROM void boot_text_serial(const struct mlcf_block *config, char *out)
{
    int i = 0;
    for (; i < MLCF_SERIAL_SIZE - 1 && config->serial[i] != '\0'; i++) out[i] = config->serial[i];
    out[i] = '\0';
}

IROM void print_boot_text(const struct mlcf_block *config)
{
    char serial[MLCF_SERIAL_SIZE];
    char flags[11];
    int printed = 0;

    boot_text_serial(config, serial);
    format_hex32(config->flags, flags);
    ets_printf("\r\nMeterLogger demo firmware\r\n");
    ets_printf("meter: %s\r\n", meter_name(config->flags));
    ets_printf("serial: %s\r\n", serial);
    ets_printf("flags: %s\r\n", flags);
    ets_printf("options:");
    for (int bit = MLCF_FIRST_OPTION_BIT; bit <= MLCF_LAST_OPTION_BIT; bit++) {
        if (config->flags & (1u << bit)) {
            ets_printf(" %s", option_names[bit - MLCF_FIRST_OPTION_BIT]);
            printed++;
        }
    }
    ets_printf(printed ? "\r\n" : " none\r\n");
    ets_printf("ssid: %s%s\r\n", (config->flags & MLCF_METER_MASK) == MLCF_METER_IMPULSE ? "EL_" : "KAM_", serial);
    ets_printf("ready\r\n");
}
