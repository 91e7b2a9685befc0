/*
 * stub_host.c: starting and stopping the host stub (include/stub_host.h): the reader
 * thread that plays the UART interrupt, and the server thread that runs the core.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "host_port.h"
#include "../core/stub_protocol.h"

/* Bytes taken from the descriptor at a time (a UART FIFO is 128; more is fine here). */
#define READ_CHUNK 4096

static void *reader_main(void *argument)
{
    struct stub_port *port = argument;
    uint8_t buffer[READ_CHUNK];
    for (;;) {
        pthread_mutex_lock(&port->lock);
        int stop = port->stop;
        pthread_mutex_unlock(&port->lock);
        if (stop) break;
        struct pollfd waiter = { .fd = port->fd, .events = POLLIN };
        int ready = poll(&waiter, 1, 20);
        if (ready <= 0) continue;
        ssize_t count = read(port->fd, buffer, sizeof buffer);
        if (count > 0) {
            uint32_t completed = stub_rx_push(&port->stub->rx, buffer, (size_t)count);
            pthread_mutex_lock(&port->lock);
            port->counters.dropped_frames = port->stub->rx.dropped;
            if (completed) {
                port->frames_pushed += completed;
                pthread_cond_broadcast(&port->changed);
            }
            pthread_mutex_unlock(&port->lock);
        } else if (count < 0 && errno != EAGAIN && errno != EINTR) {
            /* EIO: no client has the other side open (a pty between clients). */
            struct timespec pause = { .tv_sec = 0, .tv_nsec = 5000000L };
            nanosleep(&pause, 0);
        }
    }
    return 0;
}

static int exit_reason(enum stub_exit exit)
{
    switch (exit) {
    case STUB_EXIT_REBOOT: return STUB_HOST_REBOOTED;
    case STUB_EXIT_RUN_USER_CODE: return STUB_HOST_RAN_USER_CODE;
    case STUB_EXIT_JUMP: return STUB_HOST_JUMPED;
    default: return STUB_HOST_STOPPED;
    }
}

static void *server_main(void *argument)
{
    struct stub_port *port = argument;
    stub_greet(port->stub);
    enum stub_exit exit = stub_serve(port->stub);
    pthread_mutex_lock(&port->lock);
    port->exit_reason = exit_reason(exit);
    pthread_cond_broadcast(&port->changed);
    pthread_mutex_unlock(&port->lock);
    return 0;
}

stub_host *stub_host_start(int fd, uint8_t *flash, size_t flash_size)
{
    struct stub_port *port = calloc(1, sizeof *port);
    if (!port) return 0;
    port->stub = calloc(1, sizeof *port->stub);
    if (!port->stub) {
        free(port);
        return 0;
    }
    port->fd = fd;
    port->flash = flash;
    port->flash_size = flash_size;
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    pthread_condattr_t condition;
    pthread_condattr_init(&condition);
    pthread_condattr_setclock(&condition, CLOCK_MONOTONIC);
    pthread_cond_init(&port->changed, &condition);
    pthread_condattr_destroy(&condition);
    pthread_mutex_init(&port->lock, 0);
    stub_init(port->stub, port);
    if (pthread_create(&port->reader, 0, reader_main, port) != 0) goto fail;
    if (pthread_create(&port->server, 0, server_main, port) != 0) {
        pthread_mutex_lock(&port->lock);
        port->stop = 1;
        pthread_mutex_unlock(&port->lock);
        pthread_join(port->reader, 0);
        goto fail;
    }
    return port;
fail:
    pthread_cond_destroy(&port->changed);
    pthread_mutex_destroy(&port->lock);
    free(port->stub);
    free(port);
    return 0;
}

void stub_host_stop(stub_host *port)
{
    if (!port) return;
    pthread_mutex_lock(&port->lock);
    port->stop = 1;
    pthread_cond_broadcast(&port->changed);
    pthread_mutex_unlock(&port->lock);
    pthread_join(port->server, 0);
    pthread_join(port->reader, 0);
    pthread_cond_destroy(&port->changed);
    pthread_mutex_destroy(&port->lock);
    free(port->stub);
    free(port);
}

void stub_host_get_counters(stub_host *port, stub_host_counters *counters)
{
    pthread_mutex_lock(&port->lock);
    *counters = port->counters;
    pthread_mutex_unlock(&port->lock);
}

int stub_host_wait_exit(stub_host *port, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&port->lock);
    while (port->exit_reason == STUB_HOST_RUNNING) {
        if (pthread_cond_timedwait(&port->changed, &port->lock, &until) == ETIMEDOUT) break;
    }
    int reason = port->exit_reason;
    pthread_mutex_unlock(&port->lock);
    return reason;
}

uint32_t stub_host_max_block_size(void)
{
    return STUB_MAX_BLOCK_SIZE;
}

uint32_t stub_host_max_window_bits(void)
{
    return STUB_MAX_WINDOW_BITS;
}
