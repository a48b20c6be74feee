/* Reset and trap handling for RV32 in machine mode (QEMU's virt board, started with
 * -bios none: its reset code jumps to the start of RAM, where the linker script puts
 * .text.start). */
#include <stdint.h>

#include "fw_internal.h"

/* The only code without a stack: sets the global pointer (for gp-relative accesses to
 * small data) and the stack pointer, then continues in C. */
__attribute__((naked, section(".text.start"), used)) void tinyml_fw_entry(void) {
  __asm__ volatile(
      ".option push\n\t"
      ".option norelax\n\t"
      "la gp, __global_pointer$\n\t"
      ".option pop\n\t"
      "la sp, __stack_top\n\t"
      "j tinyml_fw_reset\n\t");
}

/* A semihosting call is `ebreak` between two marker instructions, all uncompressed and
 * on one page (RISC-V semihosting specification). */
__attribute__((noinline)) uintptr_t tinyml_fw_semihost(uintptr_t operation,
                                                       const void* argument) {
  register uintptr_t a0 __asm__("a0") = operation;
  register const void* a1 __asm__("a1") = argument;
  __asm__ volatile(
      ".option push\n\t"
      ".option norvc\n\t"
      ".balign 16\n\t"
      "slli zero, zero, 0x1f\n\t"
      "ebreak\n\t"
      "srai zero, zero, 7\n\t"
      ".option pop"
      : "+r"(a0)
      : "r"(a1)
      : "memory");
  return a0;
}

uintptr_t tinyml_fw_stack_pointer(void) {
  uintptr_t sp;
  __asm__ volatile("mv %0, sp" : "=r"(sp));
  return sp;
}

/* Every trap is a fault: no interrupt is enabled. mtvec needs 4-byte alignment. */
__attribute__((aligned(4), noreturn)) static void trap(void) {
  uint32_t cause;
  __asm__ volatile("csrr %0, mcause" : "=r"(cause));
  tinyml_fw_fault("trap, mcause", cause);
}

__attribute__((noreturn, used)) void tinyml_fw_reset(void) {
  __asm__ volatile("csrw mtvec, %0" ::"r"((uintptr_t)trap));
#ifdef __riscv_flen
  /* mstatus.FS = Initial: floating-point instructions are allowed from here on. */
  __asm__ volatile("csrs mstatus, %0" ::"r"((uintptr_t)1u << 13));
#endif
  tinyml_fw_start();
}
