/*
 * stub_protocol.h: opcodes and error codes of the stub protocol (../PROTOCOL.md; the
 * values are those of esptool's loader.py, the reference for the facts).
 */
#ifndef STUB_PROTOCOL_H
#define STUB_PROTOCOL_H

enum stub_opcode {
    STUB_OP_FLASH_BEGIN = 0x02,
    STUB_OP_FLASH_DATA = 0x03,
    STUB_OP_FLASH_END = 0x04,
    STUB_OP_MEM_BEGIN = 0x05,
    STUB_OP_MEM_END = 0x06,
    STUB_OP_MEM_DATA = 0x07,
    STUB_OP_SYNC = 0x08,
    STUB_OP_WRITE_REG = 0x09,
    STUB_OP_READ_REG = 0x0A,
    STUB_OP_SPI_SET_PARAMS = 0x0B,
    STUB_OP_SPI_ATTACH = 0x0D,
    STUB_OP_CHANGE_BAUDRATE = 0x0F,
    STUB_OP_FLASH_DEFL_BEGIN = 0x10,
    STUB_OP_FLASH_DEFL_DATA = 0x11,
    STUB_OP_FLASH_DEFL_END = 0x12,
    STUB_OP_SPI_FLASH_MD5 = 0x13,
    STUB_OP_ERASE_FLASH = 0xD0,
    STUB_OP_ERASE_REGION = 0xD1,
    STUB_OP_READ_FLASH = 0xD2,
    STUB_OP_RUN_USER_CODE = 0xD3,
};

/* The `error` byte of a failed reply (status 1). */
enum stub_error {
    STUB_OK = 0x00,
    STUB_ERR_BAD_DATA_LEN = 0xC0,
    STUB_ERR_BAD_DATA_CHECKSUM = 0xC1,
    STUB_ERR_BAD_BLOCKSIZE = 0xC2,
    STUB_ERR_INVALID_COMMAND = 0xC3,
    STUB_ERR_FAILED_SPI_OP = 0xC4,
    STUB_ERR_FAILED_SPI_UNLOCK = 0xC5,
    STUB_ERR_NOT_IN_FLASH_MODE = 0xC6,
    STUB_ERR_INFLATE = 0xC7,
    STUB_ERR_NOT_ENOUGH_DATA = 0xC8,
    STUB_ERR_TOO_MUCH_DATA = 0xC9,
    STUB_ERR_CMD_NOT_IMPLEMENTED = 0xFF,
};

/* Request and reply directions (first byte of a frame). */
#define STUB_DIRECTION_REQUEST 0x00u
#define STUB_DIRECTION_REPLY 0x01u

/* Data checksums start from this seed (XOR of the data bytes). */
#define STUB_CHECKSUM_SEED 0xEFu

/* The greeting frame a started stub sends. */
#define STUB_GREETING "OHAI"

/* FLASH_END / FLASH_DEFL_END parameter: 0 reboots; any other value stays in the stub. */
#define STUB_END_REBOOT 0u

#endif
