/* Common support code of tinyml's emulated-board firmware: start-up after reset, output
 * through semihosting, instruction-count markers, stack painting and the exit path, and
 * the few memory functions GCC may call. No libc is linked. */
#include <stddef.h>
#include <stdint.h>

#include "fw_internal.h"

/* From the linker script (common/sections.ld). */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];
typedef void (*tinyml_fw_init_fn)(void);
extern tinyml_fw_init_fn __init_array_start[], __init_array_end[];

int main(void);

/* Stops GCC from turning the loops below into calls of the very functions they define
 * (or of others: it turns a length loop into strlen). */
#define TINYML_FW_BARRIER() __asm__ volatile("" ::: "memory")

void* memcpy(void* restrict dst, const void* restrict src, size_t n) {
  unsigned char* d = (unsigned char*)dst;
  const unsigned char* s = (const unsigned char*)src;
  for (size_t i = 0; i < n; ++i) {
    d[i] = s[i];
    TINYML_FW_BARRIER();
  }
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  unsigned char* d = (unsigned char*)dst;
  const unsigned char* s = (const unsigned char*)src;
  if (d < s) {
    for (size_t i = 0; i < n; ++i) {
      d[i] = s[i];
      TINYML_FW_BARRIER();
    }
  } else {
    for (size_t i = n; i > 0; --i) {
      d[i - 1] = s[i - 1];
      TINYML_FW_BARRIER();
    }
  }
  return dst;
}

void* memset(void* dst, int value, size_t n) {
  unsigned char* d = (unsigned char*)dst;
  for (size_t i = 0; i < n; ++i) {
    d[i] = (unsigned char)value;
    TINYML_FW_BARRIER();
  }
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char* x = (const unsigned char*)a;
  const unsigned char* y = (const unsigned char*)b;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
    TINYML_FW_BARRIER();
  }
  return n;
}

/* ---- Output ------------------------------------------------------------------------- */

/* SYS_WRITE0 prints up to a NUL: the buffer keeps room for one. */
static char out_buffer[128];
static size_t out_used;

void tinyml_fw_flush(void) {
  if (out_used == 0) return;
  out_buffer[out_used] = '\0';
  tinyml_fw_semihost(TINYML_SH_WRITE0, out_buffer);
  out_used = 0;
}

void tinyml_fw_write(const char* text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    if (text[i] == '\0') continue; /* SYS_WRITE0 cannot carry it */
    out_buffer[out_used++] = text[i];
    if (text[i] == '\n' || out_used == sizeof out_buffer - 1) tinyml_fw_flush();
  }
}

void tinyml_fw_puts(const char* text) { tinyml_fw_write(text, strlen(text)); }

void tinyml_fw_put_u32(uint32_t value) {
  char digits[10];
  size_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0);
  tinyml_fw_write(digits + sizeof digits - n, n);
}

void tinyml_fw_put_i32(int32_t value) {
  if (value < 0) {
    tinyml_fw_write("-", 1);
    tinyml_fw_put_u32(0u - (uint32_t)value);
  } else {
    tinyml_fw_put_u32((uint32_t)value);
  }
}

static const char hex_digits[] = "0123456789abcdef";

void tinyml_fw_put_hex32(uint32_t value) {
  char text[8];
  for (int i = 7; i >= 0; --i) {
    text[i] = hex_digits[value & 0xfu];
    value >>= 4;
  }
  tinyml_fw_write(text, sizeof text);
}

void tinyml_fw_put_hex_bytes(const void* bytes, size_t count) {
  const unsigned char* p = (const unsigned char*)bytes;
  for (size_t i = 0; i < count; ++i) {
    char pair[2] = {hex_digits[p[i] >> 4], hex_digits[p[i] & 0xfu]};
    tinyml_fw_write(pair, 2);
  }
}

/* ---- Instruction-count markers ------------------------------------------------------ */

/* Distinct, never inlined or merged functions: the QEMU plugin watches their first
 * instruction (their addresses come from the ELF's symbol table). */
__attribute__((noipa, used)) void tinyml_fw_mark_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noipa, used)) void tinyml_fw_mark_end(void) { __asm__ volatile("" ::: "memory"); }

/* ---- Stack painting ----------------------------------------------------------------- */

#define TINYML_FW_PAINT 0xa5c3e10fu

/* Fills the unused part of the stack (below the current stack pointer) with a pattern. */
static void paint_stack(void) {
  uint32_t* p = __stack_limit;
  uint32_t* end = (uint32_t*)(tinyml_fw_stack_pointer() & ~(uintptr_t)3u);
  while (p < end) {
    *p++ = TINYML_FW_PAINT;
    TINYML_FW_BARRIER();
  }
}

/* Bytes from the top of the stack down to the lowest word that lost the pattern. */
static uint32_t stack_used(void) {
  const uint32_t* p = __stack_limit;
  while (p < __stack_top && *p == TINYML_FW_PAINT) ++p;
  return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

/* ---- Start and exit ----------------------------------------------------------------- */

void tinyml_fw_start(void) {
  for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end; ++src, ++dst) {
    *dst = *src;
    TINYML_FW_BARRIER();
  }
  for (uint32_t* p = __bss_start; p < __bss_end; ++p) {
    *p = 0;
    TINYML_FW_BARRIER();
  }
  paint_stack();
  for (tinyml_fw_init_fn* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  tinyml_fw_exit(main());
}

static int exiting;

void tinyml_fw_exit(int status) {
  if (exiting) { /* a fault while exiting: nothing more can be reported */
    for (;;) {
    }
  }
  exiting = 1;
  tinyml_fw_flush();
  /* The host strips this trailer from the output: a group separator (0x1d), then the
   * stack figures. */
  tinyml_fw_puts("\035tinyml-fw stack_used=");
  tinyml_fw_put_u32(stack_used());
  tinyml_fw_puts(" stack_size=");
  tinyml_fw_put_u32((uint32_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit));
  tinyml_fw_puts("\n");
  tinyml_fw_flush();
  const uintptr_t block[2] = {TINYML_SH_APPLICATION_EXIT, (uintptr_t)(status & 0xff)};
  tinyml_fw_semihost(TINYML_SH_EXIT_EXTENDED, block);
  for (;;) { /* semihosting is off: nothing else can end the run */
  }
}

void tinyml_fw_fault(const char* what, uint32_t detail) {
  tinyml_fw_flush();
  tinyml_fw_puts("\ntinyml-fw: fault: ");
  tinyml_fw_puts(what);
  tinyml_fw_puts(" 0x");
  tinyml_fw_put_hex32(detail);
  tinyml_fw_puts("\n");
  tinyml_fw_exit(TINYML_FW_FAULT_STATUS);
}
