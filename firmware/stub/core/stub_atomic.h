/*
 * stub_atomic.h: publishing an index between the receiver and the core. On the host they
 * are two threads (C11 memory model through GCC/Clang builtins); on the chip the receiver
 * is an interrupt on the one core, so a volatile word access behind a compiler barrier
 * and MEMW (Xtensa's memory ordering instruction) is enough.
 */
#ifndef STUB_ATOMIC_H
#define STUB_ATOMIC_H

#include <stdint.h>

#if defined(__XTENSA__)
static inline uint32_t stub_load_acquire(const uint32_t *word)
{
    uint32_t value = *(const volatile uint32_t *)word;
    __asm__ __volatile__("memw" ::: "memory");
    return value;
}
static inline void stub_store_release(uint32_t *word, uint32_t value)
{
    __asm__ __volatile__("memw" ::: "memory");
    *(volatile uint32_t *)word = value;
}
#else
static inline uint32_t stub_load_acquire(const uint32_t *word)
{
    return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}
static inline void stub_store_release(uint32_t *word, uint32_t value)
{
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
}
#endif

#endif
