/*
 * mlcf.h: the demo firmware's configuration block ("MLCF"), as it sits in .rodata in
 * DRAM (and so in the DRAM segment of firmware/0x00000.bin).
 *
 * Layout, little endian, 72 bytes, 4-byte aligned (format version 1):
 *
 *   offset size  field
 *   0      4     magic: the four bytes 'M' 'L' 'C' 'F' (no NUL)
 *   4      2     format version: 1
 *   6      2     block size in bytes: 72
 *   8      4     flags: bits 0-3 meter type, bits 8-20 options (below)
 *   12     16    serial: text, NUL-padded, at most 15 characters
 *   28     16    KEY: the device's 16 raw key bytes
 *   44     17    AP password: the first 16 hex characters of KEY, then a NUL
 *   61     3     reserved: zero
 *   64     4     address of the first byte of .irom0.text (0x40210000: flash 0x10000)
 *   68     4     address just past the end of .irom0.text
 *
 * The KEY bytes and the AP password text exist only here: nothing else in the firmware
 * copies, derives or prints them, so each occurs exactly once in 0x00000.bin and never
 * in 0x10000.bin or webpages.espfs. Sources/MeterLogger/DemoFirmwareConfig.swift is the
 * Swift twin of this layout; keep both in step. The .irom0.text range lets a reader (the
 * device twin) check that the code the firmware needs was flashed as well.
 */
#ifndef MLCF_H
#define MLCF_H

#include <stdint.h>

#define MLCF_VERSION 1u
#define MLCF_SERIAL_SIZE 16
#define MLCF_KEY_SIZE 16
#define MLCF_AP_PASSWORD_SIZE 17

/* Meter type: flags bits 0-3. */
#define MLCF_METER_MASK 0x0000000Fu
#define MLCF_METER_KMP 0u     /* Kamstrup Multical 601 over KMP (no meter variable) */
#define MLCF_METER_MC66C 1u   /* EN61107=1: EN 61107, Multical 66 C */
#define MLCF_METER_MC66B 2u   /* MC_66B=1: EN 61107, Multical 66 B */
#define MLCF_METER_IMPULSE 3u /* IMPULSE=1: impulse electricity meter */

/* Options: one bit each, printed in this order (bit 8 first). */
#define MLCF_THERMO_NO (1u << 8)
#define MLCF_THERMO_ON_AC_2 (1u << 9)
#define MLCF_LED_ON_AC (1u << 10)
#define MLCF_AC_TEST (1u << 11)
#define MLCF_AP (1u << 12)
#define MLCF_AUTO_CLOSE (1u << 13)
#define MLCF_NO_CRON (1u << 14)
#define MLCF_FLOW_METER (1u << 15)
#define MLCF_DEBUG (1u << 16)
#define MLCF_DEBUG_NO_METER (1u << 17)
#define MLCF_DEBUG_SHORT_WEB_CONFIG_TIME (1u << 18)
#define MLCF_DEBUG_STACK_TRACE (1u << 19)
#define MLCF_IMPULSE_DEV_BOARD (1u << 20)
#define MLCF_FIRST_OPTION_BIT 8
#define MLCF_LAST_OPTION_BIT 20

struct mlcf_block {
    char magic[4];
    uint16_t version;
    uint16_t size;
    uint32_t flags;
    char serial[MLCF_SERIAL_SIZE];
    uint8_t key[MLCF_KEY_SIZE];
    char ap_password[MLCF_AP_PASSWORD_SIZE];
    uint8_t reserved[3];
    const void *irom_start;
    const void *irom_end;
};

/* On the ESP8266 (32-bit pointers) the block is 72 bytes; the host build of the boot
 * text (tools/boottext_host.c) has wider pointers and does not need the layout. */
_Static_assert(sizeof(void *) != 4 || sizeof(struct mlcf_block) == 72, "the MLCF block is 72 bytes");

/* Defined in config.c, read in main.c: a separate translation unit (and no LTO), so the
 * compiler cannot fold the block's fields into code, and a tool that stamps another
 * serial or key into the built image changes what the firmware prints. */
extern const struct mlcf_block mlcf_config;

#endif
