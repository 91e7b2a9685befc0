/*
 * stub_host.h: the flasher stub's core (firmware/stub/core) running on the host, behind a
 * file descriptor (e.g. the master side of a pseudo-terminal) and with its flash in a
 * caller-owned memory array. For tests: they talk to the very protocol code that runs on
 * the chip. A reader thread decodes received bytes into the frame ring as the chip's UART
 * interrupt does; a second thread runs the request loop.
 */
#ifndef STUB_HOST_H
#define STUB_HOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct stub_port stub_host;

/* Why the stub stopped serving (stub_host_exit_reason). */
enum {
    STUB_HOST_RUNNING = 0,
    STUB_HOST_STOPPED = 1,       /* stub_host_stop */
    STUB_HOST_REBOOTED = 2,      /* FLASH_END / FLASH_DEFL_END with 0 */
    STUB_HOST_RAN_USER_CODE = 3, /* RUN_USER_CODE */
    STUB_HOST_JUMPED = 4,        /* MEM_END with 0 */
};

/* What the stub did to its machine so far. */
typedef struct {
    uint64_t sector_erases;       /* 4 KiB erases */
    uint64_t block_erases;        /* 64 KiB erases */
    uint64_t chip_erases;
    uint64_t bytes_written;       /* flash bytes programmed (words, so padding counts) */
    uint64_t bytes_read;          /* flash bytes read */
    uint64_t unerased_writes;     /* programmed bytes that needed a 1 where the flash held 0 */
    uint64_t mem_bytes;           /* bytes MEM_DATA put into "RAM" */
    uint32_t baud;                /* the last CHANGE_BAUDRATE rate, 0 before any */
    uint32_t dropped_frames;      /* frames the receiver could not keep */
    uint32_t jump_entry;          /* MEM_END's entry point */
} stub_host_counters;

/* Starts the stub on `fd` (made non-blocking; not closed by the stub) with `flash_size`
 * bytes of flash at `flash`. It greets with OHAI at once. NULL when threads or memory fail. */
stub_host *stub_host_start(int fd, uint8_t *flash, size_t flash_size);

/* Stops the stub (if still serving), joins its threads and frees it. */
void stub_host_stop(stub_host *host);

/* Copies the counters. */
void stub_host_get_counters(stub_host *host, stub_host_counters *counters);

/* Waits up to `timeout_ms` for the stub to leave on its own; returns the reason
 * (STUB_HOST_RUNNING when it still serves). */
int stub_host_wait_exit(stub_host *host, int timeout_ms);

/* The limits compiled into the core (core/stub_limits.h). */
uint32_t stub_host_max_block_size(void);
uint32_t stub_host_max_window_bits(void);

#ifdef __cplusplus
}
#endif

#endif
