// Runs the device runtime's int8 kernels on fixed pseudo-random inputs and writes their
// outputs as text. The same source is compiled into the firmware (C++17, no library) and
// into the host test (C++20), so the two texts must be identical byte for byte.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace tinyml_fw_test {

// Receives the text piece by piece.
using WriteFn = void (*)(void* context, const char* text, size_t length);

// One line per kernel: "<name> status=<s> <output bytes in hex>", then a line with an
// FNV-1a hash over every output byte. Returns the number of kernels that did not return
// TINYML_RT_OK.
int run_kernel_checks(WriteFn write, void* context);

}  // namespace tinyml_fw_test
