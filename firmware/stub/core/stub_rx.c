/*
 * stub_rx.c: SLIP decoding into the frame ring (see stub_rx.h).
 *
 * SLIP (RFC 1055 as the ESP loaders use it): frames are delimited by 0xC0; inside a frame
 * 0xDB 0xDC stands for 0xC0 and 0xDB 0xDD for 0xDB. Empty frames (0xC0 0xC0) are ignored,
 * and so are bytes before the first 0xC0; a frame with a broken escape (0xDB then anything
 * else, the frame end included) is dropped.
 *
 * Placement: a frame goes right after the previous one; when fewer than STUB_MAX_FRAME
 * bytes are left before the end of the ring it goes to the start instead, as long as the
 * oldest unreleased frame leaves room there; with no frame unreleased it goes to the
 * start. A frame that outgrows its room, or STUB_MAX_FRAME, is dropped (the client times
 * out, as with a lost byte).
 */
#include "stub_rx.h"

#include "stub_atomic.h"

enum { STUB_RX_IDLE, STUB_RX_FRAME, STUB_RX_ESCAPE, STUB_RX_DROP };

#define SLIP_END 0xC0u
#define SLIP_ESC 0xDBu
#define SLIP_ESC_END 0xDCu
#define SLIP_ESC_ESC 0xDDu

void stub_rx_init(struct stub_rx *rx)
{
    rx->head = 0;
    rx->tail = 0;
    rx->write_start = 0;
    rx->write_length = 0;
    rx->write_room = 0;
    rx->next_start = 0;
    rx->state = STUB_RX_IDLE;
    rx->placed = 0;
    rx->dropped = 0;
}

/* Finds room for a new frame; 0 when there is none (the queue is full). */
static int place_frame(struct stub_rx *rx)
{
    uint32_t head = stub_load_acquire(&rx->head);
    uint32_t tail = rx->tail;
    if (tail - head >= STUB_RX_QUEUE) return 0;
    if (head == tail) {
        /* Nothing unreleased: the whole ring is free. */
        rx->write_start = 0;
        rx->write_room = STUB_RX_RING_SIZE;
        return 1;
    }
    uint32_t oldest = rx->frame_start[head % STUB_RX_QUEUE];
    uint32_t start = rx->next_start;
    if (start > oldest) {
        if (STUB_RX_RING_SIZE - start >= STUB_MAX_FRAME) {
            rx->write_start = start;
            rx->write_room = STUB_RX_RING_SIZE - start;
        } else {
            rx->write_start = 0;
            rx->write_room = oldest;
        }
    } else {
        rx->write_start = start;
        rx->write_room = oldest - start;
    }
    return 1;
}

static void begin_frame(struct stub_rx *rx)
{
    rx->state = STUB_RX_FRAME;
    rx->placed = 0;
    rx->write_length = 0;
}

static void store(struct stub_rx *rx, uint8_t byte)
{
    if (!rx->placed) {
        if (!place_frame(rx)) {
            rx->state = STUB_RX_DROP;
            rx->dropped++;
            return;
        }
        rx->placed = 1;
    }
    if (rx->write_length >= rx->write_room || rx->write_length >= STUB_MAX_FRAME) {
        rx->state = STUB_RX_DROP;
        rx->dropped++;
        return;
    }
    ((uint8_t *)rx->ring)[rx->write_start + rx->write_length++] = byte;
}

/* A 0xC0 closed the frame: queue it when it has bytes and did not end inside an escape
 * (0xDB 0xC0: a byte is missing, so the frame is dropped). */
static uint32_t end_frame(struct stub_rx *rx)
{
    uint32_t completed = 0;
    if (rx->state == STUB_RX_ESCAPE) {
        rx->dropped++;
    } else if (rx->state != STUB_RX_DROP && rx->placed && rx->write_length > 0) {
        uint32_t slot = rx->tail % STUB_RX_QUEUE;
        rx->frame_start[slot] = rx->write_start;
        rx->frame_length[slot] = rx->write_length;
        rx->next_start = (rx->write_start + rx->write_length + 3u) & ~3u;
        stub_store_release(&rx->tail, rx->tail + 1u);
        completed = 1;
    }
    begin_frame(rx);
    return completed;
}

uint32_t stub_rx_push(struct stub_rx *rx, const uint8_t *bytes, size_t count)
{
    uint32_t completed = 0;
    for (size_t i = 0; i < count; i++) {
        uint8_t byte = bytes[i];
        if (byte == SLIP_END) {
            if (rx->state == STUB_RX_IDLE) begin_frame(rx);
            else completed += end_frame(rx);
            continue;
        }
        switch (rx->state) {
        case STUB_RX_FRAME:
            if (byte == SLIP_ESC) rx->state = STUB_RX_ESCAPE;
            else store(rx, byte);
            break;
        case STUB_RX_ESCAPE:
            if (byte == SLIP_ESC_END || byte == SLIP_ESC_ESC) {
                rx->state = STUB_RX_FRAME;
                store(rx, byte == SLIP_ESC_END ? SLIP_END : SLIP_ESC);
            } else {
                rx->state = STUB_RX_DROP;
                rx->dropped++;
            }
            break;
        default: /* IDLE before the first 0xC0, or DROP until the next: ignore */
            break;
        }
    }
    return completed;
}

const uint8_t *stub_rx_peek(struct stub_rx *rx, uint32_t *length)
{
    uint32_t head = rx->head;
    if (stub_load_acquire(&rx->tail) == head) {
        *length = 0;
        return 0;
    }
    uint32_t slot = head % STUB_RX_QUEUE;
    *length = rx->frame_length[slot];
    return (const uint8_t *)rx->ring + rx->frame_start[slot];
}

void stub_rx_release(struct stub_rx *rx)
{
    stub_store_release(&rx->head, rx->head + 1u);
}
