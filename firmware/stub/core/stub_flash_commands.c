/*
 * stub_flash_commands.c: FLASH_BEGIN/DATA/END and FLASH_DEFL_BEGIN/DATA/END.
 *
 * A data block is acknowledged as soon as it is received and checked; its flash work runs
 * after the acknowledgement, while the client sends the next block into the receive ring.
 * The next request is looked at only when that work is done, so "later commands wait for
 * pending writes" holds by construction. A failure during the work is reported in the
 * reply to the session's next data block or to its END.
 *
 * A deflate stream is inflated by one call of stub_inflate_run that spans the whole
 * stream: when it needs input it asks for the next FLASH_DEFL_DATA block (next_block
 * below), which is checked and acknowledged there. Requests that do not touch the session
 * (SYNC, registers, SPI parameters, baud) are answered in between; any other request ends
 * the stream unfinished (the session then ends in NOT_ENOUGH_DATA) and is served as usual.
 */
#include "stub.h"

#include "stub_protocol.h"

uint8_t stub_check_data_block(struct stub *stub, const struct stub_request *request, uint32_t *data_length)
{
    (void)stub;
    if (request->length < STUB_DATA_HEADER) return STUB_ERR_BAD_DATA_LEN;
    uint32_t length = stub_u32(request->payload);
    if (length != (uint32_t)request->length - STUB_DATA_HEADER) return STUB_ERR_BAD_DATA_LEN;
    uint8_t checksum = STUB_CHECKSUM_SEED;
    const uint8_t *data = request->payload + STUB_DATA_HEADER;
    for (uint32_t i = 0; i < length; i++) checksum ^= data[i];
    if (checksum != (uint8_t)request->checksum) return STUB_ERR_BAD_DATA_CHECKSUM;
    *data_length = length;
    return STUB_OK;
}

/* Checks a FLASH_DATA / FLASH_DEFL_DATA block against the session. */
static uint8_t check_session_block(struct stub *stub, const struct stub_request *request, uint32_t *length)
{
    struct stub_flash_session *flash = &stub->flash;
    uint8_t wanted = request->opcode == STUB_OP_FLASH_DEFL_DATA ? STUB_FLASH_DEFLATE : STUB_FLASH_PLAIN;
    if (flash->mode != wanted) return STUB_ERR_NOT_IN_FLASH_MODE;
    if (flash->error) return flash->error;
    uint8_t error = stub_check_data_block(stub, request, length);
    if (error) return error;
    if (*length > flash->block_size) return STUB_ERR_BAD_BLOCKSIZE;
    if (stub_u32(request->payload + 4) != flash->next_sequence) return STUB_ERR_INVALID_COMMAND;
    return STUB_OK;
}

void stub_handle_flash_begin(struct stub *stub, const struct stub_request *request)
{
    struct stub_flash_session *flash = &stub->flash;
    if (request->length < 16u) {
        stub_reply(stub, request->opcode, 0, 0, 0, STUB_ERR_BAD_DATA_LEN, 0);
        return;
    }
    const uint8_t *p = request->payload;
    uint32_t size = stub_u32(p), block_size = stub_u32(p + 8), offset = stub_u32(p + 12);
    uint8_t error = STUB_OK;
    if (block_size == 0 || block_size > STUB_MAX_BLOCK_SIZE || block_size % STUB_WRITE_ALIGN) error = STUB_ERR_BAD_BLOCKSIZE;
    else if (offset % STUB_SECTOR_SIZE || !stub_flash_range_ok(stub, offset, size)) error = STUB_ERR_BAD_DATA_LEN;
    else if (stub_hal_flash_unlock(stub->port)) error = STUB_ERR_FAILED_SPI_UNLOCK;
    if (error) {
        flash->mode = STUB_FLASH_NONE;
        stub_reply(stub, request->opcode, 0, 0, 0, error, 0);
        return;
    }
    flash->mode = request->opcode == STUB_OP_FLASH_DEFL_BEGIN ? STUB_FLASH_DEFLATE : STUB_FLASH_PLAIN;
    flash->stream = STUB_STREAM_NOT_STARTED;
    flash->error = 0;
    flash->offset = offset;
    flash->size = size;
    flash->written = 0;
    flash->erased_until = offset;
    flash->erase_end = ((uint64_t)offset + size + STUB_SECTOR_SIZE - 1u) & ~(uint64_t)(STUB_SECTOR_SIZE - 1u);
    flash->block_size = block_size;
    flash->next_sequence = 0;
    stub_reply(stub, request->opcode, 0, 0, 0, STUB_OK, 0);
}

/* The inflater's output: the session's next bytes. */
static int write_inflated(void *context, const uint8_t *bytes, uint32_t count)
{
    return stub_flash_session_write((struct stub *)context, bytes, count);
}

/* The inflater's input: the next FLASH_DEFL_DATA block, acknowledged. */
static int next_block(void *context, const uint8_t **bytes, uint32_t *count)
{
    struct stub *stub = (struct stub *)context;
    stub_release_frame(stub); /* the block just used up */
    for (;;) {
        uint32_t frame_length;
        const uint8_t *frame = stub_wait_frame(stub, &frame_length);
        if (!frame) return STUB_WAIT_STOP;
        struct stub_request request;
        if (!stub_parse_request(frame, frame_length, &request)) {
            stub_release_frame(stub);
            continue;
        }
        if (request.opcode == STUB_OP_FLASH_DEFL_DATA && request.length != 0xFFFFu) {
            uint32_t length;
            uint8_t error = check_session_block(stub, &request, &length);
            if (error) {
                stub_reply(stub, request.opcode, 0, 0, 0, error, 0);
                continue;
            }
            stub->flash.next_sequence++;
            stub_reply(stub, request.opcode, 0, 0, 0, STUB_OK, 1);
            *bytes = request.payload + STUB_DATA_HEADER;
            *count = length;
            return 0;
        }
        if (request.length != 0xFFFFu && stub_handle_simple(stub, &request)) continue;
        /* Leave this request to the loop (not released: it stays the oldest frame). */
        stub->frame_held = 0;
        return STUB_WAIT_INTERRUPTED;
    }
}

static void inflate_stream(struct stub *stub, const uint8_t *bytes, uint32_t count)
{
    struct stub_flash_session *flash = &stub->flash;
    stub_inflate_init(&stub->inflate, (uint8_t *)stub->window, next_block, write_inflated, stub);
    int result = stub_inflate_run(&stub->inflate, bytes, count);
    if (result == STUB_WAIT_STOP) {
        flash->mode = STUB_FLASH_NONE;
    } else if (result == STUB_WAIT_INTERRUPTED) {
        flash->stream = STUB_STREAM_INTERRUPTED;
        flash->error = STUB_ERR_NOT_ENOUGH_DATA;
    } else {
        flash->stream = STUB_STREAM_DONE;
        if (result) flash->error = (uint8_t)result;
    }
}

void stub_handle_flash_data(struct stub *stub, const struct stub_request *request)
{
    struct stub_flash_session *flash = &stub->flash;
    uint32_t length;
    uint8_t error = check_session_block(stub, request, &length);
    if (!error) {
        if (flash->mode == STUB_FLASH_PLAIN ? flash->written >= flash->size : flash->stream != STUB_STREAM_NOT_STARTED) {
            error = STUB_ERR_TOO_MUCH_DATA;
        } else if (flash->mode == STUB_FLASH_PLAIN && length % STUB_WRITE_ALIGN && length < flash->size - flash->written) {
            /* Only the last block may end off a word: the next would start off one. */
            error = STUB_ERR_BAD_DATA_LEN;
        }
    }
    if (error) {
        stub_reply(stub, request->opcode, 0, 0, 0, error, 0);
        return;
    }
    flash->next_sequence++;
    stub_reply(stub, request->opcode, 0, 0, 0, STUB_OK, 1);
    const uint8_t *data = request->payload + STUB_DATA_HEADER;
    if (flash->mode == STUB_FLASH_PLAIN) {
        /* The last block may carry padding past the size (esptool pads with 0xFF). */
        uint32_t count = flash->size - flash->written < length ? flash->size - flash->written : length;
        int result = stub_flash_session_write(stub, data, count);
        if (result) flash->error = (uint8_t)result;
    } else {
        inflate_stream(stub, data, length);
    }
}

void stub_handle_flash_end(struct stub *stub, const struct stub_request *request)
{
    struct stub_flash_session *flash = &stub->flash;
    if (flash->mode == STUB_FLASH_NONE) {
        stub_reply(stub, request->opcode, 0, 0, 0, STUB_ERR_NOT_IN_FLASH_MODE, 0);
        return;
    }
    uint32_t action = request->length >= 4u ? stub_u32(request->payload) : 1u;
    uint8_t error = flash->error;
    if (!error && flash->written < flash->size) error = STUB_ERR_NOT_ENOUGH_DATA;
    if (!error && flash->mode == STUB_FLASH_DEFLATE && flash->size > 0 && flash->stream != STUB_STREAM_DONE) {
        error = STUB_ERR_NOT_ENOUGH_DATA;
    }
    flash->mode = STUB_FLASH_NONE;
    stub_reply(stub, request->opcode, 0, 0, 0, error, 0);
    if (action == STUB_END_REBOOT) {
        stub_hal_uart_flush(stub->port);
        stub->exit = STUB_EXIT_REBOOT;
        stub_hal_reboot(stub->port);
    }
}
