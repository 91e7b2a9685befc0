/*
 * stub_tx.c: sending SLIP frames and replies. Reply layout (as the ESP8266 ROM's, see
 * ../PROTOCOL.md): 01, opcode, u16 length of what follows the value, u32 value, data,
 * then two status bytes: 00 00 on success, the error code and 00 on failure (as
 * esptool's stubs send them; the ROM sends 01 and the code instead).
 */
#include "stub.h"

#define SLIP_END 0xC0u
#define SLIP_ESC 0xDBu
#define SLIP_ESC_END 0xDCu
#define SLIP_ESC_ESC 0xDDu

/* Bytes staged before each UART write. */
#define TX_STAGE 64u

void stub_send_frame(struct stub *stub, const uint8_t *bytes, uint32_t count)
{
    uint8_t stage[TX_STAGE];
    uint32_t used = 0;
    stage[used++] = SLIP_END;
    for (uint32_t i = 0; i < count; i++) {
        if (used > TX_STAGE - 2u) {
            stub_hal_uart_write(stub->port, stage, used);
            used = 0;
        }
        uint8_t byte = bytes[i];
        if (byte == SLIP_END) {
            stage[used++] = SLIP_ESC;
            stage[used++] = SLIP_ESC_END;
        } else if (byte == SLIP_ESC) {
            stage[used++] = SLIP_ESC;
            stage[used++] = SLIP_ESC_ESC;
        } else {
            stage[used++] = byte;
        }
    }
    if (used > TX_STAGE - 1u) {
        stub_hal_uart_write(stub->port, stage, used);
        used = 0;
    }
    stage[used++] = SLIP_END;
    stub_hal_uart_write(stub->port, stage, used);
}

void stub_reply(struct stub *stub, uint8_t opcode, uint32_t value, const uint8_t *data, uint32_t count,
                uint8_t error, int keep_frame)
{
    /* Replies carry at most an MD5 digest. */
    uint8_t reply[8u + 16u + 2u];
    if (count > 16u) count = 16u;
    uint32_t length = count + 2u;
    reply[0] = 0x01u;
    reply[1] = opcode;
    reply[2] = (uint8_t)length;
    reply[3] = (uint8_t)(length >> 8);
    for (unsigned i = 0; i < 4; i++) reply[4 + i] = (uint8_t)(value >> (8u * i));
    for (uint32_t i = 0; i < count; i++) reply[8 + i] = data[i];
    reply[8 + count] = error;
    reply[9 + count] = 0u;
    if (!keep_frame) stub_release_frame(stub);
    stub_send_frame(stub, reply, 10u + count);
}
