/*
 * stub_commands.c: the requests that do not write flash through a session: SYNC,
 * registers, RAM upload, baud rate, SPI parameters, MD5, READ_FLASH, erasing, leaving.
 * Parameters are read from the frame before the reply releases it.
 */
#include "stub.h"

#include "stub_baud.h"
#include "stub_protocol.h"

/* READ_FLASH never keeps more than this many packets unacknowledged, whatever is asked. */
#define READ_FLASH_MAX_UNACKED 1024u
/* Replies to one SYNC (the ESP8266 ROM sends as many). */
#define SYNC_REPLIES 8u
/* SPI_FLASH_MD5 reads the flash this much at a time. */
#define MD5_CHUNK STUB_SECTOR_SIZE

static void reply_ok(struct stub *stub, const struct stub_request *request)
{
    stub_reply(stub, request->opcode, 0, 0, 0, STUB_OK, 0);
}

static void reply_error(struct stub *stub, const struct stub_request *request, uint8_t error)
{
    stub_reply(stub, request->opcode, 0, 0, 0, error, 0);
}

static void write_registers(struct stub *stub, const struct stub_request *request)
{
    if (request->length % 16u != 0) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    for (uint32_t at = 0; at < request->length; at += 16u) {
        const uint8_t *p = request->payload + at;
        uint32_t address = stub_u32(p), value = stub_u32(p + 4), mask = stub_u32(p + 8), delay = stub_u32(p + 12);
        if (mask != 0xFFFFFFFFu) value = (stub_hal_read_reg(stub->port, address) & ~mask) | (value & mask);
        stub_hal_write_reg(stub->port, address, value);
        if (delay) stub_hal_delay_us(stub->port, delay);
    }
    reply_ok(stub, request);
}

/* CHANGE_BAUDRATE: new baud, old baud (the rate in use, which esptool sends so that the
 * divider the ROM's autobaud measured can be scaled; 0 falls back to the fixed clock). */
static void change_baud(struct stub *stub, const struct stub_request *request)
{
    if (request->length < 8u) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    uint32_t baud = stub_u32(request->payload), old_baud = stub_u32(request->payload + 4);
    uint32_t divider = stub_baud_divider(stub_hal_uart_divider(stub->port), old_baud, baud);
    if (divider == 0) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    /* The reply goes out at the old rate, all of it, before the rate changes. */
    reply_ok(stub, request);
    stub_hal_uart_flush(stub->port);
    stub_hal_set_uart_divider(stub->port, divider, baud);
}

int stub_handle_simple(struct stub *stub, const struct stub_request *request)
{
    switch (request->opcode) {
    case STUB_OP_SYNC:
        /* Eight identical replies with value 0, as esptool's stub: a client syncing with a
         * board whose stub still runs drains eight (the ROM's count) and sees the 0. */
        for (unsigned i = 0; i < SYNC_REPLIES; i++) reply_ok(stub, request);
        return 1;
    case STUB_OP_READ_REG:
        if (request->length < 4u) {
            reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        } else {
            uint32_t value = stub_hal_read_reg(stub->port, stub_u32(request->payload));
            stub_reply(stub, request->opcode, value, 0, 0, STUB_OK, 0);
        }
        return 1;
    case STUB_OP_WRITE_REG:
        write_registers(stub, request);
        return 1;
    case STUB_OP_SPI_SET_PARAMS:
        if (request->length < 24u) {
            reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        } else {
            /* id, total size, block, sector, page, status mask: ranges end at the total. */
            uint32_t params[6];
            for (unsigned i = 0; i < 6; i++) params[i] = stub_u32(request->payload + 4u * i);
            uint8_t error = stub_hal_flash_set_params(stub->port, params) ? STUB_ERR_FAILED_SPI_OP : STUB_OK;
            if (!error) stub->flash_size = params[1];
            reply_error(stub, request, error);
        }
        return 1;
    case STUB_OP_SPI_ATTACH:
        /* The ROM attached the flash before the stub started. */
        reply_ok(stub, request);
        return 1;
    case STUB_OP_CHANGE_BAUDRATE:
        change_baud(stub, request);
        return 1;
    default:
        return 0;
    }
}

static void mem_begin(struct stub *stub, const struct stub_request *request)
{
    if (request->length < 16u) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    const uint8_t *p = request->payload;
    stub->mem.active = 1;
    stub->mem.size = stub_u32(p);
    stub->mem.block_size = stub_u32(p + 8);
    stub->mem.address = stub_u32(p + 12);
    stub->mem.written = 0;
    stub->mem.next_sequence = 0;
    reply_ok(stub, request);
}

static void mem_data(struct stub *stub, const struct stub_request *request)
{
    uint32_t length;
    if (!stub->mem.active) {
        reply_error(stub, request, STUB_ERR_NOT_IN_FLASH_MODE);
        return;
    }
    uint8_t error = stub_check_data_block(stub, request, &length);
    if (!error && stub_u32(request->payload + 4) != stub->mem.next_sequence) error = STUB_ERR_INVALID_COMMAND;
    if (!error && length > stub->mem.size - stub->mem.written) error = STUB_ERR_TOO_MUCH_DATA;
    if (!error) {
        stub_hal_mem_write(stub->port, stub->mem.address + stub->mem.written, request->payload + 16, length);
        stub->mem.written += length;
        stub->mem.next_sequence++;
    }
    reply_error(stub, request, error);
}

static void mem_end(struct stub *stub, const struct stub_request *request)
{
    if (request->length < 8u) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    uint32_t stay = stub_u32(request->payload), entry = stub_u32(request->payload + 4);
    stub->mem.active = 0;
    reply_ok(stub, request);
    if (stay == 0) {
        stub_hal_uart_flush(stub->port);
        stub->exit = STUB_EXIT_JUMP;
        stub_hal_jump(stub->port, entry);
    }
}

static void flash_md5(struct stub *stub, const struct stub_request *request)
{
    if (request->length < 8u) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    uint32_t address = stub_u32(request->payload), size = stub_u32(request->payload + 4);
    if (!stub_flash_range_ok(stub, address, size)) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    stub_release_frame(stub);
    stub_md5_init(&stub->md5);
    while (size > 0) {
        uint32_t count = size < MD5_CHUNK ? size : MD5_CHUNK;
        const uint8_t *bytes = stub_flash_stage(stub, address, count);
        if (!bytes) {
            reply_error(stub, request, STUB_ERR_FAILED_SPI_OP);
            return;
        }
        stub_md5_update(&stub->md5, bytes, count);
        address += count;
        size -= count;
    }
    uint8_t digest[16];
    stub_md5_final(&stub->md5, digest);
    stub_reply(stub, request->opcode, 0, digest, sizeof digest, STUB_OK, 0);
}

/* A READ_FLASH acknowledgement (a 4-byte frame): the u32 total the client has. */
#define READ_FLASH_ACK_SIZE 4u

static uint32_t read_flash_ack(const uint8_t *frame, uint32_t acknowledged, uint32_t sent)
{
    uint32_t total = stub_u32(frame);
    return total > acknowledged && total <= sent ? total : acknowledged;
}

/* READ_FLASH: packets after the reply, each acknowledged with the running total; at most
 * `unacked` packets outstanding; the MD5 of the data sent last. A frame that is no
 * acknowledgement (a client that gave up and syncs) ends the stream early: it stays
 * queued for the command loop, after the digest. A failed flash read ends the stream with
 * a failed READ_FLASH reply in place of the next packet. */
static void read_flash(struct stub *stub, const struct stub_request *request)
{
    if (request->length < 16u) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    const uint8_t *p = request->payload;
    uint32_t address = stub_u32(p), length = stub_u32(p + 4), packet = stub_u32(p + 8), unacked = stub_u32(p + 12);
    if (packet == 0 || packet > STUB_MAX_READ_PACKET) {
        reply_error(stub, request, STUB_ERR_BAD_BLOCKSIZE);
        return;
    }
    if (!stub_flash_range_ok(stub, address, length)) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    if (unacked == 0) unacked = 1;
    if (unacked > READ_FLASH_MAX_UNACKED) unacked = READ_FLASH_MAX_UNACKED;
    reply_ok(stub, request);
    stub_md5_init(&stub->md5);
    uint32_t sent = 0, acknowledged = 0;
    while (acknowledged < length) {
        /* Take every acknowledgement already in, so that they never fill the ring. */
        uint32_t frame_length;
        const uint8_t *frame = stub_rx_peek(&stub->rx, &frame_length);
        if (!frame && sent < length && (sent - acknowledged) / packet < unacked) {
            uint32_t count = length - sent < packet ? length - sent : packet;
            const uint8_t *bytes = stub_flash_stage(stub, address + sent, count);
            if (!bytes) {
                stub_reply(stub, request->opcode, 0, 0, 0, STUB_ERR_FAILED_SPI_OP, 0);
                return;
            }
            stub_md5_update(&stub->md5, bytes, count);
            stub_send_frame(stub, bytes, count);
            sent += count;
            continue;
        }
        if (!frame) frame = stub_wait_frame(stub, &frame_length);
        if (!frame) return;
        if (frame_length != READ_FLASH_ACK_SIZE) break; /* not held, so not released: it stays queued */
        stub->frame_held = 1;
        acknowledged = read_flash_ack(frame, acknowledged, sent);
        stub_release_frame(stub);
    }
    stub->frame_held = 0;
    uint8_t digest[16];
    stub_md5_final(&stub->md5, digest);
    stub_send_frame(stub, digest, sizeof digest);
}

static void erase_region(struct stub *stub, const struct stub_request *request)
{
    if (request->length < 8u) {
        reply_error(stub, request, STUB_ERR_BAD_DATA_LEN);
        return;
    }
    uint32_t address = stub_u32(request->payload), size = stub_u32(request->payload + 4);
    uint8_t error = STUB_OK;
    if (address % STUB_SECTOR_SIZE || size % STUB_SECTOR_SIZE || !stub_flash_range_ok(stub, address, size)) {
        error = STUB_ERR_BAD_DATA_LEN;
    }
    else if (stub_hal_flash_unlock(stub->port)) error = STUB_ERR_FAILED_SPI_UNLOCK;
    else if (stub_flash_erase_range(stub, address, address + size)) error = STUB_ERR_FAILED_SPI_OP;
    reply_error(stub, request, error);
}

static void erase_flash(struct stub *stub, const struct stub_request *request)
{
    uint8_t error = STUB_OK;
    if (stub_hal_flash_unlock(stub->port)) error = STUB_ERR_FAILED_SPI_UNLOCK;
    else if (stub_hal_flash_erase_chip(stub->port)) error = STUB_ERR_FAILED_SPI_OP;
    reply_error(stub, request, error);
}

void stub_dispatch(struct stub *stub, const struct stub_request *request)
{
    if (stub_handle_simple(stub, request)) return;
    switch (request->opcode) {
    case STUB_OP_FLASH_BEGIN:
    case STUB_OP_FLASH_DEFL_BEGIN: stub_handle_flash_begin(stub, request); break;
    case STUB_OP_FLASH_DATA:
    case STUB_OP_FLASH_DEFL_DATA: stub_handle_flash_data(stub, request); break;
    case STUB_OP_FLASH_END:
    case STUB_OP_FLASH_DEFL_END: stub_handle_flash_end(stub, request); break;
    case STUB_OP_MEM_BEGIN: mem_begin(stub, request); break;
    case STUB_OP_MEM_DATA: mem_data(stub, request); break;
    case STUB_OP_MEM_END: mem_end(stub, request); break;
    case STUB_OP_SPI_FLASH_MD5: flash_md5(stub, request); break;
    case STUB_OP_READ_FLASH: read_flash(stub, request); break;
    case STUB_OP_ERASE_REGION: erase_region(stub, request); break;
    case STUB_OP_ERASE_FLASH: erase_flash(stub, request); break;
    case STUB_OP_RUN_USER_CODE:
        /* No reply: the board boots from flash. */
        stub_release_frame(stub);
        stub_hal_uart_flush(stub->port);
        stub->exit = STUB_EXIT_RUN_USER_CODE;
        stub_hal_run_user_code(stub->port);
        break;
    default: reply_error(stub, request, STUB_ERR_CMD_NOT_IMPLEMENTED); break;
    }
}
