/*
 * stub_serve.c: the request loop. The oldest received frame is "held" while a handler
 * works on it and released once its bytes are no longer needed, so that the receiver can
 * fill the ring with the next frame meanwhile (one block in flight).
 */
#include "stub.h"

#include "stub_protocol.h"

uint32_t stub_u32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] | ((uint32_t)bytes[1] << 8) | ((uint32_t)bytes[2] << 16) | ((uint32_t)bytes[3] << 24);
}

void stub_init(struct stub *stub, struct stub_port *port)
{
    stub->port = port;
    stub_rx_init(&stub->rx);
    stub->flash.mode = STUB_FLASH_NONE;
    stub->flash.error = 0;
    stub->mem.active = 0;
    stub->flash_size = STUB_DEFAULT_FLASH_SIZE;
    stub->frame_held = 0;
    stub->exit = STUB_EXIT_NONE;
}

void stub_greet(struct stub *stub)
{
    static const uint8_t greeting[4] = { 'O', 'H', 'A', 'I' };
    stub_send_frame(stub, greeting, sizeof greeting);
}

void stub_release_frame(struct stub *stub)
{
    if (stub->frame_held) {
        stub_rx_release(&stub->rx);
        stub->frame_held = 0;
    }
}

const uint8_t *stub_wait_frame(struct stub *stub, uint32_t *length)
{
    for (;;) {
        const uint8_t *frame = stub_rx_peek(&stub->rx, length);
        if (frame) {
            stub->frame_held = 1;
            return frame;
        }
        if (stub_hal_wait(stub->port)) {
            stub->exit = STUB_EXIT_STOPPED;
            return 0;
        }
    }
}

int stub_parse_request(const uint8_t *frame, uint32_t length, struct stub_request *request)
{
    if (length < 8u || frame[0] != STUB_DIRECTION_REQUEST) return 0;
    request->opcode = frame[1];
    request->length = (uint16_t)(frame[2] | (frame[3] << 8));
    request->checksum = stub_u32(frame + 4);
    request->payload = frame + 8;
    /* A payload length that disagrees with the frame is answered BAD_DATA_LEN. */
    if (request->length != length - 8u) request->length = 0xFFFFu;
    return 1;
}

enum stub_exit stub_serve(struct stub *stub)
{
    while (stub->exit == STUB_EXIT_NONE) {
        uint32_t length;
        const uint8_t *frame = stub_wait_frame(stub, &length);
        if (!frame) break;
        struct stub_request request;
        if (stub_parse_request(frame, length, &request)) {
            if (request.length == 0xFFFFu) stub_reply(stub, request.opcode, 0, 0, 0, STUB_ERR_BAD_DATA_LEN, 0);
            else stub_dispatch(stub, &request);
        }
        /* Frames that are no request (stray READ_FLASH acknowledgements) are dropped. */
        stub_release_frame(stub);
    }
    return (enum stub_exit)stub->exit;
}
