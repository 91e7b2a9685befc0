/*
 * stub_md5.h: MD5 (RFC 1321) for SPI_FLASH_MD5 and READ_FLASH. Written here rather than
 * taken from the ESP8266 ROM (which has MD5Init/MD5Update/MD5Final) so that the host
 * build runs the very same code.
 */
#ifndef STUB_MD5_H
#define STUB_MD5_H

#include <stddef.h>
#include <stdint.h>

struct stub_md5 {
    uint32_t state[4];
    uint32_t length_low;  /* message length in bytes, low word */
    uint32_t length_high; /* and high word */
    uint8_t block[64];
};

void stub_md5_init(struct stub_md5 *md5);
void stub_md5_update(struct stub_md5 *md5, const uint8_t *bytes, size_t count);
void stub_md5_final(struct stub_md5 *md5, uint8_t digest[16]);

#endif
