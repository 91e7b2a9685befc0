/*
 * stub_inflate.c: see stub_inflate.h. Format facts from RFC 1950 (zlib header and
 * Adler-32) and RFC 1951 (blocks, code tables, length and distance codes); this is the
 * project's own implementation of them.
 *
 * Huffman codes are decoded canonically, one bit at a time: codes of each length are
 * consecutive numbers, so a code of length n is valid when it lies within the count of
 * length-n codes after the first one (RFC 1951, 3.2.2).
 */
#include "stub_inflate.h"

#include "stub_protocol.h"

#define WINDOW_MASK (STUB_WINDOW_SIZE - 1u)
#define OUTPUT_PIECE STUB_SECTOR_SIZE
#define ADLER_MODULUS 65521u

/* The order the code-length code lengths come in (RFC 1951, 3.2.7). */
static const uint8_t code_length_order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };

static void fail(struct stub_inflate *z, int error)
{
    if (!z->error) z->error = error;
}

static uint32_t next_byte(struct stub_inflate *z)
{
    if (z->input_left == 0) {
        if (z->error) return 0;
        int error = z->next_input(z->context, &z->input, &z->input_left);
        if (error) {
            fail(z, error);
            return 0;
        }
        if (z->input_left == 0) {
            fail(z, STUB_ERR_INFLATE);
            return 0;
        }
    }
    z->input_left--;
    return *z->input++;
}

/* `count` bits (0…16), least significant first. */
static uint32_t get_bits(struct stub_inflate *z, uint32_t count)
{
    while (z->bit_count < count) {
        z->bits |= next_byte(z) << z->bit_count;
        z->bit_count += 8u;
    }
    uint32_t value = z->bits & ((1u << count) - 1u);
    z->bits >>= count;
    z->bit_count -= count;
    return value;
}

static void add_adler(struct stub_inflate *z, const uint8_t *bytes, uint32_t count)
{
    uint32_t low = z->adler_low, high = z->adler_high;
    while (count > 0) {
        /* 5552 bytes keep the sums inside 32 bits before the modulus (zlib's NMAX fact). */
        uint32_t run = count < 5552u ? count : 5552u;
        count -= run;
        while (run--) {
            low += *bytes++;
            high += low;
        }
        low %= ADLER_MODULUS;
        high %= ADLER_MODULUS;
    }
    z->adler_low = low;
    z->adler_high = high;
}

static void flush(struct stub_inflate *z)
{
    uint32_t count = z->produced - z->flushed;
    if (count == 0 || z->error) return;
    const uint8_t *bytes = z->window + (z->flushed & WINDOW_MASK);
    add_adler(z, bytes, count);
    int error = z->write_output(z->context, bytes, count);
    if (error) fail(z, error);
    z->flushed = z->produced;
}

static void put(struct stub_inflate *z, uint8_t byte)
{
    z->window[z->produced & WINDOW_MASK] = byte;
    z->produced++;
    if ((z->produced & (OUTPUT_PIECE - 1u)) == 0) flush(z);
}

/* Builds a canonical code from `count` code lengths; 0 when they over-subscribe. */
static int build(struct stub_huffman *code, const uint8_t *lengths, uint32_t count)
{
    uint16_t offsets[16];
    for (unsigned i = 0; i < 16; i++) code->counts[i] = 0;
    for (uint32_t symbol = 0; symbol < count; symbol++) code->counts[lengths[symbol]]++;
    code->counts[0] = 0;
    int left = 1;
    for (unsigned length = 1; length < 16; length++) {
        left = left * 2 - code->counts[length];
        if (left < 0) return 0;
    }
    offsets[1] = 0;
    for (unsigned length = 1; length < 15; length++) offsets[length + 1] = offsets[length] + code->counts[length];
    for (uint32_t symbol = 0; symbol < count; symbol++) {
        if (lengths[symbol]) code->symbols[offsets[lengths[symbol]]++] = (uint16_t)symbol;
    }
    return 1;
}

static uint32_t decode(struct stub_inflate *z, const struct stub_huffman *code)
{
    uint32_t value = 0, first = 0, index = 0;
    for (unsigned length = 1; length < 16; length++) {
        value |= get_bits(z, 1);
        uint32_t count = code->counts[length];
        if (value - first < count) return code->symbols[index + (value - first)];
        index += count;
        first = (first + count) << 1;
        value <<= 1;
    }
    fail(z, STUB_ERR_INFLATE);
    return 0;
}

static void stored_block(struct stub_inflate *z)
{
    /* Skip to the byte boundary; whole bytes still in the bit buffer come first. */
    get_bits(z, z->bit_count & 7u);
    uint32_t length = get_bits(z, 16);
    uint32_t complement = get_bits(z, 16);
    if ((length ^ 0xFFFFu) != complement) {
        fail(z, STUB_ERR_INFLATE);
        return;
    }
    while (length-- && !z->error) put(z, (uint8_t)get_bits(z, 8));
}

static void fixed_codes(struct stub_inflate *z)
{
    uint8_t *lengths = z->code_lengths;
    uint32_t symbol = 0;
    for (; symbol < 144; symbol++) lengths[symbol] = 8;
    for (; symbol < 256; symbol++) lengths[symbol] = 9;
    for (; symbol < 280; symbol++) lengths[symbol] = 7;
    for (; symbol < 288; symbol++) lengths[symbol] = 8;
    build(&z->literals, lengths, 288);
    for (symbol = 0; symbol < 30; symbol++) lengths[symbol] = 5;
    build(&z->distances, lengths, 30);
}

static void dynamic_codes(struct stub_inflate *z)
{
    uint32_t literal_count = get_bits(z, 5) + 257u;
    uint32_t distance_count = get_bits(z, 5) + 1u;
    uint32_t length_code_count = get_bits(z, 4) + 4u;
    if (literal_count > 286u || distance_count > 30u) {
        fail(z, STUB_ERR_INFLATE);
        return;
    }
    uint8_t *lengths = z->code_lengths;
    for (unsigned i = 0; i < 19; i++) lengths[code_length_order[i]] = 0;
    for (unsigned i = 0; i < length_code_count; i++) lengths[code_length_order[i]] = (uint8_t)get_bits(z, 3);
    /* The code-length code borrows the distance table while the lengths are read. */
    if (!build(&z->distances, lengths, 19)) {
        fail(z, STUB_ERR_INFLATE);
        return;
    }
    uint32_t total = literal_count + distance_count;
    uint32_t index = 0;
    while (index < total && !z->error) {
        uint32_t symbol = decode(z, &z->distances);
        if (symbol < 16) {
            lengths[index++] = (uint8_t)symbol;
            continue;
        }
        uint8_t repeated = 0;
        uint32_t times;
        if (symbol == 16) {
            if (index == 0) {
                fail(z, STUB_ERR_INFLATE);
                return;
            }
            repeated = lengths[index - 1];
            times = 3u + get_bits(z, 2);
        } else if (symbol == 17) {
            times = 3u + get_bits(z, 3);
        } else {
            times = 11u + get_bits(z, 7);
        }
        if (index + times > total) {
            fail(z, STUB_ERR_INFLATE);
            return;
        }
        while (times--) lengths[index++] = repeated;
    }
    if (z->error) return;
    /* The end-of-block code must exist. */
    if (lengths[256] == 0 || !build(&z->literals, lengths, literal_count) ||
        !build(&z->distances, lengths + literal_count, distance_count)) {
        fail(z, STUB_ERR_INFLATE);
    }
}

static void huffman_block(struct stub_inflate *z)
{
    for (;;) {
        uint32_t symbol = decode(z, &z->literals);
        if (z->error) return;
        if (symbol < 256) {
            put(z, (uint8_t)symbol);
            continue;
        }
        if (symbol == 256) return;
        symbol -= 257;
        if (symbol >= 29) {
            fail(z, STUB_ERR_INFLATE);
            return;
        }
        uint32_t length = z->length_base[symbol] + get_bits(z, symbol < 8 || symbol == 28 ? 0 : (symbol - 4u) >> 2);
        uint32_t code = decode(z, &z->distances);
        if (code >= 30) {
            fail(z, STUB_ERR_INFLATE);
            return;
        }
        uint32_t distance = z->distance_base[code] + get_bits(z, code < 4 ? 0 : (code - 2u) >> 1);
        if (z->error) return;
        if (distance > z->produced || distance > z->window_limit) {
            fail(z, STUB_ERR_INFLATE);
            return;
        }
        while (length-- && !z->error) put(z, z->window[(z->produced - distance) & WINDOW_MASK]);
    }
}

void stub_inflate_init(struct stub_inflate *z, uint8_t *window,
                       int (*next_input)(void *, const uint8_t **, uint32_t *),
                       int (*write_output)(void *, const uint8_t *, uint32_t), void *context)
{
    z->input = 0;
    z->input_left = 0;
    z->bits = 0;
    z->bit_count = 0;
    z->error = 0;
    z->next_input = next_input;
    z->window = window;
    z->produced = 0;
    z->flushed = 0;
    z->window_limit = 0;
    z->adler_low = 1;
    z->adler_high = 0;
    z->write_output = write_output;
    z->context = context;
    /* Length codes 257…284 add 0,0,0,0,0,0,0,0,1,1,1,1,2,… extra bits to their base; 285
     * is 258 (RFC 1951, 3.2.5). Distances likewise with 0,0,0,0,1,1,2,2,…,13,13. */
    uint32_t base = 3;
    for (unsigned i = 0; i < 28; i++) {
        z->length_base[i] = (uint16_t)base;
        base += 1u << (i < 8 ? 0 : (i - 4u) >> 2);
    }
    z->length_base[28] = 258;
    base = 1;
    for (unsigned i = 0; i < 30; i++) {
        z->distance_base[i] = (uint16_t)base;
        base += 1u << (i < 4 ? 0 : (i - 2u) >> 1);
    }
}

int stub_inflate_run(struct stub_inflate *z, const uint8_t *bytes, uint32_t count)
{
    z->input = bytes;
    z->input_left = count;
    /* zlib header: CMF (method 8 = deflate, CINFO = window bits - 8) and FLG. */
    uint32_t cmf = get_bits(z, 8);
    uint32_t flg = get_bits(z, 8);
    if (z->error) return z->error;
    if ((cmf & 0x0Fu) != 8u || ((cmf << 8) | flg) % 31u != 0 || (flg & 0x20u) ||
        (cmf >> 4) + 8u > STUB_MAX_WINDOW_BITS) {
        return STUB_ERR_INFLATE;
    }
    z->window_limit = 1u << ((cmf >> 4) + 8u);
    uint32_t last;
    do {
        last = get_bits(z, 1);
        uint32_t type = get_bits(z, 2);
        if (z->error) break;
        switch (type) {
        case 0: stored_block(z); break;
        case 1: fixed_codes(z); huffman_block(z); break;
        case 2: dynamic_codes(z); if (!z->error) huffman_block(z); break;
        default: fail(z, STUB_ERR_INFLATE); break;
        }
    } while (!last && !z->error);
    flush(z);
    if (z->error) return z->error;
    /* Adler-32 of the output, most significant byte first, from the next byte boundary. */
    get_bits(z, z->bit_count & 7u);
    uint32_t expected = get_bits(z, 8) << 24;
    expected |= get_bits(z, 8) << 16;
    expected |= get_bits(z, 8) << 8;
    expected |= get_bits(z, 8);
    if (z->error) return z->error;
    if (expected != ((z->adler_high << 16) | z->adler_low)) return STUB_ERR_INFLATE;
    return 0;
}
