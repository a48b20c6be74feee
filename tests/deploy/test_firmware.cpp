// Firmware on the six emulated boards: the runtime's kernels give the host's bytes, the
// exit status reaches QEMU's, the instruction counter is exact on a known loop, and the
// stack measurement sees a known buffer. Fails (naming the Debian packages) when a cross
// compiler or QEMU is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "kernel_checks.hpp"
#include "tinyml/deploy/elf.hpp"
#include "tinyml/deploy/firmware.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/process.hpp"

namespace fs = std::filesystem;
using namespace tinyml::deploy;
using namespace std::chrono_literals;

namespace {

const fs::path kSource = TINYML_SOURCE_DIR;
const fs::path kWork = TINYML_DEPLOY_WORK_DIR;
const fs::path kTestFirmware = kSource / "tests" / "deploy" / "fw";

std::string host_kernel_output() {
  std::string out;
  tinyml_fw_test::run_kernel_checks(
      [](void* context, const char* text, size_t length) { static_cast<std::string*>(context)->append(text, length); },
      &out);
  return out;
}

std::vector<fs::path> runtime_sources() {
  std::vector<fs::path> sources;
  for (const fs::directory_entry& e : fs::directory_iterator(kSource / "runtime" / "src")) {
    if (e.path().extension() == ".cpp") sources.push_back(e.path());
  }
  std::sort(sources.begin(), sources.end());
  return sources;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// The message of the exception E that f() throws ("" when it throws none).
template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

RunOptions limit(std::chrono::milliseconds timeout, bool count_instructions = true) {
  RunOptions options;
  options.timeout = timeout;
  options.count_instructions = count_instructions;
  return options;
}

// Writes a one-file firmware source into the work folder.
fs::path write_source(const std::string& name, std::string_view text) {
  fs::create_directories(kWork);
  tinyml::write_file_atomic(kWork / name, text);
  return kWork / name;
}

class FirmwareTarget : public ::testing::TestWithParam<std::string> {};

TEST_P(FirmwareTarget, RuntimeKernelsGiveTheHostsBytes) {
  const Target& target = find_target(GetParam());
  FirmwareBuild build;
  build.sources = runtime_sources();
  build.sources.push_back(kTestFirmware / "kernel_checks.cpp");
  build.sources.push_back(kTestFirmware / "kernels_main.cpp");
  build.include_dirs = {kSource / "runtime" / "include", kTestFirmware};
  build.output = kWork / (target.name + "-kernels.elf");
  build.warnings_as_errors = true;
  build_firmware(target, build);

  const RunResult run = run_in_qemu(target, build.output, limit(30s));
  EXPECT_EQ(run.exit_code, 0) << run.output << run.qemu_stderr;
  const std::string expected = host_kernel_output();
  EXPECT_NE(expected.find("hash "), std::string::npos);
  EXPECT_EQ(run.output, expected);

  ASSERT_TRUE(run.instructions.has_value());
  ASSERT_EQ(run.regions.size(), 1u);
  EXPECT_GT(*run.instructions, 10000u);
  ASSERT_TRUE(run.instructions_total.has_value());
  EXPECT_LT(*run.instructions, *run.instructions_total);

  // The painted stack's peak holds at least the largest single frame GCC reported, and
  // stays inside the reserved stack.
  const std::vector<FunctionStack> frames = stack_usage(build);
  ASSERT_FALSE(frames.empty());
  const auto checks = std::find_if(frames.begin(), frames.end(), [](const FunctionStack& f) {
    return f.function.find("run_kernel_checks") != std::string::npos;
  });
  ASSERT_NE(checks, frames.end());
  EXPECT_EQ(run.stack_size, build.stack_bytes);
  EXPECT_GE(run.stack_bytes, checks->bytes);
  EXPECT_LT(run.stack_bytes, run.stack_size / 2);

  const SizeReport size = firmware_size(build.output);
  EXPECT_GT(size.text, 2000u);
  EXPECT_GT(size.bss, 1000u);  // the static buffers of kernel_checks.cpp
  std::printf("%s: %llu instructions (whole run), stack peak %zu B (largest frame %zu B in %s), "
              "text %llu B, rodata %llu B, data %llu B, bss %llu B, QEMU %.2f s\n",
              target.name.c_str(), static_cast<unsigned long long>(*run.instructions), run.stack_bytes,
              frames.front().bytes, frames.front().function.c_str(), static_cast<unsigned long long>(size.text),
              static_cast<unsigned long long>(size.rodata), static_cast<unsigned long long>(size.data),
              static_cast<unsigned long long>(size.bss), run.seconds);
}

TEST_P(FirmwareTarget, ExitStatusInstructionCountAndStackPeak) {
  const Target& target = find_target(GetParam());
  FirmwareBuild build;
  build.sources = {kTestFirmware / "probe.c"};
  build.output = kWork / (target.name + "-probe.elf");
  build.warnings_as_errors = true;
  build.optimisation = Optimisation::speed;
  build_firmware(target, build);

  const RunResult run = run_in_qemu(target, build.output, limit(20s));
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.output, "probe 1648\n");

  // region 0: the markers alone (the begin marker's return and the call of the end
  // marker); regions 1 and 2: 1000 and 2000 iterations of a two-instruction loop, plus
  // loading the count, the call and the return.
  ASSERT_EQ(run.regions.size(), 3u);
  const std::uint64_t overhead = run.regions[0];
  EXPECT_EQ(overhead, 2u);
  EXPECT_EQ(run.regions[1], overhead + 2000u + 3u);
  EXPECT_EQ(run.regions[2], overhead + 4000u + 3u);
  EXPECT_EQ(run.instructions, run.regions[0] + run.regions[1] + run.regions[2]);

  // use_stack() holds a 1 KiB buffer.
  EXPECT_GE(run.stack_bytes, 1024u);
  EXPECT_LT(run.stack_bytes, 2048u);
  std::printf("%s: marker overhead %llu, spin(1000) %llu, spin(2000) %llu instructions; stack peak %zu B\n",
              target.name.c_str(), static_cast<unsigned long long>(overhead),
              static_cast<unsigned long long>(run.regions[1]), static_cast<unsigned long long>(run.regions[2]),
              run.stack_bytes);

  // The same firmware again, exiting with 0: the status is the firmware's, not a constant.
  build.defines = {"PROBE_STATUS=0"};
  build.output = kWork / (target.name + "-probe0.elf");
  build_firmware(target, build);
  EXPECT_EQ(run_in_qemu(target, build.output, limit(20s, false)).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Boards, FirmwareTarget, ::testing::ValuesIn(target_names()), test_name);

TEST(Firmware, TargetsAndTypos) {
  EXPECT_EQ(target_names(), (std::vector<std::string>{"cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33",
                                                      "cortex-m55", "riscv32"}));
  EXPECT_EQ(find_target("cortex-m4").qemu_machine, "mps2-an386");
  const std::string what = error_of<tinyml::InputError>([] { find_target("cortex-m5"); });
  EXPECT_NE(what.find("unknown firmware target 'cortex-m5'"), std::string::npos) << what;
  EXPECT_NE(what.find("cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55, riscv32"), std::string::npos)
      << what;
}

TEST(Firmware, MissingCompilerNamesTheDebianPackage) {
  Target target = find_target("cortex-m4");
  target.toolchain_prefix = "tinyml-no-such-toolchain-";
  target.toolchain_packages = "gcc-imaginary-eabi";
  FirmwareBuild build;
  build.sources = {kTestFirmware / "probe.c"};
  build.output = kWork / "never.elf";
  const std::string what = error_of<tinyml::Failure>([&] { build_firmware(target, build); });
  EXPECT_NE(what.find("tinyml-no-such-toolchain-gcc not found"), std::string::npos) << what;
  EXPECT_NE(what.find("gcc-imaginary-eabi"), std::string::npos) << what;
}

TEST(Firmware, CompileErrorShowsTheCompilersMessage) {
  FirmwareBuild build;
  build.sources = {write_source("bad.c", "int main(void) { return undeclared_name; }\n")};
  build.output = kWork / "bad.elf";
  const std::string what = error_of<tinyml::Failure>([&] { build_firmware(find_target("cortex-m3"), build); });
  EXPECT_NE(what.find("compiling bad.c failed"), std::string::npos) << what;
  EXPECT_NE(what.find("undeclared_name"), std::string::npos) << what;
}

TEST(Firmware, HungFirmwareTimesOut) {
  const Target& target = find_target("cortex-m3");
  FirmwareBuild build;
  build.sources = {write_source("hang.c", "#include \"tinyml_fw.h\"\n"
                                          "int main(void) { tinyml_fw_puts(\"spinning\\n\"); for (;;) {} }\n")};
  build.output = kWork / "hang.elf";
  build_firmware(target, build);
  const auto start = std::chrono::steady_clock::now();
  const std::string what =
      error_of<tinyml::Failure>([&] { run_in_qemu(target, build.output, limit(1500ms)); });
  EXPECT_NE(what.find("did not finish within 1500 ms"), std::string::npos) << what;
  EXPECT_NE(what.find("spinning"), std::string::npos) << what;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

// The section sizes read from the ELF agree with binutils' size -A.
TEST(Firmware, SizesAgreeWithBinutils) {
  const Target& target = find_target("cortex-m3");
  FirmwareBuild build;
  build.sources = {kTestFirmware / "probe.c"};
  build.output = kWork / "size-probe.elf";
  build_firmware(target, build);
  const SizeReport size = firmware_size(build.output);
  const tinyml::ProcessResult r = tinyml::run_process({target.toolchain_prefix + "size", "-A", build.output.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::uint64_t text = 0, bss = 0, data = 0;
  std::size_t pos = 0;
  while (pos < r.out.size()) {
    std::size_t end = r.out.find('\n', pos);
    if (end == std::string::npos) end = r.out.size();
    char name[64] = {};
    unsigned long long bytes = 0, addr = 0;
    if (std::sscanf(r.out.substr(pos, end - pos).c_str(), "%63s %llu %llu", name, &bytes, &addr) == 3) {
      const std::string n = name;
      if (n == ".text") text = bytes;
      if (n == ".bss") bss = bytes;
      if (n == ".data") data = bytes;
    }
    pos = end + 1;
  }
  EXPECT_EQ(size.text, text) << r.out;
  EXPECT_EQ(size.data, data) << r.out;
  EXPECT_EQ(size.bss, bss) << r.out;
  EXPECT_GT(size.text, 100u);
  const ElfFile elf = read_elf(build.output);
  EXPECT_EQ(elf.machine, 40);  // EM_ARM
  ASSERT_NE(elf.find_symbol("tinyml_fw_mark_begin"), nullptr);
}

}  // namespace
