/*
 * config.c: the MLCF configuration block, filled from build/mlcf_build.h, which the
 * Makefile generates from the make variables (SERIAL, KEY) without printing it.
 * Meter type and option flags come from -D options, as MeterLogger's own Makefile does.
 */
#include "mlcf.h"
#include "mlcf_build.h"

#if defined(IMPULSE)
#define CONFIG_METER MLCF_METER_IMPULSE
#elif defined(MC_66B)
#define CONFIG_METER MLCF_METER_MC66B
#elif defined(EN61107)
#define CONFIG_METER MLCF_METER_MC66C
#else
#define CONFIG_METER MLCF_METER_KMP
#endif

#ifdef THERMO_NO
#define CONFIG_THERMO_NO MLCF_THERMO_NO
#else
#define CONFIG_THERMO_NO 0u
#endif
#ifdef THERMO_ON_AC_2
#define CONFIG_THERMO_ON_AC_2 MLCF_THERMO_ON_AC_2
#else
#define CONFIG_THERMO_ON_AC_2 0u
#endif
#ifdef LED_ON_AC
#define CONFIG_LED_ON_AC MLCF_LED_ON_AC
#else
#define CONFIG_LED_ON_AC 0u
#endif
#ifdef AC_TEST
#define CONFIG_AC_TEST MLCF_AC_TEST
#else
#define CONFIG_AC_TEST 0u
#endif
#ifdef AP
#define CONFIG_AP MLCF_AP
#else
#define CONFIG_AP 0u
#endif
#ifdef AUTO_CLOSE
#define CONFIG_AUTO_CLOSE MLCF_AUTO_CLOSE
#else
#define CONFIG_AUTO_CLOSE 0u
#endif
#ifdef NO_CRON
#define CONFIG_NO_CRON MLCF_NO_CRON
#else
#define CONFIG_NO_CRON 0u
#endif
#ifdef FLOW_METER
#define CONFIG_FLOW_METER MLCF_FLOW_METER
#else
#define CONFIG_FLOW_METER 0u
#endif
#ifdef DEBUG
#define CONFIG_DEBUG MLCF_DEBUG
#else
#define CONFIG_DEBUG 0u
#endif
#ifdef DEBUG_NO_METER
#define CONFIG_DEBUG_NO_METER MLCF_DEBUG_NO_METER
#else
#define CONFIG_DEBUG_NO_METER 0u
#endif
#ifdef DEBUG_SHORT_WEB_CONFIG_TIME
#define CONFIG_DEBUG_SHORT_WEB_CONFIG_TIME MLCF_DEBUG_SHORT_WEB_CONFIG_TIME
#else
#define CONFIG_DEBUG_SHORT_WEB_CONFIG_TIME 0u
#endif
#ifdef DEBUG_STACK_TRACE
#define CONFIG_DEBUG_STACK_TRACE MLCF_DEBUG_STACK_TRACE
#else
#define CONFIG_DEBUG_STACK_TRACE 0u
#endif
#ifdef IMPULSE_DEV_BOARD
#define CONFIG_IMPULSE_DEV_BOARD MLCF_IMPULSE_DEV_BOARD
#else
#define CONFIG_IMPULSE_DEV_BOARD 0u
#endif

/* Linker script symbols: the bounds of .irom0.text. */
extern const char _irom0_text_start[];
extern const char _irom0_text_end[];

/* The block's own section, placed first in DRAM by ld/demo.ld (the host build of the
 * boot text keeps the compiler's default). */
#ifdef MLCF_HOST
#define MLCF_SECTION
#else
#define MLCF_SECTION __attribute__((section(".rodata.mlcf_config")))
#endif

/* The char arrays below are initialised in place: no separate string literal (and so no
 * second copy of the serial or the AP password) is emitted. */
__attribute__((used, aligned(4))) MLCF_SECTION
const struct mlcf_block mlcf_config = {
    .magic = { 'M', 'L', 'C', 'F' },
    .version = MLCF_VERSION,
    .size = sizeof(struct mlcf_block),
    .flags = CONFIG_METER | CONFIG_THERMO_NO | CONFIG_THERMO_ON_AC_2 | CONFIG_LED_ON_AC
        | CONFIG_AC_TEST | CONFIG_AP | CONFIG_AUTO_CLOSE | CONFIG_NO_CRON | CONFIG_FLOW_METER
        | CONFIG_DEBUG | CONFIG_DEBUG_NO_METER | CONFIG_DEBUG_SHORT_WEB_CONFIG_TIME
        | CONFIG_DEBUG_STACK_TRACE | CONFIG_IMPULSE_DEV_BOARD,
    .serial = MLCF_BUILD_SERIAL,
    .key = { MLCF_BUILD_KEY_BYTES },
    .ap_password = MLCF_BUILD_AP_PASSWORD,
    .reserved = { 0, 0, 0 },
    .irom_start = _irom0_text_start,
    .irom_end = _irom0_text_end,
};
