/* What the common support code (fw_support.c) and each architecture's startup code
 * (arm/startup.c, riscv/startup.c) provide each other. Not for firmware code. */
#ifndef TINYML_FW_INTERNAL_H
#define TINYML_FW_INTERNAL_H

#include <stdint.h>

#include "tinyml_fw.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Semihosting operations (Arm's semihosting specification, also used on RISC-V). */
#define TINYML_SH_WRITE0 0x04u
#define TINYML_SH_EXIT_EXTENDED 0x20u
#define TINYML_SH_APPLICATION_EXIT 0x20026u

/* Architecture: one semihosting call (the operation, a pointer to its argument block or
 * string); the host's answer. */
uintptr_t tinyml_fw_semihost(uintptr_t operation, const void* argument);
/* Architecture: the current stack pointer. */
uintptr_t tinyml_fw_stack_pointer(void);

/* Common: run by the reset code once a stack exists (and the FPU is on). Copies .data,
 * zeroes .bss, paints the stack, runs constructors, calls main, exits. */
#ifdef __cplusplus
[[noreturn]]
#else
_Noreturn
#endif
void tinyml_fw_start(void);

/* Common: reports a CPU fault (`what`, and one register worth printing) and exits with
 * TINYML_FW_FAULT_STATUS. */
#ifdef __cplusplus
[[noreturn]]
#else
_Noreturn
#endif
void tinyml_fw_fault(const char* what, uint32_t detail);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_FW_INTERNAL_H */
