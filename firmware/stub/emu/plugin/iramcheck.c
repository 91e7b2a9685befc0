/*
 * iramcheck.c: a QEMU TCG plugin for the emulated LX106 (see ../../README.md).
 *
 * 1. Every 1- or 2-byte load or store to 0x40000000–0x402FFFFF (mask ROM, IRAM, flash
 *    cache window) is reported with its PC and instruction: on an ESP8266 these raise a
 *    LoadStoreError (only 32-bit accesses reach instruction RAM), QEMU allows them.
 * 2. The lowest store address in the stub's stack range (stack_low..stack_top) gives the
 *    stack depth, independently of the ROM's painted-stack measurement.
 *
 *   -plugin file=iramcheck.so,out=PATH[,start=ENTRY][,stack_low=0x3FFFC000,stack_top=0x3FFFFD00]
 *
 * Writes one "IRAM-VIOLATION pc=… addr=… size=… store=… insn=…" line per distinct PC
 * (count included) and a closing "IRAMCHECK violations=N sites=M stack_depth=D" to PATH.
 *
 * Debian's QEMU 7.2 supports plugins but ships no qemu-plugin.h, so the handful of calls
 * of the plugin API (version 1) used here are declared below, as QEMU 7.2 defines them.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the plugin API of QEMU 7.2 (version 1), declared by hand ---- */
typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *userdata);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags,
                                            void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- state ---- */
#define CHECK_LOW 0x40000000u
#define CHECK_END 0x40300000u
#define MAX_SITES 256

struct site {
    uint32_t pc, address, size, store;
    uint64_t count;
    char insn[48];
};
static struct site sites[MAX_SITES];
static size_t site_count;
static uint64_t violations;
static uint32_t stack_low = 0x3FFFC000u, stack_top = 0x3FFFFD00u, lowest_store = 0xFFFFFFFFu;
/* The stub's entry point: the depth counts from when it first runs (the ROM paints the
 * stack before, which is no use of it). 0: from the start. */
static uint32_t start_pc;
static bool started;
static FILE *out;

/* What one instruction is, for the report. */
struct insn_info {
    uint32_t pc;
    char disas[48];
};

static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata)
{
    (void)vcpu;
    const struct insn_info *insn = userdata;
    uint32_t address = (uint32_t)vaddr;
    bool store = qemu_plugin_mem_is_store(info);
    if (store && started && address >= stack_low && address < stack_top && address < lowest_store) lowest_store = address;
    unsigned size = 1u << qemu_plugin_mem_size_shift(info);
    if (size >= 4 || address < CHECK_LOW || address >= CHECK_END) return;
    violations++;
    for (size_t i = 0; i < site_count; i++) {
        if (sites[i].pc == insn->pc) {
            sites[i].count++;
            return;
        }
    }
    if (site_count == MAX_SITES) return;
    struct site *site = &sites[site_count++];
    site->pc = insn->pc;
    site->address = address;
    site->size = size;
    site->store = store;
    site->count = 1;
    snprintf(site->insn, sizeof site->insn, "%s", insn->disas);
}

static void on_start(unsigned int vcpu, void *userdata)
{
    (void)vcpu, (void)userdata;
    if (!started) lowest_store = 0xFFFFFFFFu;
    started = true;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        /* One record per translation (kept for the run: translations are few here). */
        struct insn_info *record = calloc(1, sizeof *record);
        if (!record) return;
        record->pc = (uint32_t)qemu_plugin_insn_vaddr(insn);
        char *disas = qemu_plugin_insn_disas(insn);
        if (disas) {
            snprintf(record->disas, sizeof record->disas, "%s", disas);
            free(disas);
        }
        if (start_pc && record->pc == start_pc) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_mem_cb(insn, on_access, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, record);
    }
}

static void on_atexit(qemu_plugin_id_t id, void *userdata)
{
    (void)id, (void)userdata;
    if (!out) return;
    for (size_t i = 0; i < site_count; i++) {
        const struct site *s = &sites[i];
        fprintf(out, "IRAM-VIOLATION pc=0x%08" PRIx32 " addr=0x%08" PRIx32 " size=%" PRIu32 " store=%" PRIu32 " count=%" PRIu64 " insn=\"%s\"\n",
                s->pc, s->address, s->size, s->store, s->count, s->insn);
    }
    uint32_t depth = lowest_store == 0xFFFFFFFFu ? 0 : stack_top - lowest_store;
    fprintf(out, "IRAMCHECK violations=%" PRIu64 " sites=%zu stack_depth=%" PRIu32 "\n", violations, site_count, depth);
    fclose(out);
    out = NULL;
}

static int option(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    return 0;
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    const char *path = NULL, *value;
    for (int i = 0; i < argc; i++) {
        if (option(argv[i], "out", &value)) path = value;
        else if (option(argv[i], "stack_low", &value)) stack_low = (uint32_t)strtoul(value, NULL, 0);
        else if (option(argv[i], "stack_top", &value)) stack_top = (uint32_t)strtoul(value, NULL, 0);
        else if (option(argv[i], "start", &value)) start_pc = (uint32_t)strtoul(value, NULL, 0);
        else return -1;
    }
    started = start_pc == 0;
    out = path ? fopen(path, "w") : stderr;
    if (!out) return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
    return 0;
}
