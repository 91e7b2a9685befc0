/*
 * host_port.h: the host machine behind the core: a descriptor, a flash array, two threads.
 */
#ifndef HOST_PORT_H
#define HOST_PORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/stub.h"
#include "include/stub_host.h"

/* Registers a test may write and read back (besides the fixed chip-detect word). */
#define HOST_REGISTERS 16

struct stub_port {
    int fd;
    uint8_t *flash;
    size_t flash_size;
    struct stub *stub;
    pthread_t reader;
    pthread_t server;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int stop;                /* under lock */
    uint64_t frames_pushed;  /* under lock */
    uint64_t frames_seen;    /* server thread only */
    int exit_reason;         /* under lock */
    stub_host_counters counters; /* under lock */
    uint32_t register_address[HOST_REGISTERS];
    uint32_t register_value[HOST_REGISTERS];
    unsigned register_count;
};

#endif
