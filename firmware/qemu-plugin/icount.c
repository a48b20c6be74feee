/* A QEMU TCG plugin that counts the guest instructions executed between two marker
 * functions, exactly: every translated instruction gets an inline "add 1" to a counter,
 * and the first instruction of each marker gets a callback that reads the counter. A
 * region runs from the entry of the begin marker to the entry of the next end marker.
 *
 *   qemu-system-arm ... -plugin libtinyml_qemu_icount.so,begin=0x1a2,end=0x1b0,out=FILE
 *
 * At exit it writes to FILE (or to QEMU's log with -d plugin, without out=):
 *   tinyml-icount region <i> <instructions>     one line per completed region
 *   tinyml-icount total <instructions>          the sum over regions
 *   tinyml-icount all <instructions>            everything the guest executed
 *
 * Debian's QEMU packages ship no plugin header, so the few functions and types used
 * are declared here as QEMU 7.2 defines them (plugin API version 1). One vCPU. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU plugin API (version 1), the part this plugin uses ------------------------- */

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void* userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb* tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn* insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn* insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void* userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn* insn,
                                                enum qemu_plugin_op op, void* ptr,
                                                uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void* userdata);
void qemu_plugin_outs(const char* string);

#define TINYML_EXPORT __attribute__((visibility("default")))

TINYML_EXPORT int qemu_plugin_version = 1;

/* ---- State --------------------------------------------------------------------------- */

#define MAX_REGIONS 64

static uint64_t begin_addr, end_addr;
static char out_path[4096];
static uint64_t executed; /* every guest instruction, by the inline adds */
static uint64_t region_start;
static int inside;
static uint64_t regions[MAX_REGIONS];
static unsigned region_count, regions_dropped;

static void on_begin(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  (void)userdata;
  if (!inside) { /* a second begin before an end keeps the first */
    inside = 1;
    region_start = executed;
  }
}

static void on_end(unsigned int vcpu, void* userdata) {
  (void)vcpu;
  (void)userdata;
  if (!inside) return;
  inside = 0;
  if (region_count < MAX_REGIONS) {
    regions[region_count++] = executed - region_start;
  } else {
    ++regions_dropped;
  }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
    /* The callback and the inline add of one instruction run in the same order at both
     * markers, so each difference counts the instructions from one marker's entry to the
     * other's, exactly. */
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
    uint64_t pc = qemu_plugin_insn_vaddr(insn);
    if (pc == begin_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
    } else if (pc == end_addr) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
  }
}

static void report(qemu_plugin_id_t id, void* userdata) {
  (void)id;
  (void)userdata;
  char line[128];
  FILE* out = out_path[0] != '\0' ? fopen(out_path, "w") : NULL;
  uint64_t total = 0;
  for (unsigned i = 0; i <= region_count + 2; ++i) {
    if (i < region_count) {
      total += regions[i];
      snprintf(line, sizeof line, "tinyml-icount region %u %" PRIu64 "\n", i, regions[i]);
    } else if (i == region_count) {
      snprintf(line, sizeof line, "tinyml-icount total %" PRIu64 "\n", total);
    } else if (i == region_count + 1) {
      snprintf(line, sizeof line, "tinyml-icount all %" PRIu64 "\n", executed);
    } else if (regions_dropped != 0) {
      snprintf(line, sizeof line, "tinyml-icount dropped %u\n", regions_dropped);
    } else {
      continue;
    }
    if (out != NULL) {
      fputs(line, out);
    } else {
      qemu_plugin_outs(line);
    }
  }
  if (out != NULL) fclose(out);
}

/* Arguments: begin=ADDR, end=ADDR (hex with 0x, or decimal), out=FILE. */
TINYML_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void* info, int argc,
                                      char** argv) {
  (void)info;
  int have_begin = 0, have_end = 0;
  for (int i = 0; i < argc; ++i) {
    const char* arg = argv[i];
    if (strncmp(arg, "begin=", 6) == 0) {
      begin_addr = strtoull(arg + 6, NULL, 0);
      have_begin = 1;
    } else if (strncmp(arg, "end=", 4) == 0) {
      end_addr = strtoull(arg + 4, NULL, 0);
      have_end = 1;
    } else if (strncmp(arg, "out=", 4) == 0 && strlen(arg + 4) < sizeof out_path) {
      strcpy(out_path, arg + 4);
    } else {
      fprintf(stderr, "tinyml-icount: unknown argument '%s' (begin=, end=, out=)\n", arg);
      return -1;
    }
  }
  if (!have_begin || !have_end || begin_addr == end_addr) {
    fprintf(stderr, "tinyml-icount: needs begin=ADDR and end=ADDR, two different addresses\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, report, NULL);
  return 0;
}
