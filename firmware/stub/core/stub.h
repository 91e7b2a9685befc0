/*
 * stub.h: the stub's state and its entry points, shared by the chip (one static instance,
 * ../esp8266/start.c) and the host (one per stub_host_start, ../host/stub_host.c).
 */
#ifndef STUB_H
#define STUB_H

#include <stddef.h>
#include <stdint.h>

#include "stub_hal.h"
#include "stub_inflate.h"
#include "stub_limits.h"
#include "stub_md5.h"
#include "stub_rx.h"

/* Why stub_serve returned (on the chip only STUB_EXIT_RUN_USER_CODE ever returns). */
enum stub_exit {
    STUB_EXIT_NONE = 0,
    STUB_EXIT_STOPPED,       /* the host asked the stub to stop */
    STUB_EXIT_REBOOT,        /* FLASH_END / FLASH_DEFL_END with 0 */
    STUB_EXIT_RUN_USER_CODE, /* RUN_USER_CODE */
    STUB_EXIT_JUMP,          /* MEM_END with 0: started an uploaded RAM program */
};

/* What a flash write session is. */
enum stub_flash_mode { STUB_FLASH_NONE, STUB_FLASH_PLAIN, STUB_FLASH_DEFLATE };
/* Where a deflate stream is. */
enum stub_stream_state { STUB_STREAM_NOT_STARTED, STUB_STREAM_DONE, STUB_STREAM_INTERRUPTED };

/* A FLASH_BEGIN / FLASH_DEFL_BEGIN session. */
struct stub_flash_session {
    uint8_t mode;          /* enum stub_flash_mode */
    uint8_t stream;        /* enum stub_stream_state */
    uint8_t error;         /* first failure of the session (enum stub_error), 0 while fine */
    uint32_t offset;       /* first flash byte */
    uint32_t size;         /* bytes to write (uncompressed) */
    uint32_t written;      /* bytes written so far */
    /* 64 bits: the end of a session's last sector may be 2^32 (SPI_SET_PARAMS may state
     * up to 4 GiB), and 32-bit ends would wrap to 0. */
    uint64_t erased_until; /* sectors below this address are erased */
    uint64_t erase_end;    /* end of the last sector the session writes */
    uint32_t block_size;
    uint32_t next_sequence;
};

/* A MEM_BEGIN session. */
struct stub_mem_session {
    uint8_t active;
    uint32_t address;
    uint32_t size;
    uint32_t written;
    uint32_t block_size;
    uint32_t next_sequence;
};

struct stub {
    struct stub_port *port;
    /* The inflate window; also the staging buffer of SPI_FLASH_MD5 and READ_FLASH, which
     * never run while a stream is open. */
    uint32_t window[STUB_WINDOW_SIZE / 4u];
    struct stub_rx rx;
    struct stub_inflate inflate;
    struct stub_md5 md5;
    struct stub_flash_session flash;
    struct stub_mem_session mem;
    uint32_t flash_size; /* ranges end here: STUB_DEFAULT_FLASH_SIZE, or SPI_SET_PARAMS's total */
    uint8_t frame_held; /* the oldest received frame is being worked on */
    uint8_t exit;       /* enum stub_exit */
};

/* Prepares the state (before the receiver starts pushing). */
void stub_init(struct stub *stub, struct stub_port *port);
/* Sends the greeting frame "OHAI". */
void stub_greet(struct stub *stub);
/* Serves requests until the stub leaves (see enum stub_exit). */
enum stub_exit stub_serve(struct stub *stub);

/* --- inside the core --- */

/* A parsed request frame. */
struct stub_request {
    uint8_t opcode;
    uint16_t length;   /* payload length */
    uint32_t checksum;
    const uint8_t *payload;
};

/* Internal results of waiting for input, beside the stub error codes. */
#define STUB_WAIT_STOP (-1)
#define STUB_WAIT_INTERRUPTED (-2)

uint32_t stub_u32(const uint8_t *bytes);
/* Releases the frame being worked on, if any (its bytes are gone after this). */
void stub_release_frame(struct stub *stub);
/* Waits for the oldest frame and holds it; NULL when the stub must stop. */
const uint8_t *stub_wait_frame(struct stub *stub, uint32_t *length);
/* Splits a frame; 0 when it is no request. */
int stub_parse_request(const uint8_t *frame, uint32_t length, struct stub_request *request);

/* Sends one SLIP frame. */
void stub_send_frame(struct stub *stub, const uint8_t *bytes, uint32_t count);
/* Sends a reply: releases the held frame first unless `keep_frame`, as the client may
 * send its next request the moment it has the reply. */
void stub_reply(struct stub *stub, uint8_t opcode, uint32_t value, const uint8_t *data, uint32_t count,
                uint8_t error, int keep_frame);

/* Flash helpers (stub_flash.c). */
int stub_flash_session_write(struct stub *stub, const uint8_t *bytes, uint32_t count);
int stub_flash_erase_range(struct stub *stub, uint32_t address, uint32_t end);
/* Whether [address, address + size) lies inside the configured flash (64-bit end). */
int stub_flash_range_ok(const struct stub *stub, uint32_t address, uint32_t size);
const uint8_t *stub_flash_stage(struct stub *stub, uint32_t address, uint32_t count);

/* Command handlers (stub_commands.c, stub_flash_commands.c). */
void stub_dispatch(struct stub *stub, const struct stub_request *request);
int stub_handle_simple(struct stub *stub, const struct stub_request *request);
void stub_handle_flash_begin(struct stub *stub, const struct stub_request *request);
void stub_handle_flash_data(struct stub *stub, const struct stub_request *request);
void stub_handle_flash_end(struct stub *stub, const struct stub_request *request);
uint8_t stub_check_data_block(struct stub *stub, const struct stub_request *request, uint32_t *data_length);

#endif
