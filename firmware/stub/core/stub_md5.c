/*
 * stub_md5.c: MD5 as RFC 1321 specifies it: 64-byte blocks, four rounds of sixteen
 * steps, little-endian words, the length in bits appended after 0x80 and zero padding.
 */
#include "stub_md5.h"

/* The per-step constants: floor(|sin(i + 1)| * 2^32) (RFC 1321, section 3.4). */
static const uint32_t md5_sines[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu,
    0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
    0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau,
    0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
    0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
    0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u,
    0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u,
    0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
    0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u,
};

/* Left-rotation amounts: four per round, repeated over the round's sixteen steps. */
static const uint8_t md5_rotations[16] = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 };

static uint32_t rotate_left(uint32_t value, unsigned bits)
{
    return (value << bits) | (value >> (32u - bits));
}

static void md5_block(uint32_t state[4], const uint8_t block[64])
{
    uint32_t words[16];
    for (unsigned i = 0; i < 16; i++) {
        const uint8_t *p = block + 4u * i;
        words[i] = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    for (unsigned step = 0; step < 64; step++) {
        unsigned round = step >> 4;
        uint32_t mix;
        unsigned index;
        switch (round) {
        case 0: mix = (b & c) | (~b & d); index = step; break;
        case 1: mix = (d & b) | (~d & c); index = (5u * step + 1u) & 15u; break;
        case 2: mix = b ^ c ^ d; index = (3u * step + 5u) & 15u; break;
        default: mix = c ^ (b | ~d); index = (7u * step) & 15u; break;
        }
        uint32_t sum = a + mix + md5_sines[step] + words[index];
        a = d;
        d = c;
        c = b;
        b = b + rotate_left(sum, md5_rotations[round * 4u + (step & 3u)]);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
}

void stub_md5_init(struct stub_md5 *md5)
{
    md5->state[0] = 0x67452301u;
    md5->state[1] = 0xefcdab89u;
    md5->state[2] = 0x98badcfeu;
    md5->state[3] = 0x10325476u;
    md5->length_low = 0;
    md5->length_high = 0;
}

void stub_md5_update(struct stub_md5 *md5, const uint8_t *bytes, size_t count)
{
    unsigned used = md5->length_low & 63u;
    uint32_t low = md5->length_low + (uint32_t)count;
    if (low < md5->length_low) md5->length_high++;
    md5->length_low = low;
    while (count > 0) {
        unsigned take = 64u - used;
        if (take > count) take = (unsigned)count;
        for (unsigned i = 0; i < take; i++) md5->block[used + i] = bytes[i];
        used += take;
        bytes += take;
        count -= take;
        if (used == 64u) {
            md5_block(md5->state, md5->block);
            used = 0;
        }
    }
}

void stub_md5_final(struct stub_md5 *md5, uint8_t digest[16])
{
    uint32_t bits_low = md5->length_low << 3;
    uint32_t bits_high = (md5->length_high << 3) | (md5->length_low >> 29);
    unsigned used = md5->length_low & 63u;
    md5->block[used++] = 0x80u;
    if (used > 56u) {
        while (used < 64u) md5->block[used++] = 0;
        md5_block(md5->state, md5->block);
        used = 0;
    }
    while (used < 56u) md5->block[used++] = 0;
    for (unsigned i = 0; i < 4; i++) {
        md5->block[56u + i] = (uint8_t)(bits_low >> (8u * i));
        md5->block[60u + i] = (uint8_t)(bits_high >> (8u * i));
    }
    md5_block(md5->state, md5->block);
    for (unsigned i = 0; i < 16; i++) digest[i] = (uint8_t)(md5->state[i >> 2] >> (8u * (i & 3u)));
}
