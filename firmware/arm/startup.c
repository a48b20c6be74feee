/* Reset and fault handling for Cortex-M (ARMv7-M and ARMv8-M, with or without an FPU).
 *
 * The vector table holds the initial stack pointer and the reset handler; the hardware
 * loads both at reset (from VTOR's reset value: the start of the board's code memory,
 * where the linker script puts .vectors). Every exception other than reset is a fault
 * here: the firmware enables no interrupt. */
#include <stdint.h>

#include "fw_internal.h"

extern uint32_t __stack_top[];

#define TINYML_SCB_CPACR (*(volatile uint32_t*)0xe000ed88u)
#define TINYML_SCB_CFSR (*(volatile uint32_t*)0xe000ed28u)

uintptr_t tinyml_fw_semihost(uintptr_t operation, const void* argument) {
  register uintptr_t r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

uintptr_t tinyml_fw_stack_pointer(void) {
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

__attribute__((noreturn)) void tinyml_fw_reset(void) {
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  /* Full access to coprocessors 10 and 11 (the FPU, and MVE on Cortex-M55) before any
   * floating-point or vector instruction runs. */
  TINYML_SCB_CPACR |= 0xfu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  tinyml_fw_start();
}

static void fault(void) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  /* IPSR: the exception number (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault,
   * 7 SecureFault); the configurable fault status register tells more. */
  tinyml_fw_fault(ipsr == 3 ? "HardFault, CFSR" : "exception, CFSR", TINYML_SCB_CFSR);
}

typedef void (*tinyml_fw_vector)(void);

/* 16 system exceptions; no external interrupt is used. */
__attribute__((section(".vectors"), used)) const tinyml_fw_vector tinyml_fw_vectors[16] = {
    (tinyml_fw_vector)(uintptr_t)__stack_top,
    tinyml_fw_reset,
    fault, /* NMI */
    fault, /* HardFault */
    fault, /* MemManage */
    fault, /* BusFault */
    fault, /* UsageFault */
    fault, /* SecureFault (ARMv8-M) */
    0,     0, 0,
    fault, /* SVCall */
    fault, /* DebugMonitor */
    0,
    fault, /* PendSV */
    fault, /* SysTick */
};
