// Firmware: the runtime's kernels on fixed inputs (kernel_checks.cpp), printed through
// semihosting; the instruction count covers the whole run. Exit status: the number of
// kernels that did not return TINYML_RT_OK.
#include "kernel_checks.hpp"
#include "tinyml_fw.h"

namespace {
void write_out(void* /*context*/, const char* text, size_t length) { tinyml_fw_write(text, length); }
}  // namespace

int main() {
  tinyml_fw_mark_begin();
  const int failures = tinyml_fw_test::run_kernel_checks(write_out, nullptr);
  tinyml_fw_mark_end();
  return failures;
}
