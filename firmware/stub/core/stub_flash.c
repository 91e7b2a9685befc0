/*
 * stub_flash.c: flash work shared by the commands: writing a session's bytes (erasing
 * exactly the sectors they land in, just before, with one 64 KiB block erase wherever a
 * whole aligned block of the session lies ahead), erasing a range, and staging flash
 * contents in RAM for MD5 and READ_FLASH.
 */
#include "stub.h"

#include "stub_protocol.h"

int stub_flash_range_ok(const struct stub *stub, uint32_t address, uint32_t size)
{
    return (uint64_t)address + size <= stub->flash_size;
}

int stub_flash_erase_range(struct stub *stub, uint32_t start, uint32_t end)
{
    for (uint64_t address = start; address < end;) {
        if (address % STUB_BLOCK_SIZE == 0 && end - address >= STUB_BLOCK_SIZE) {
            if (stub_hal_flash_erase_block(stub->port, (uint32_t)address)) return -1;
            address += STUB_BLOCK_SIZE;
        } else {
            if (stub_hal_flash_erase_sector(stub->port, (uint32_t)address)) return -1;
            address += STUB_SECTOR_SIZE;
        }
    }
    return 0;
}

/* Erases ahead of a write that ends at `end`: the sectors not erased yet, in blocks where
 * the session covers a whole aligned block from here. */
static int erase_ahead(struct stub *stub, uint64_t end)
{
    struct stub_flash_session *flash = &stub->flash;
    while (flash->erased_until < end) {
        uint64_t at = flash->erased_until;
        if (at % STUB_BLOCK_SIZE == 0 && flash->erase_end - at >= STUB_BLOCK_SIZE) {
            if (stub_hal_flash_erase_block(stub->port, (uint32_t)at)) return -1;
            flash->erased_until = at + STUB_BLOCK_SIZE;
        } else {
            if (stub_hal_flash_erase_sector(stub->port, (uint32_t)at)) return -1;
            flash->erased_until = at + STUB_SECTOR_SIZE;
        }
    }
    return 0;
}

/* Writes the next `count` bytes of the session (word aligned; only the session's last
 * piece may end off a word boundary, its last word is padded with 0xFF, which programs
 * nothing). Returns 0 or a stub error code. */
int stub_flash_session_write(struct stub *stub, const uint8_t *bytes, uint32_t count)
{
    struct stub_flash_session *flash = &stub->flash;
    if (count > flash->size - flash->written) return STUB_ERR_TOO_MUCH_DATA;
    uint32_t address = flash->offset + flash->written;
    if (erase_ahead(stub, (uint64_t)address + count)) return STUB_ERR_FAILED_SPI_OP;
    uint32_t whole = count & ~3u;
    if (whole && stub_hal_flash_write(stub->port, address, (const uint32_t *)(const void *)bytes, whole)) {
        return STUB_ERR_FAILED_SPI_OP;
    }
    if (count & 3u) {
        uint32_t word = 0xFFFFFFFFu;
        uint8_t *tail = (uint8_t *)&word;
        for (uint32_t i = 0; i < (count & 3u); i++) tail[i] = bytes[whole + i];
        if (stub_hal_flash_write(stub->port, address + whole, &word, 4u)) return STUB_ERR_FAILED_SPI_OP;
    }
    flash->written += count;
    return 0;
}

/* Reads `count` bytes at `address` (count <= STUB_MAX_READ_PACKET) into the window,
 * through whole aligned words; returns where they start, or NULL when the read failed. */
const uint8_t *stub_flash_stage(struct stub *stub, uint32_t address, uint32_t count)
{
    uint32_t first = address & ~3u;
    uint32_t length = (uint32_t)((((uint64_t)address + count + 3u) & ~(uint64_t)3u) - first);
    if (stub_hal_flash_read(stub->port, first, stub->window, length)) return 0;
    return (const uint8_t *)stub->window + (address - first);
}
