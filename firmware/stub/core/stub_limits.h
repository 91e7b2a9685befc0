/*
 * stub_limits.h: the sizes that decide the stub's RAM use (see ../README.md, "Memory
 * map"). scripts/build-stub copies STUB_MAX_BLOCK_SIZE and STUB_MAX_WINDOW_BITS into
 * Sources/ESPFlasher/FlasherStub+Image.swift, so mlprov's client sizes its blocks and
 * its zlib window by them.
 */
#ifndef STUB_LIMITS_H
#define STUB_LIMITS_H

/* The largest FLASH_DATA / FLASH_DEFL_DATA data block (esptool's stubs use 0x4000 too). */
#define STUB_MAX_BLOCK_SIZE 0x4000u

/* The largest zlib window (2^bits bytes) a stream may announce in its header (CINFO+8). */
#define STUB_MAX_WINDOW_BITS 15u
#define STUB_WINDOW_SIZE (1u << STUB_MAX_WINDOW_BITS)

/* Request header: direction, opcode, u16 length, u32 checksum. */
#define STUB_REQUEST_HEADER 8u
/* Data-block header inside a request payload: length, sequence, 0, 0. */
#define STUB_DATA_HEADER 16u
/* The largest request frame the receiver keeps (SLIP-decoded), rounded to words. */
#define STUB_MAX_FRAME ((STUB_REQUEST_HEADER + STUB_DATA_HEADER + STUB_MAX_BLOCK_SIZE + 3u) & ~3u)

/* The receive ring holds one frame being worked on plus the next one arriving (one block
 * in flight), and some room for small frames that race in before a release. */
#define STUB_RX_RING_SIZE (2u * STUB_MAX_FRAME + 256u)
/* Frames the receive ring keeps track of at once (READ_FLASH acks are tiny and many). */
#define STUB_RX_QUEUE 32u

/* Flash geometry (SPI NOR, ESP8266 boards): erase units and the write alignment. */
#define STUB_SECTOR_SIZE 0x1000u
#define STUB_BLOCK_SIZE 0x10000u
#define STUB_WRITE_ALIGN 4u
/* The flash size ranges are checked against until SPI_SET_PARAMS states the chip's total:
 * 16 MiB, as esptool's stub starts (the ESP8266's flash addresses have 24 bits). */
#define STUB_DEFAULT_FLASH_SIZE (16u << 20)

/* READ_FLASH packets are staged in the inflate window (no stream is open then). */
#define STUB_MAX_READ_PACKET (STUB_WINDOW_SIZE / 2u)

#endif
