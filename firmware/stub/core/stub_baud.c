/*
 * stub_baud.c: the UART divider arithmetic (stub_baud.h). The product of a divider and a
 * rate needs more than 32 bits, and the lx106's libgcc has no 64-bit division, so the
 * scaling is done by hand with shifts and adds.
 */
#include "stub_baud.h"

/* (a × b + c / 2) / c for c > 0, saturating at 0xFFFFFFFF. */
static uint32_t scale_rounded(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t product = 0, addend = a;
    for (uint32_t bits = b; bits; bits >>= 1, addend <<= 1) {
        if (bits & 1u) product += addend;
    }
    product += c / 2u;
    uint64_t remainder = 0;
    uint32_t quotient = 0;
    for (int bit = 63; bit >= 0; bit--) {
        remainder = (remainder << 1) | ((product >> bit) & 1u);
        if (remainder >= c) {
            remainder -= c;
            if (bit >= 32) return 0xFFFFFFFFu;
            quotient |= 1u << bit;
        }
    }
    return quotient;
}

uint32_t stub_baud_divider(uint32_t current_divider, uint32_t old_baud, uint32_t new_baud)
{
    if (new_baud == 0) return 0;
    current_divider &= STUB_UART_DIVIDER_MASK;
    uint32_t divider = old_baud && current_divider ? scale_rounded(current_divider, old_baud, new_baud)
                                                   : scale_rounded(STUB_UART_CLOCK_HZ, 1u, new_baud);
    return divider >= 1u && divider <= STUB_UART_DIVIDER_MASK ? divider : 0;
}
