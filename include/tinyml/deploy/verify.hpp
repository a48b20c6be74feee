// `tinyml verify`: proof that the generated code computes what the host computed. The
// exported folder is compiled into a test program with a set of test inputs (raw sensor
// readings, as a device gets them), run, and every output byte is compared with the
// host's int8 run (optimize::run_int8). On "host" the program is built with the host's
// C++ compiler and runs every sample; on an emulated core (firmware.hpp) the inputs are
// compiled into the firmware and QEMU runs it, counting instructions per inference. In
// both, the arena is exactly the memory plan's size and a guard region after it must come
// back untouched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/data/dataset.hpp"
#include "tinyml/deploy/export.hpp"
#include "tinyml/deploy/firmware.hpp"

namespace tinyml::deploy {

struct VerifyOptions {
  std::string target = "host";     // "host" or a firmware target (target_names())
  std::size_t samples = 0;         // 0: every sample on host, 50 on an emulated core
  std::filesystem::path work_dir;  // where the folder, the program and its files go
  ExportOptions export_options;
  Optimisation optimisation = Optimisation::size;  // firmware only
};

struct VerifyResult {
  std::string target;
  std::size_t samples = 0;             // compared
  std::size_t mismatched_samples = 0;  // with at least one differing byte
  std::string first_mismatch;          // a description, empty when all match
  bool guard_intact = false;           // the bytes after the arena were not written
  ExportResult exported;
  std::uint64_t macs = 0;              // per inference
  // Emulated cores only:
  SizeReport size;                              // the whole firmware (test inputs included)
  std::uint64_t input_bytes = 0;                // of it, the embedded test inputs (rodata)
  std::size_t stack_bytes = 0;                  // peak, measured by painting
  std::size_t stack_frame_max = 0;              // the largest -fstack-usage frame of the model's code
  std::optional<std::uint64_t> instructions;    // per inference (invoke), the mean over samples
  std::optional<std::uint64_t> instructions_min, instructions_max;
  bool ok() const { return samples > 0 && mismatched_samples == 0 && guard_intact; }
};

VerifyResult verify(const optimize::Int8File& f, const data::Dataset& test, const VerifyOptions& o);

// The flash the model needs on a core: code and constants of the firmware without the
// embedded test inputs (the board support's few hundred bytes included).
std::uint64_t model_flash(const VerifyResult& r);
// RAM: data + bss without the guard region (the arena included), plus the stack's peak.
std::uint64_t model_ram(const VerifyResult& r);

// The results as a table (one row per target: samples, identical, flash, RAM, arena,
// stack, instructions per inference and per MAC) followed by a line of notes, and as JSON.
std::string verify_table(const std::vector<VerifyResult>& results);
nlohmann::json verify_json(const VerifyResult& r);

// MACs of one inference of the int8 model (convolutions, depthwise, fully connected).
std::uint64_t int8_macs(const optimize::Int8Model& m);

// The host's C++ compiler (c++, g++ or clang++ from PATH); InputError naming the Debian
// package when there is none.
std::filesystem::path host_compiler();

}  // namespace tinyml::deploy
