/*
 * stub_rx.h: the receive side. The machine's receiver (UART interrupt on the chip, a
 * reader thread on the host) pushes raw line bytes with stub_rx_push(); SLIP is decoded
 * there, straight into a ring of whole frames, so that a frame is contiguous and word
 * aligned where the core reads it and no byte is copied twice. The core takes the oldest
 * frame with stub_rx_peek() and gives it back with stub_rx_release(), in order.
 *
 * One writer (the receiver) and one reader (the core); they share only the queue indexes,
 * published with release/acquire ordering (stub_atomic.h).
 */
#ifndef STUB_RX_H
#define STUB_RX_H

#include <stddef.h>
#include <stdint.h>

#include "stub_limits.h"

struct stub_rx {
    /* Frames, each starting on a word boundary. */
    uint32_t ring[STUB_RX_RING_SIZE / 4u];
    /* Queue of complete frames: start offset and length; head is read by the core. */
    uint32_t frame_start[STUB_RX_QUEUE];
    uint32_t frame_length[STUB_RX_QUEUE];
    uint32_t head; /* written by the reader only */
    uint32_t tail; /* written by the writer only */
    /* Writer state. */
    uint32_t write_start; /* where the frame being received starts */
    uint32_t write_length;
    uint32_t write_room;  /* bytes it may take from write_start */
    uint32_t next_start;  /* where the next frame would go (end of the last one, aligned) */
    uint8_t state;        /* STUB_RX_IDLE, _FRAME, _ESCAPE, _DROP */
    uint8_t placed;       /* the frame being received has its place in the ring */
    uint32_t dropped;     /* frames lost: too long, no room, bad escape */
};

/* Empties the ring (before the receiver starts). */
void stub_rx_init(struct stub_rx *rx);

/* Decodes line bytes into frames; returns how many frames became complete. */
uint32_t stub_rx_push(struct stub_rx *rx, const uint8_t *bytes, size_t count);

/* The oldest complete frame, or NULL (and *length 0) when none is waiting. */
const uint8_t *stub_rx_peek(struct stub_rx *rx, uint32_t *length);

/* Hands the oldest frame's room back to the receiver. */
void stub_rx_release(struct stub_rx *rx);

#endif
