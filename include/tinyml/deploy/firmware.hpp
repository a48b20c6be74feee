// Firmware for emulated microcontrollers: the boards tinyml supports in QEMU, building a
// firmware image with the cross compiler and the board support in firmware/, running it
// in QEMU (exit status, output, instruction count, peak stack use) and its section sizes.
// firmware/README.md describes the boards and the firmware side.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyml::deploy {

// One emulated board and the compiler flags of its CPU.
struct Target {
  std::string name;         // "cortex-m4"
  std::string description;  // the CPU and the board
  std::string arch;         // "arm" or "riscv": the startup code is firmware/<arch>/startup.c
  std::string toolchain_prefix;    // "arm-none-eabi-": the compiler is <prefix>gcc
  std::string toolchain_packages;  // the Debian packages that provide compiler and headers
  std::vector<std::string> cpu_flags;  // -mcpu, -mthumb, float ABI ...: compile and link
  std::string qemu_program;   // "qemu-system-arm"
  std::string qemu_package;   // the Debian package that provides it
  std::string qemu_machine;   // -M
  std::vector<std::string> qemu_flags;  // further board options
  bool has_fpu = false;       // the startup code enables it
};

// The six targets: cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55, riscv32.
const std::vector<Target>& targets();
std::vector<std::string> target_names();
// Throws InputError listing the known names when `name` is none of them.
const Target& find_target(std::string_view name);

// The board support sources and linker scripts: $TINYML_FIRMWARE_DIR, else the source
// tree's firmware/ folder.
std::filesystem::path firmware_dir();
// The instruction-counting QEMU plugin: $TINYML_QEMU_PLUGIN, else the one this build made
// (the CMake target tinyml_qemu_icount). The file may not exist.
std::filesystem::path icount_plugin();

enum class Optimisation { size, speed };  // -Os, -O2

struct FirmwareBuild {
  std::vector<std::filesystem::path> sources;  // .c, .cpp/.cc/.cxx, .S; one must define main
  std::vector<std::filesystem::path> include_dirs;
  std::vector<std::string> defines;      // "NAME" or "NAME=VALUE"
  std::vector<std::string> extra_flags;  // added to every compile command
  std::vector<std::string> link_flags;   // added to the link command
  std::filesystem::path output;          // the ELF; objects go to <output>.objects/
  Optimisation optimisation = Optimisation::size;
  std::size_t stack_bytes = 16 * 1024;   // the stack reserved at the top of RAM
  bool warnings_as_errors = false;       // -Werror on every compile
};

// Compiles each source (and the board support: firmware/common/fw_support.c and
// firmware/<arch>/startup.c) with -ffunction-sections -fdata-sections -fstack-usage, then
// links with the target's firmware/<target>/memory.ld, --gc-sections and libgcc (no libc).
// Throws Failure with the compiler's output when a step fails, and Failure naming the
// Debian packages when the compiler is not installed.
void build_firmware(const Target& target, const FirmwareBuild& build);

// What -fstack-usage reported for one function.
struct FunctionStack {
  std::string function;  // as GCC names it (C++ names demangled)
  std::string location;  // file:line:column
  std::size_t bytes = 0;
  std::string kind;      // "static", "dynamic" or "dynamic,bounded"
};
// Every function of the last build_firmware(build), the largest frames first.
std::vector<FunctionStack> stack_usage(const FirmwareBuild& build);

struct RunOptions {
  // A firmware still running then is ended and run_in_qemu throws Failure.
  std::chrono::milliseconds timeout{30000};
  // Count instructions between tinyml_fw_mark_begin and tinyml_fw_mark_end (when the
  // firmware has them) with the QEMU plugin; needs the plugin to exist.
  bool count_instructions = true;
  std::filesystem::path plugin;  // empty: icount_plugin()
};

struct RunResult {
  int exit_code = -1;       // the firmware's status (main's return value or tinyml_fw_exit)
  std::string output;       // the firmware's text (semihosting), without the stack report
  // Instructions executed in the marked regions, summed; none when not counted or when
  // no region completed.
  std::optional<std::uint64_t> instructions;
  std::vector<std::uint64_t> regions;     // each completed region, in order
  std::optional<std::uint64_t> instructions_total;  // everything executed (when counted)
  std::size_t stack_bytes = 0;  // peak stack use, measured by painting
  std::size_t stack_size = 0;   // the stack reserved
  double seconds = 0;           // QEMU's wall-clock time
  std::string qemu_stderr;      // QEMU's own messages
};

// The QEMU command line that runs `elf` on the target's board, semihosting on stdio.
std::vector<std::string> qemu_command(const Target& target, const std::filesystem::path& elf);

// Runs the firmware in QEMU. Throws Failure when QEMU is not installed (naming the Debian
// package), when it times out, or when the firmware ends without its exit report (QEMU
// failed to start it, or it left by another way); the message holds what QEMU printed.
RunResult run_in_qemu(const Target& target, const std::filesystem::path& elf,
                      const RunOptions& options = {});

// Bytes of the ELF's loaded sections: executable (text), read-only data (rodata, with
// .ARM.exidx and the constructor table), initialised writable data (data, in flash and
// in RAM) and zeroed data (bss). The stack is not a section and is not counted.
struct SizeReport {
  std::uint64_t text = 0, rodata = 0, data = 0, bss = 0;
  std::uint64_t flash() const { return text + rodata + data; }
  std::uint64_t ram() const { return data + bss; }
};
SizeReport firmware_size(const std::filesystem::path& elf);

}  // namespace tinyml::deploy
