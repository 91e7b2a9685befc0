/*
 * meter.h: the meter side of the demo firmware: the request frame a MeterLogger sends to
 * its meter on every poll. The demo has no meter attached: it builds the frame and counts
 * polls, but sends nothing (UART0 carries the console).
 */
#ifndef METER_H
#define METER_H

#include <stddef.h>
#include <stdint.h>

#define METER_FRAME_MAX 64

/* Builds the request for the meter type (MLCF_METER_*) into `out` (METER_FRAME_MAX
 * bytes); returns its length, 0 for meters that are not polled (impulse). */
size_t meter_build_request(uint32_t meter_type, uint8_t *out);

/* CRC-16/CCITT (polynomial 0x1021, initial value 0), as KMP frames carry it (KMP builds). */
uint16_t meter_crc16_ccitt(const uint8_t *data, size_t length);

#endif
