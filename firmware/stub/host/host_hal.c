/*
 * host_hal.c: core/stub_hal.h on the host. The UART is a file descriptor, the flash a
 * memory array with NOR semantics (erase sets 0xFF, programming ANDs bits), registers a
 * small table, and leaving the stub ends the request loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host_port.h"

/* ESP8266 chip-detect register and its value (esptool's CHIP_DETECT_MAGIC_VALUE). */
#define CHIP_DETECT_ADDRESS 0x40001000u
#define CHIP_DETECT_VALUE 0xFFF0C101u
/* UART0 clock divider (ESP8266 TRM): bus clock / baud; 451 is 115200 baud from 52 MHz,
 * which esptool reads to estimate the crystal. */
#define UART_CLKDIV_ADDRESS 0x60000014u
#define UART_CLKDIV_VALUE 451u
/* SPI0 command register (ESP8266 TRM): a command has finished when it reads 0; the host
 * has no SPI controller, so every command is finished at once. */
#define SPI_CMD_ADDRESS 0x60000200u
/* How long one wait for the line lasts before the stop flag is looked at again. */
#define WAIT_SLICE_NS 20000000L

static int stopping(struct stub_port *port)
{
    pthread_mutex_lock(&port->lock);
    int stop = port->stop;
    pthread_mutex_unlock(&port->lock);
    return stop;
}

void stub_hal_uart_write(struct stub_port *port, const uint8_t *bytes, size_t count)
{
    while (count > 0) {
        ssize_t done = write(port->fd, bytes, count);
        if (done > 0) {
            bytes += done;
            count -= (size_t)done;
            continue;
        }
        if (done < 0 && errno == EINTR) continue;
        if (done < 0 && errno == EAGAIN) {
            if (stopping(port)) return;
            struct pollfd waiter = { .fd = port->fd, .events = POLLOUT };
            poll(&waiter, 1, 20);
            continue;
        }
        return; /* EIO: no client on the other side; the bytes fall off the cable */
    }
}

void stub_hal_uart_flush(struct stub_port *port)
{
    (void)port; /* write() hands the bytes to the kernel at once */
}

uint32_t stub_hal_uart_divider(struct stub_port *port)
{
    return stub_hal_read_reg(port, UART_CLKDIV_ADDRESS);
}

void stub_hal_set_uart_divider(struct stub_port *port, uint32_t divider, uint32_t baud)
{
    stub_hal_write_reg(port, UART_CLKDIV_ADDRESS, divider);
    pthread_mutex_lock(&port->lock);
    port->counters.baud = baud;
    pthread_mutex_unlock(&port->lock);
}

int stub_hal_wait(struct stub_port *port)
{
    pthread_mutex_lock(&port->lock);
    if (!port->stop && port->frames_pushed == port->frames_seen) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WAIT_SLICE_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&port->changed, &port->lock, &until);
    }
    port->frames_seen = port->frames_pushed;
    int stop = port->stop;
    pthread_mutex_unlock(&port->lock);
    return stop;
}

static int in_flash(struct stub_port *port, uint32_t address, uint32_t length)
{
    return (size_t)address <= port->flash_size && (size_t)length <= port->flash_size - address;
}

int stub_hal_flash_unlock(struct stub_port *port)
{
    (void)port;
    return 0;
}

static int erase(struct stub_port *port, uint32_t address, uint32_t length, uint64_t *counter)
{
    if (!in_flash(port, address, length)) return -1;
    memset(port->flash + address, 0xFF, length);
    pthread_mutex_lock(&port->lock);
    (*counter)++;
    pthread_mutex_unlock(&port->lock);
    return 0;
}

int stub_hal_flash_erase_sector(struct stub_port *port, uint32_t address)
{
    if (address % STUB_SECTOR_SIZE) return -1;
    return erase(port, address, STUB_SECTOR_SIZE, &port->counters.sector_erases);
}

int stub_hal_flash_erase_block(struct stub_port *port, uint32_t address)
{
    if (address % STUB_BLOCK_SIZE) return -1;
    return erase(port, address, STUB_BLOCK_SIZE, &port->counters.block_erases);
}

int stub_hal_flash_erase_chip(struct stub_port *port)
{
    return erase(port, 0, (uint32_t)port->flash_size, &port->counters.chip_erases);
}

int stub_hal_flash_write(struct stub_port *port, uint32_t address, const uint32_t *words, uint32_t length)
{
    if (address % 4u || length % 4u || ((uintptr_t)words & 3u) || !in_flash(port, address, length)) return -1;
    const uint8_t *bytes = (const uint8_t *)words;
    uint64_t unerased = 0;
    for (uint32_t i = 0; i < length; i++) {
        uint8_t old = port->flash[address + i];
        if ((old & bytes[i]) != bytes[i]) unerased++;
        port->flash[address + i] = old & bytes[i];
    }
    pthread_mutex_lock(&port->lock);
    port->counters.bytes_written += length;
    port->counters.unerased_writes += unerased;
    pthread_mutex_unlock(&port->lock);
    return 0;
}

int stub_hal_flash_read(struct stub_port *port, uint32_t address, uint32_t *words, uint32_t length)
{
    if (address % 4u || length % 4u || !in_flash(port, address, length)) return -1;
    memcpy(words, port->flash + address, length);
    pthread_mutex_lock(&port->lock);
    port->counters.bytes_read += length;
    pthread_mutex_unlock(&port->lock);
    return 0;
}

int stub_hal_flash_set_params(struct stub_port *port, const uint32_t params[6])
{
    (void)port;
    (void)params; /* the array's size is the flash size here */
    return 0;
}

uint32_t stub_hal_read_reg(struct stub_port *port, uint32_t address)
{
    if (address == CHIP_DETECT_ADDRESS) return CHIP_DETECT_VALUE;
    if (address == SPI_CMD_ADDRESS) return 0;
    for (unsigned i = 0; i < port->register_count; i++) {
        if (port->register_address[i] == address) return port->register_value[i];
    }
    return address == UART_CLKDIV_ADDRESS ? UART_CLKDIV_VALUE : 0;
}

void stub_hal_write_reg(struct stub_port *port, uint32_t address, uint32_t value)
{
    for (unsigned i = 0; i < port->register_count; i++) {
        if (port->register_address[i] == address) {
            port->register_value[i] = value;
            return;
        }
    }
    if (port->register_count < HOST_REGISTERS) {
        port->register_address[port->register_count] = address;
        port->register_value[port->register_count++] = value;
    }
}

void stub_hal_mem_write(struct stub_port *port, uint32_t address, const uint8_t *bytes, uint32_t count)
{
    (void)address;
    (void)bytes;
    pthread_mutex_lock(&port->lock);
    port->counters.mem_bytes += count;
    pthread_mutex_unlock(&port->lock);
}

void stub_hal_delay_us(struct stub_port *port, uint32_t microseconds)
{
    (void)port;
    struct timespec pause = { .tv_sec = 0, .tv_nsec = (long)(microseconds < 10000u ? microseconds : 10000u) * 1000L };
    nanosleep(&pause, 0);
}

void stub_hal_reboot(struct stub_port *port)
{
    (void)port; /* the request loop ends (stub->exit is set) */
}

void stub_hal_run_user_code(struct stub_port *port)
{
    (void)port;
}

void stub_hal_jump(struct stub_port *port, uint32_t entry)
{
    pthread_mutex_lock(&port->lock);
    port->counters.jump_entry = entry;
    pthread_mutex_unlock(&port->lock);
}
