/*
 * boottext.h: the text the demo firmware prints at boot (format in boottext.c).
 */
#ifndef BOOTTEXT_H
#define BOOTTEXT_H

#include "mlcf.h"
#include "rom.h"

/* Prints the boot text for `config` with ets_printf. */
IROM void print_boot_text(const struct mlcf_block *config);

/* The serial as the boot text shows it: at most MLCF_SERIAL_SIZE - 1 characters of the
 * block's slot, NUL-terminated, into `out` (MLCF_SERIAL_SIZE bytes). */
IROM void boot_text_serial(const struct mlcf_block *config, char *out);

#endif
