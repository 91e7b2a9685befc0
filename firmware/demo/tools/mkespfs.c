/*
 * mkespfs.c: writes an espfs archive (the read-only file system the MeterLogger web UI
 * is served from) of the files named on the command line. A host tool: the Makefile
 * builds it with the host cc.
 *
 *   mkespfs OUTPUT ROOT FILE...      FILE paths are relative to ROOT and stored as given
 *
 * Format (all integers little endian), per file in command-line order:
 *   u32 magic 0x73665345 (the bytes "ESfs")
 *   u8  flags: 0 (bit 0 marks the end header, bit 1 would mean gzip)
 *   u8  compression: 0 (stored)
 *   u16 name length: strlen(name) + 1 rounded up to a multiple of 4
 *   u32 stored size, u32 original size (equal without compression)
 *   the name, NUL, zero padding to the name length
 *   the data, zero padding to a multiple of 4
 * then an end header: the magic, flags 1, compression 0, name length 0, sizes 0.
 * No timestamps or modes are stored, so the same files give the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ESPFS_MAGIC 0x73665345u
#define ESPFS_FLAG_LASTFILE 0x01u

static void fail(const char *what, const char *path)
{
    fprintf(stderr, "mkespfs: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void put_u16(FILE *out, uint16_t value)
{
    fputc(value & 0xFF, out);
    fputc(value >> 8, out);
}

static void put_u32(FILE *out, uint32_t value)
{
    for (int i = 0; i < 4; i++) fputc((value >> (8 * i)) & 0xFF, out);
}

static void put_zeros(FILE *out, size_t count)
{
    while (count-- > 0) fputc(0, out);
}

static void put_header(FILE *out, uint8_t flags, uint16_t name_length, uint32_t size)
{
    put_u32(out, ESPFS_MAGIC);
    fputc(flags, out);
    fputc(0, out); /* compression: none */
    put_u16(out, name_length);
    put_u32(out, size);
    put_u32(out, size);
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *in = fopen(path, "rb");
    if (!in) fail("cannot open", path);
    size_t capacity = 4096, used = 0;
    unsigned char *data = malloc(capacity);
    if (!data) fail("out of memory reading", path);
    for (;;) {
        size_t got = fread(data + used, 1, capacity - used, in);
        used += got;
        if (used < capacity) break;
        capacity *= 2;
        data = realloc(data, capacity);
        if (!data) fail("out of memory reading", path);
    }
    if (ferror(in)) fail("cannot read", path);
    fclose(in);
    *size = used;
    return data;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mkespfs OUTPUT ROOT FILE...\n");
        return 2;
    }
    const char *output = argv[1], *root = argv[2];
    FILE *out = fopen(output, "wb");
    if (!out) fail("cannot create", output);
    for (int i = 3; i < argc; i++) {
        const char *name = argv[i];
        size_t name_size = strlen(name) + 1;
        size_t name_length = (name_size + 3) & ~(size_t)3;
        if (name_length > 0xFFFF) {
            fprintf(stderr, "mkespfs: name too long: %s\n", name);
            return 1;
        }
        size_t path_size = strlen(root) + 1 + strlen(name) + 1;
        char *path = malloc(path_size);
        if (!path) fail("out of memory for", name);
        snprintf(path, path_size, "%s/%s", root, name);
        size_t size;
        unsigned char *data = read_file(path, &size);
        if (size > 0xFFFFFFFFu) {
            fprintf(stderr, "mkespfs: file too large: %s\n", path);
            return 1;
        }
        put_header(out, 0, (uint16_t)name_length, (uint32_t)size);
        fwrite(name, 1, name_size, out);
        put_zeros(out, name_length - name_size);
        fwrite(data, 1, size, out);
        put_zeros(out, (4 - size % 4) % 4);
        free(data);
        free(path);
    }
    put_header(out, ESPFS_FLAG_LASTFILE, 0, 0);
    if (fclose(out) != 0) fail("cannot write", output);
    return 0;
}
