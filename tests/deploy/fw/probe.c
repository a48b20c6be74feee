/* Firmware that checks the board support itself:
 *   region 0: the markers alone (their overhead);
 *   region 1: spin(1000), region 2: spin(2000): a loop of exactly two instructions per
 *   iteration, so region 2 - region 1 = 2000 instructions exactly;
 *   a 1 KiB stack buffer, so the measured stack peak is between 1 and 2 KiB;
 *   the exit status PROBE_STATUS (3 unless defined otherwise). */
#include "tinyml_fw.h"

#ifndef PROBE_STATUS
#define PROBE_STATUS 3
#endif

/* In assembly, so that no compiler choice changes the loop. n >= 1. */
__attribute__((noinline)) static void spin(uint32_t n) {
#if defined(__arm__)
  __asm__ volatile("1:\n\tsubs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
#elif defined(__riscv)
  __asm__ volatile("1:\n\taddi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
#else
#error "unknown architecture"
#endif
}

__attribute__((noinline)) static uint32_t use_stack(uint32_t seed) {
  volatile uint8_t buffer[1024];
  for (uint32_t i = 0; i < sizeof buffer; ++i) buffer[i] = (uint8_t)(seed + i);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < sizeof buffer; i += 64) sum += buffer[i];
  return sum;
}

int main(void) {
  tinyml_fw_mark_begin();
  tinyml_fw_mark_end();
  tinyml_fw_mark_begin();
  spin(1000);
  tinyml_fw_mark_end();
  tinyml_fw_mark_begin();
  spin(2000);
  tinyml_fw_mark_end();
  tinyml_fw_puts("probe ");
  tinyml_fw_put_u32(use_stack(7));
  tinyml_fw_puts("\n");
  return PROBE_STATUS;
}
