/*
 * meter.c: request frames for the meters MeterLogger reads (all in .irom0.text).
 *
 * KMP (Kamstrup Multical 601): 0x80, then destination 0x3F, command 0x10 (get register),
 * the register count and the 16-bit register ids, the CRC-16/CCITT of those bytes (high
 * byte first), all byte-stuffed (0x80, 0x40, 0x0D, 0x06 and 0x1B become 0x1B and the
 * byte's complement), and 0x0D.
 * EN 61107 (Multical 66 C/B): the sign-on "/?!" CR LF.
 * Impulse meters are counted, not polled.
 * As in MeterLogger, only the meter type's own protocol is compiled in (-DKMP, -DEN61107,
 * -DIMPULSE from the Makefile), so the variants differ in size.
 */
#include "meter.h"
#include "mlcf.h"
#include "rom.h"

#ifdef KMP
/* The registers a sample reports: energy, volume, hours, t1, t2, t1-t2, flow, power. */
static const uint16_t kmp_registers[] = { 0x003C, 0x0044, 0x03EC, 0x0056, 0x0057, 0x0059, 0x004A, 0x0050 };

IROM uint16_t meter_crc16_ccitt(const uint8_t *data, size_t length)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < length; i++) {
        crc ^= (uint16_t)data[i] << 8;
        for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

IROM static int kmp_needs_stuffing(uint8_t byte)
{
    return byte == 0x80 || byte == 0x40 || byte == 0x0D || byte == 0x06 || byte == 0x1B;
}

IROM static size_t kmp_stuff(const uint8_t *body, size_t length, uint8_t *out)
{
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        if (kmp_needs_stuffing(body[i])) {
            out[used++] = 0x1B;
            out[used++] = (uint8_t)~body[i];
        } else {
            out[used++] = body[i];
        }
    }
    return used;
}

IROM static size_t kmp_request(uint8_t *out)
{
    uint8_t body[3 + 2 * (sizeof(kmp_registers) / sizeof(kmp_registers[0])) + 2];
    size_t length = 0;
    body[length++] = 0x3F;
    body[length++] = 0x10;
    body[length++] = (uint8_t)(sizeof(kmp_registers) / sizeof(kmp_registers[0]));
    for (size_t i = 0; i < sizeof(kmp_registers) / sizeof(kmp_registers[0]); i++) {
        body[length++] = (uint8_t)(kmp_registers[i] >> 8);
        body[length++] = (uint8_t)kmp_registers[i];
    }
    uint16_t crc = meter_crc16_ccitt(body, length);
    body[length++] = (uint8_t)(crc >> 8);
    body[length++] = (uint8_t)crc;
    size_t used = 0;
    out[used++] = 0x80;
    used += kmp_stuff(body, length, out + used);
    out[used++] = 0x0D;
    return used;
}

#endif

#ifdef EN61107
IROM static size_t en61107_request(uint8_t *out)
{
    static const uint8_t sign_on[] = { '/', '?', '!', '\r', '\n' };
    for (size_t i = 0; i < sizeof(sign_on); i++) out[i] = sign_on[i];
    return sizeof(sign_on);
}

#endif

IROM size_t meter_build_request(uint32_t meter_type, uint8_t *out)
{
    switch (meter_type) {
#ifdef KMP
    case MLCF_METER_KMP: return kmp_request(out);
#endif
#ifdef EN61107
    case MLCF_METER_MC66C:
    case MLCF_METER_MC66B: return en61107_request(out);
#endif
    default: (void)out; return 0;
    }
}
