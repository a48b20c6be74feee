/* tinyml firmware support for emulated boards (QEMU): text output and the exit status
 * through semihosting, instruction-count markers, stack measurement.
 *
 * A firmware defines `int main(void)`; the board's startup code copies .data, zeroes
 * .bss, enables the FPU where the target has one, paints the stack, runs static
 * constructors, calls main and passes its return value to tinyml_fw_exit(). The host
 * library (include/tinyml/deploy/firmware.hpp) builds and runs such firmware.
 *
 * C99 or C++; no heap, no libc: only <stddef.h> and <stdint.h>. See firmware/README.md.
 */
#ifndef TINYML_FW_H
#define TINYML_FW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Text output to the host (QEMU's semihosting console), buffered by line. */
void tinyml_fw_write(const char* text, size_t length);
void tinyml_fw_puts(const char* text); /* no newline added */
void tinyml_fw_put_u32(uint32_t value); /* decimal */
void tinyml_fw_put_i32(int32_t value);  /* decimal, with '-' when negative */
void tinyml_fw_put_hex32(uint32_t value); /* 8 lower-case hex digits */
void tinyml_fw_put_hex_bytes(const void* bytes, size_t count); /* 2 hex digits a byte */
void tinyml_fw_flush(void);

/* Instruction counting: the host's QEMU plugin counts the instructions executed from
 * the entry of tinyml_fw_mark_begin to the entry of the next tinyml_fw_mark_end, once per
 * pair (at most 64 pairs). Each count includes the markers' own few instructions; an empty
 * region measures that overhead. Without the plugin they do nothing. */
void tinyml_fw_mark_begin(void);
void tinyml_fw_mark_end(void);

/* Ends the firmware: flushes the output, reports the stack's peak use and passes `status`
 * (0..255) to QEMU as its exit code (semihosting SYS_EXIT_EXTENDED). Never returns. */
#ifdef __cplusplus
[[noreturn]]
#else
_Noreturn
#endif
void tinyml_fw_exit(int status);

/* The exit status after a CPU fault (the firmware also prints which). */
#define TINYML_FW_FAULT_STATUS 120

#ifdef __cplusplus
}
#endif

#endif /* TINYML_FW_H */
