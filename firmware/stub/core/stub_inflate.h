/*
 * stub_inflate.h: a zlib stream (RFC 1950) inflater with the deflate format of RFC 1951:
 * stored, fixed-Huffman and dynamic-Huffman blocks, and the Adler-32 check at the end.
 *
 * It pulls its input: when the bytes it was given run out it asks `next_input` for more
 * (the stub answers with the next FLASH_DEFL_DATA block, after acknowledging it). It
 * pushes its output through `write_output` in whole 4 KiB pieces of the window (one flash
 * sector each, word aligned), and the remainder when the stream ends. Both callbacks
 * return 0 or a stub error code, which stops the inflater and becomes its result.
 */
#ifndef STUB_INFLATE_H
#define STUB_INFLATE_H

#include <stdint.h>

#include "stub_limits.h"

/* A canonical Huffman code: how many codes have each length, and the symbols in code order. */
struct stub_huffman {
    uint16_t counts[16];
    uint16_t symbols[288];
};

struct stub_inflate {
    /* Input. */
    const uint8_t *input;
    uint32_t input_left;
    uint32_t bits;
    uint32_t bit_count;
    int error; /* sticky: the first failure ends everything */
    int (*next_input)(void *context, const uint8_t **bytes, uint32_t *count);
    /* Output: the window is the output buffer too. */
    uint8_t *window;          /* STUB_WINDOW_SIZE bytes, word aligned */
    uint32_t produced;        /* bytes output so far */
    uint32_t flushed;         /* bytes handed to write_output so far */
    uint32_t window_limit;    /* largest distance the header allows */
    uint32_t adler_low, adler_high;
    int (*write_output)(void *context, const uint8_t *bytes, uint32_t count);
    void *context;
    /* Decoding tables. */
    uint16_t length_base[29];
    uint16_t distance_base[30];
    struct stub_huffman literals;
    struct stub_huffman distances;
    uint8_t code_lengths[286 + 30];
};

/* Prepares a stream; `window` holds STUB_WINDOW_SIZE bytes. */
void stub_inflate_init(struct stub_inflate *z, uint8_t *window,
                       int (*next_input)(void *, const uint8_t **, uint32_t *),
                       int (*write_output)(void *, const uint8_t *, uint32_t), void *context);

/* Inflates the whole stream, starting with `bytes`. Returns 0 once the Adler-32 check
 * passed and every byte was written, else STUB_ERR_INFLATE or a callback's error code. */
int stub_inflate_run(struct stub_inflate *z, const uint8_t *bytes, uint32_t count);

#endif
