#include "tinyml/deploy/verify.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <sstream>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/format.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/model.hpp"
#include "tinyml/process.hpp"

namespace tinyml::deploy {

namespace fs = std::filesystem;
using optimize::Int8Model;
using optimize::OpKind;

std::uint64_t int8_macs(const Int8Model& m) {
  std::uint64_t macs = 0;
  for (const auto& op : m.ops) {
    const std::uint64_t out = nn::numel(m.tensors[op.output].shape);
    if (op.kind == OpKind::Conv2D) {
      macs += out * static_cast<std::uint64_t>(op.weight_shape[1]) * static_cast<std::uint64_t>(op.weight_shape[2]) *
              static_cast<std::uint64_t>(op.weight_shape[3]);
    } else if (op.kind == OpKind::DepthwiseConv2D) {
      macs += out * static_cast<std::uint64_t>(op.weight_shape[1]) * static_cast<std::uint64_t>(op.weight_shape[2]);
    } else if (op.kind == OpKind::FullyConnected) {
      macs += static_cast<std::uint64_t>(op.weight_shape[0]) * static_cast<std::uint64_t>(op.weight_shape[1]);
    }
  }
  return macs;
}

namespace {

constexpr std::size_t kGuardBytes = 64;
constexpr std::size_t kMaxMarkedSamples = 64;  // the instruction counter's region limit

// The guard pattern: not constant, so a kernel writing zeros or one repeated byte shows.
std::string guard_code(const std::string& NAME) {
  return fmt::format(
      "constexpr size_t kGuard = {1};\n"
      "alignas(16) uint8_t arena[{0}_ARENA_SIZE + kGuard];\n"
      "uint8_t guard_byte(size_t i) {{ return static_cast<uint8_t>(0xA5u ^ (i * 7u)); }}\n"
      "void paint_guard() {{\n"
      "  for (size_t i = 0; i < kGuard; ++i) arena[{0}_ARENA_SIZE + i] = guard_byte(i);\n"
      "}}\n"
      "bool guard_intact() {{\n"
      "  for (size_t i = 0; i < kGuard; ++i)\n"
      "    if (arena[{0}_ARENA_SIZE + i] != guard_byte(i)) return false;\n"
      "  return true;\n"
      "}}\n",
      NAME, kGuardBytes);
}

std::string host_harness(const std::string& name) {
  const std::string NAME = macro_prefix(name);
  return fmt::format(
      "// tinyml verify, host: raw inputs from argv[1] (float32), int8 outputs to argv[2].\n"
      "#include <cstdint>\n#include <cstdio>\n\n#include \"{0}.h\"\n\n"
      "namespace {{\n{2}}}  // namespace\n\n"
      "int main(int argc, char** argv) {{\n"
      "  if (argc != 3) return 2;\n"
      "  std::FILE* in = std::fopen(argv[1], \"rb\");\n"
      "  std::FILE* out = std::fopen(argv[2], \"wb\");\n"
      "  if (in == nullptr || out == nullptr) return 2;\n"
      "  paint_guard();\n"
      "  if ({0}_init(arena, {1}_ARENA_SIZE) != 0) return 2;\n"
      "  static float raw[{1}_INPUT_COUNT];\n"
      "  while (std::fread(raw, sizeof raw, 1, in) == 1) {{\n"
      "    if ({0}_set_input(raw) != 0 || {0}_invoke() != 0) {{\n"
      "      std::fprintf(stderr, \"operation %d failed\\n\", static_cast<int>({0}_failed_op()));\n"
      "      return 4;\n"
      "    }}\n"
      "    if (std::fwrite({0}_output(), {1}_OUTPUT_COUNT, 1, out) != 1) return 2;\n"
      "  }}\n"
      "  if (std::fclose(out) != 0) return 2;\n"
      "  std::fclose(in);\n"
      "  if (!guard_intact()) {{\n"
      "    std::puts(\"guard touched\");\n"
      "    return 3;\n"
      "  }}\n"
      "  std::puts(\"guard intact\");\n"
      "  return 0;\n"
      "}}\n",
      name, NAME, guard_code(NAME));
}

std::string firmware_harness(const std::string& name, const std::vector<std::vector<float>>& inputs) {
  const std::string NAME = macro_prefix(name);
  std::string s = fmt::format(
      "// tinyml verify, firmware: {2} raw inputs compiled in; prints every output as hex.\n"
      "#include <stddef.h>\n#include <stdint.h>\n\n#include \"{0}.h\"\n#include \"tinyml_fw.h\"\n\n"
      "namespace {{\n{1}\n"
      "const float kInputs[{2}][{3}_INPUT_COUNT] = {{\n",
      name, guard_code(NAME), inputs.size(), NAME);
  for (const auto& x : inputs) {
    s += "  {";
    for (std::size_t i = 0; i < x.size(); ++i) s += fmt::format("{}{:a}f,", i % 8 ? " " : "\n    ", x[i]);
    s += "\n  },\n";
  }
  s += fmt::format(
      "}};\n}}  // namespace\n\n"
      "int main(void) {{\n"
      "  paint_guard();\n"
      "  if ({0}_init(arena, {1}_ARENA_SIZE) != 0) {{\n"
      "    tinyml_fw_puts(\"init failed\\n\");\n"
      "    return 2;\n"
      "  }}\n"
      "  for (size_t s = 0; s < {2}; ++s) {{\n"
      "    int st = {0}_set_input(kInputs[s]);\n"
      "    if (st == 0) {{\n"
      "      if (s < {3}) tinyml_fw_mark_begin();\n"
      "      st = {0}_invoke();\n"
      "      if (s < {3}) tinyml_fw_mark_end();\n"
      "    }}\n"
      "    if (st != 0) {{\n"
      "      tinyml_fw_puts(\"failed: operation \");\n"
      "      tinyml_fw_put_i32({0}_failed_op());\n"
      "      tinyml_fw_puts(\" status \");\n"
      "      tinyml_fw_put_i32(st);\n"
      "      tinyml_fw_puts(\"\\n\");\n"
      "      return 4;\n"
      "    }}\n"
      "    tinyml_fw_puts(\"out \");\n"
      "    tinyml_fw_put_u32(static_cast<uint32_t>(s));\n"
      "    tinyml_fw_puts(\" \");\n"
      "    tinyml_fw_put_hex_bytes({0}_output(), {1}_OUTPUT_COUNT);\n"
      "    tinyml_fw_puts(\"\\n\");\n"
      "  }}\n"
      "  if (!guard_intact()) {{\n"
      "    tinyml_fw_puts(\"guard touched\\n\");\n"
      "    return 3;\n"
      "  }}\n"
      "  tinyml_fw_puts(\"guard intact\\n\");\n"
      "  return 0;\n"
      "}}\n",
      name, NAME, inputs.size(), kMaxMarkedSamples);
  return s;
}

std::string hex(const std::int8_t* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", static_cast<std::uint8_t>(p[i]));
  return s;
}

// Compares what the generated code gave with the host's bytes.
void compare(VerifyResult& r, const std::vector<std::vector<std::int8_t>>& expected,
             const std::vector<std::string>& got_hex) {
  r.samples = expected.size();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string want = hex(expected[i].data(), expected[i].size());
    const std::string got = i < got_hex.size() ? got_hex[i] : std::string("(nothing)");
    if (want != got) {
      if (!r.mismatched_samples) r.first_mismatch = fmt::format("sample {}: host {}, generated code {}", i, want, got);
      ++r.mismatched_samples;
    }
  }
}

}  // namespace

fs::path host_compiler() {
  for (const char* c : {"c++", "g++", "clang++"})
    if (auto p = find_program(c)) return *p;
  input_error("no C++ compiler (c++, g++ or clang++) on PATH to build the generated code on the host (Debian: g++)");
}

VerifyResult verify(const optimize::Int8File& f, const data::Dataset& test, const VerifyOptions& o) {
  const Int8Model& m = f.model;
  const bool host = o.target == "host";
  const Target* target = host ? nullptr : &find_target(o.target);
  if (!test.size()) input_error("verify needs test samples; the dataset is empty");
  if (test.sample_size() != nn::numel(m.tensors[m.input].shape))
    input_error("the dataset's samples have {} values, the model's input {}", test.sample_size(),
                nn::numel(m.tensors[m.input].shape));
  std::size_t n = o.samples ? o.samples : host ? test.size() : 50;
  n = std::min(n, test.size());

  VerifyResult r;
  r.target = o.target;
  r.macs = int8_macs(m);
  const fs::path work = o.work_dir;
  fs::create_directories(work);
  const fs::path dir = work / "export";
  fs::remove_all(dir);
  r.exported = export_model(f, dir, o.export_options);
  const std::string& name = o.export_options.name;

  std::vector<std::vector<float>> raw(n);
  std::vector<std::vector<std::int8_t>> expected(n);
  for (std::size_t i = 0; i < n; ++i) {
    raw[i] = data::raw_sample(test, i);
    expected[i] = optimize::run_int8(m, raw[i].data());
  }
  std::vector<fs::path> sources;
  for (const auto& file : r.exported.files)
    if (file.size() > 4 && file.ends_with(".cpp")) sources.push_back(dir / file);

  if (host) {
    write_file_atomic(work / "verify_main.cpp", host_harness(name));
    std::string inputs;
    for (const auto& x : raw) inputs.append(reinterpret_cast<const char*>(x.data()), x.size() * sizeof(float));
    write_file_atomic(work / "inputs.bin", inputs);
    std::vector<std::string> cmd = {host_compiler().string(), "-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror",
                                    "-pedantic", "-fno-exceptions", "-fno-rtti", "-D" + macro_prefix(name) + "_NO_STATIC_ARENA",
                                    "-I" + (dir / "src").string(), "-o", (work / "verify_host").string(),
                                    (work / "verify_main.cpp").string()};
    for (const auto& s : sources) cmd.push_back(s.string());
    ProcessResult c = run_process(cmd, {.timeout = std::chrono::minutes(10), .merge_stderr = true});
    if (c.exit_code != 0) failure("the generated code does not compile on the host:\n{}", c.out);
    ProcessResult run = run_process({(work / "verify_host").string(), (work / "inputs.bin").string(),
                                     (work / "outputs.bin").string()},
                                    {.timeout = std::chrono::minutes(10), .merge_stderr = true});
    if (run.exit_code != 0 && run.exit_code != 3)
      failure("the host check program failed (exit {}): {}", run.exit_code, run.out);
    r.guard_intact = run.exit_code == 0 && run.out.find("guard intact") != std::string::npos;
    const std::string out = read_file(work / "outputs.bin");
    const std::size_t per = nn::numel(m.tensors[m.output].shape);
    std::vector<std::string> got;
    for (std::size_t i = 0; i + per <= out.size(); i += per)
      got.push_back(hex(reinterpret_cast<const std::int8_t*>(out.data() + i), per));
    compare(r, expected, got);
    return r;
  }

  const fs::path harness = work / "verify_main.cpp";
  write_file_atomic(harness, firmware_harness(name, raw));
  sources.push_back(harness);
  FirmwareBuild b;
  b.sources = sources;
  b.include_dirs = {dir / "src", firmware_dir() / "common"};
  b.output = work / "verify.elf";
  b.defines = {macro_prefix(name) + "_NO_STATIC_ARENA"};  // the harness passes its arena (with the guard)
  b.optimisation = o.optimisation;
  b.warnings_as_errors = true;
  build_firmware(*target, b);
  RunOptions ro;
  ro.timeout = std::chrono::minutes(5);
  RunResult run = run_in_qemu(*target, b.output, ro);
  if (run.exit_code != 0 && run.exit_code != 3)
    failure("the firmware failed on {} (exit {}):\n{}", target->name, run.exit_code, run.output);
  r.guard_intact = run.exit_code == 0 && run.output.find("guard intact") != std::string::npos;
  std::vector<std::string> got(n);
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream w(line);
    std::string tag, bytes;
    std::size_t i = 0;
    if (w >> tag >> i >> bytes && tag == "out" && i < n) got[i] = bytes;
  }
  compare(r, expected, got);
  r.size = firmware_size(b.output);
  r.input_bytes = n * test.sample_size() * sizeof(float);
  r.stack_bytes = run.stack_bytes;
  for (const auto& fn : stack_usage(b)) r.stack_frame_max = std::max(r.stack_frame_max, fn.bytes);
  if (!run.regions.empty()) {
    r.instructions = std::accumulate(run.regions.begin(), run.regions.end(), std::uint64_t{0}) / run.regions.size();
    r.instructions_min = *std::min_element(run.regions.begin(), run.regions.end());
    r.instructions_max = *std::max_element(run.regions.begin(), run.regions.end());
  }
  return r;
}

std::uint64_t model_flash(const VerifyResult& r) { return r.size.flash() - r.input_bytes; }
std::uint64_t model_ram(const VerifyResult& r) { return r.size.ram() - kGuardBytes + r.stack_bytes; }

namespace {
}  // namespace

std::string verify_table(const std::vector<VerifyResult>& results) {
  std::string s = fmt::format("{:<11} {:>8} {:>11} {:>9} {:>8} {:>8} {:>7} {:>13} {:>9}\n", "target", "samples",
                              "identical", "flash B", "RAM B", "arena B", "stack B", "instr/infer", "instr/MAC");
  std::uint64_t macs = 0;
  for (const VerifyResult& r : results) {
    macs = r.macs;
    const bool device = r.target != "host";
    std::string instr = "-", per_mac = "-";
    if (r.instructions) {
      instr = with_commas(*r.instructions);
      if (r.macs) per_mac = fmt::format("{:.2f}", static_cast<double>(*r.instructions) / static_cast<double>(r.macs));
    }
    s += fmt::format("{:<11} {:>8} {:>11} {:>9} {:>8} {:>8} {:>7} {:>13} {:>9}{}\n", r.target, r.samples,
                     fmt::format("{}/{}", r.samples - r.mismatched_samples, r.samples),
                     device ? with_commas(model_flash(r)) : "-", device ? with_commas(model_ram(r)) : "-",
                     with_commas(r.exported.plan.arena_bytes), device ? with_commas(r.stack_bytes) : "-", instr, per_mac,
                     r.guard_intact ? "" : "  GUARD TOUCHED");
    if (!r.first_mismatch.empty()) s += "  first difference: " + r.first_mismatch + "\n";
  }
  s += fmt::format(
      "{} MACs per inference. flash: code + constants (test inputs left out); RAM: data + bss (arena included) + "
      "measured stack peak; instructions: exact counts of one invoke, mean over the samples.\n",
      with_commas(macs));
  return s;
}

nlohmann::json verify_json(const VerifyResult& r) {
  nlohmann::json j = {{"target", r.target},
                      {"samples", r.samples},
                      {"mismatched_samples", r.mismatched_samples},
                      {"guard_intact", r.guard_intact},
                      {"arena_bytes", r.exported.plan.arena_bytes},
                      {"macs", r.macs},
                      {"ok", r.ok()}};
  if (!r.first_mismatch.empty()) j["first_mismatch"] = r.first_mismatch;
  if (r.target != "host") {
    j["flash_bytes"] = model_flash(r);
    j["ram_bytes"] = model_ram(r);
    j["text"] = r.size.text;
    j["stack_bytes"] = r.stack_bytes;
    j["stack_frame_max"] = r.stack_frame_max;
    if (r.instructions) {
      j["instructions"] = *r.instructions;
      j["instructions_min"] = *r.instructions_min;
      j["instructions_max"] = *r.instructions_max;
    }
  }
  return j;
}

}  // namespace tinyml::deploy
