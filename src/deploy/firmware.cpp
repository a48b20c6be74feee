#include "tinyml/deploy/firmware.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tinyml/deploy/elf.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/process.hpp"

#ifndef TINYML_FIRMWARE_DIR
#define TINYML_FIRMWARE_DIR "firmware"
#endif
#ifndef TINYML_QEMU_ICOUNT_PLUGIN
#define TINYML_QEMU_ICOUNT_PLUGIN "libtinyml_qemu_icount.so"
#endif

namespace tinyml::deploy {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kArmPackages = "gcc-arm-none-eabi libnewlib-dev";
constexpr std::string_view kRiscvPackages = "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf";

Target arm_target(std::string name, std::string description, std::string machine,
                  std::vector<std::string> float_flags, bool fpu) {
  std::vector<std::string> flags{"-mcpu=" + name, "-mthumb"};
  flags.insert(flags.end(), float_flags.begin(), float_flags.end());
  return Target{std::move(name), std::move(description), "arm", "arm-none-eabi-",
                std::string(kArmPackages), std::move(flags), "qemu-system-arm", "qemu-system-arm",
                std::move(machine), {}, fpu};
}

std::vector<Target> make_targets() {
  std::vector<Target> t;
  t.push_back(arm_target("cortex-m3", "Arm Cortex-M3 on the MPS2 board with the AN385 image",
                         "mps2-an385", {"-mfloat-abi=soft"}, false));
  t.push_back(arm_target("cortex-m4", "Arm Cortex-M4 with single-precision FPU, MPS2 AN386",
                         "mps2-an386", {"-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"}, true));
  t.push_back(arm_target("cortex-m7", "Arm Cortex-M7 with double-precision FPU, MPS2 AN500",
                         "mps2-an500", {"-mfloat-abi=hard", "-mfpu=fpv5-d16"}, true));
  t.push_back(arm_target("cortex-m33", "Arm Cortex-M33 (ARMv8-M, secure state) with FPU, MPS2 AN505",
                         "mps2-an505", {"-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"}, true));
  t.push_back(arm_target("cortex-m55", "Arm Cortex-M55 (ARMv8.1-M) with FPU and MVE, MPS3 AN547",
                         "mps3-an547", {"-mfloat-abi=hard"}, true));
  t.push_back(Target{"riscv32", "RV32IMAFC in machine mode on QEMU's virt board", "riscv",
                     "riscv64-unknown-elf-", std::string(kRiscvPackages),
                     {"-march=rv32imafc", "-mabi=ilp32f", "-mcmodel=medany", "--specs=picolibc.specs"},
                     "qemu-system-riscv32", "qemu-system-misc", "virt", {"-bios", "none", "-m", "128M"},
                     true});
  return t;
}

fs::path env_or(const char* variable, const char* fallback) {
  const char* v = std::getenv(variable);
  return fs::path(v != nullptr && *v != '\0' ? v : fallback);
}

fs::path object_dir(const FirmwareBuild& build) {
  fs::path dir = build.output;
  dir += ".objects";
  return dir;
}

std::string command_line(const std::vector<std::string>& argv) { return fmt::format("{}", fmt::join(argv, " ")); }

// Runs one compiler step; Failure with the command and the compiler's output on error.
void run_tool(const Target& target, const std::vector<std::string>& argv, std::string_view what) {
  const ProcessResult r = run_process(argv, {.timeout = std::chrono::minutes(5), .merge_stderr = true});
  if (r.exit_code != 0) {
    failure("building firmware for {}: {} failed (exit {}{}):\n{}\n{}\n(the compiler comes from the "
            "Debian packages {})",
            target.name, what, r.exit_code, r.timed_out ? ", timed out" : "", command_line(argv), r.out,
            target.toolchain_packages);
  }
}

enum class Language { c, cxx, assembler };

Language language_of(const fs::path& source) {
  const std::string ext = source.extension().string();
  if (ext == ".c") return Language::c;
  if (ext == ".cpp" || ext == ".cc" || ext == ".cxx") return Language::cxx;
  if (ext == ".S" || ext == ".s") return Language::assembler;
  input_error("{}: not a C (.c), C++ (.cpp, .cc, .cxx) or assembly (.S) source", source.string());
}

// Parses "stack_used=N stack_size=M" from the firmware's exit report.
void parse_stack_report(std::string_view report, RunResult& result) {
  auto field = [&](std::string_view key) -> std::size_t {
    const std::size_t at = report.find(key);
    if (at == std::string_view::npos) return 0;
    std::size_t value = 0;
    const char* begin = report.data() + at + key.size();
    std::from_chars(begin, report.data() + report.size(), value);
    return value;
  };
  result.stack_bytes = field("stack_used=");
  result.stack_size = field("stack_size=");
}

// Calls f(line) for each line of `text`, without the newline.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    f(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
}

// Reads the plugin's "tinyml-icount <what> <n>" lines.
void parse_icount(std::string_view text, RunResult& result) {
  std::uint64_t total = 0;
  for_each_line(text, [&](std::string_view line) {
    constexpr std::string_view prefix = "tinyml-icount ";
    if (!line.starts_with(prefix)) return;
    const std::string_view rest = line.substr(prefix.size());
    const std::size_t space = rest.rfind(' ');
    if (space == std::string_view::npos) return;
    std::uint64_t value = 0;
    std::from_chars(rest.data() + space + 1, rest.data() + rest.size(), value);
    if (rest.starts_with("region ")) {
      result.regions.push_back(value);
      total += value;
    } else if (rest.starts_with("all ")) {
      result.instructions_total = value;
    }
  });
  if (!result.regions.empty()) result.instructions = total;
}

// A file name no other run in this process or another uses at the same time.
fs::path unique_beside(const fs::path& file, std::string_view suffix) {
  static std::atomic<unsigned> counter{0};
  fs::path p = file;
  p += fmt::format(".{}.{}{}", ::getpid(), counter.fetch_add(1), suffix);
  return p;
}

}  // namespace

const std::vector<Target>& targets() {
  static const std::vector<Target> all = make_targets();
  return all;
}

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const Target& t : targets()) names.push_back(t.name);
  return names;
}

const Target& find_target(std::string_view name) {
  for (const Target& t : targets()) {
    if (t.name == name) return t;
  }
  input_error("unknown firmware target '{}' (known: {})", name, fmt::join(target_names(), ", "));
}

fs::path firmware_dir() { return env_or("TINYML_FIRMWARE_DIR", TINYML_FIRMWARE_DIR); }

fs::path icount_plugin() { return env_or("TINYML_QEMU_PLUGIN", TINYML_QEMU_ICOUNT_PLUGIN); }

void build_firmware(const Target& target, const FirmwareBuild& build) {
  const std::string compiler = target.toolchain_prefix + "gcc";
  if (!find_program(compiler)) {
    failure("{} not found: building firmware for {} needs the Debian packages {} "
            "(apt-get install {})",
            compiler, target.name, target.toolchain_packages, target.toolchain_packages);
  }
  if (build.output.empty()) input_error("firmware build for {}: no output path given", target.name);
  if (build.sources.empty()) input_error("firmware build for {}: no sources given", target.name);
  if (build.stack_bytes == 0 || build.stack_bytes % 8 != 0) {
    input_error("firmware build for {}: the stack size ({} bytes) must be a positive multiple of 8",
                target.name, build.stack_bytes);
  }
  const fs::path fw = firmware_dir();
  const fs::path memory_map = fw / target.name / "memory.ld";
  if (!fs::exists(memory_map)) {
    failure("{} is missing: the board support of {} is not in {}", memory_map.string(), target.name,
            fw.string());
  }

  std::vector<fs::path> sources{fw / "common" / "fw_support.c", fw / target.arch / "startup.c"};
  sources.insert(sources.end(), build.sources.begin(), build.sources.end());

  std::vector<std::string> common = target.cpu_flags;
  common.push_back(build.optimisation == Optimisation::speed ? "-O2" : "-Os");
  for (const char* f : {"-ffunction-sections", "-fdata-sections", "-fstack-usage", "-Wall", "-Wextra"}) {
    common.emplace_back(f);
  }
  if (build.warnings_as_errors) common.emplace_back("-Werror");
  common.push_back("-I" + (fw / "common").string());
  for (const fs::path& dir : build.include_dirs) common.push_back("-I" + dir.string());
  for (const std::string& d : build.defines) common.push_back("-D" + d);
  common.insert(common.end(), build.extra_flags.begin(), build.extra_flags.end());

  const fs::path objects = object_dir(build);
  std::error_code ec;
  fs::remove_all(objects, ec);
  fs::create_directories(objects, ec);
  if (ec) failure("cannot create {}: {}", objects.string(), ec.message());
  if (build.output.has_parent_path()) fs::create_directories(build.output.parent_path(), ec);

  std::vector<std::string> object_files;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const fs::path& src = sources[i];
    const Language lang = language_of(src);
    std::vector<std::string> argv{compiler};
    argv.insert(argv.end(), common.begin(), common.end());
    if (lang == Language::c) {
      argv.emplace_back("-std=c11");
    } else if (lang == Language::cxx) {
      for (const char* f : {"-std=c++17", "-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics",
                            "-fno-use-cxa-atexit"}) {
        argv.emplace_back(f);
      }
    }
    const fs::path obj = objects / fmt::format("{:02}_{}.o", i, src.stem().string());
    for (const std::string& a : {std::string("-c"), src.string(), std::string("-o"), obj.string()}) argv.push_back(a);
    run_tool(target, argv, "compiling " + src.filename().string());
    object_files.push_back(obj.string());
  }

  std::vector<std::string> link{compiler};
  link.insert(link.end(), target.cpu_flags.begin(), target.cpu_flags.end());
  for (const std::string& a :
       {std::string("-nostdlib"), std::string("-nostartfiles"), "-T" + memory_map.string(),
        "-L" + (fw / "common").string(), std::string("-Wl,--gc-sections"),
        fmt::format("-Wl,--defsym=__stack_size={}", build.stack_bytes)}) {
    link.push_back(a);
  }
  link.insert(link.end(), build.link_flags.begin(), build.link_flags.end());
  link.insert(link.end(), object_files.begin(), object_files.end());
  for (const std::string& a : {std::string("-lgcc"), std::string("-o"), build.output.string()}) link.push_back(a);
  run_tool(target, link, "linking " + build.output.filename().string());
}

std::vector<FunctionStack> stack_usage(const FirmwareBuild& build) {
  std::vector<FunctionStack> all;
  const fs::path objects = object_dir(build);
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(objects, ec)) {
    if (e.path().extension() != ".su") continue;
    for_each_line(read_file(e.path()), [&](std::string_view line) {
      // file:line:column:function<TAB>bytes<TAB>kind
      const std::size_t tab1 = line.find('\t');
      const std::size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
      if (tab2 == std::string_view::npos) return;
      const std::string_view where = line.substr(0, tab1);
      std::size_t colon = where.find(':');  // after the file, the line, the column
      for (int k = 0; k < 2 && colon != std::string_view::npos; ++k) colon = where.find(':', colon + 1);
      FunctionStack f;
      f.location = std::string(where.substr(0, colon));
      f.function = colon == std::string_view::npos ? std::string(where) : std::string(where.substr(colon + 1));
      std::from_chars(line.data() + tab1 + 1, line.data() + tab2, f.bytes);
      f.kind = std::string(line.substr(tab2 + 1));
      all.push_back(std::move(f));
    });
  }
  std::stable_sort(all.begin(), all.end(), [](const FunctionStack& a, const FunctionStack& b) {
    return a.bytes > b.bytes;
  });
  return all;
}

std::vector<std::string> qemu_command(const Target& target, const fs::path& elf) {
  std::vector<std::string> argv{target.qemu_program, "-M", target.qemu_machine};
  argv.insert(argv.end(), target.qemu_flags.begin(), target.qemu_flags.end());
  for (const char* a : {"-display", "none", "-monitor", "none", "-serial", "none", "-chardev", "stdio,id=semi",
                        "-semihosting-config", "enable=on,target=native,chardev=semi", "-kernel"}) {
    argv.emplace_back(a);
  }
  argv.push_back(elf.string());
  return argv;
}

RunResult run_in_qemu(const Target& target, const fs::path& elf, const RunOptions& options) {
  if (!find_program(target.qemu_program)) {
    failure("{} not found: running firmware for {} needs the Debian package {} (apt-get install {})",
            target.qemu_program, target.name, target.qemu_package, target.qemu_package);
  }
  const ElfFile image = read_elf(elf);
  std::vector<std::string> argv = qemu_command(target, elf);

  fs::path icount_file;
  if (options.count_instructions) {
    const ElfSymbol* begin = image.find_symbol("tinyml_fw_mark_begin");
    const ElfSymbol* end = image.find_symbol("tinyml_fw_mark_end");
    if (begin != nullptr && end != nullptr) {
      const fs::path plugin = options.plugin.empty() ? icount_plugin() : options.plugin;
      if (!fs::exists(plugin)) {
        failure("the instruction-counting QEMU plugin {} does not exist (build the CMake target "
                "tinyml_qemu_icount, or set TINYML_QEMU_PLUGIN)",
                plugin.string());
      }
      icount_file = unique_beside(elf, ".icount");
      // Thumb function symbols carry bit 0; the instruction's address does not.
      argv.emplace_back("-plugin");
      argv.push_back(fmt::format("{},begin={:#x},end={:#x},out={}", fs::absolute(plugin).string(),
                                 begin->value & ~1u, end->value & ~1u, icount_file.string()));
    }
  }

  const ProcessResult p = run_process(argv, {.timeout = options.timeout, .merge_stderr = false});
  std::string icount_text;
  if (!icount_file.empty() && fs::exists(icount_file)) {
    icount_text = read_file(icount_file);
    std::error_code ec;
    fs::remove(icount_file, ec);
  }
  if (p.timed_out) {
    failure("firmware {} on {} did not finish within {} ms; its output so far:\n{}{}", elf.string(),
            target.name, options.timeout.count(), p.out, p.err);
  }

  RunResult result;
  result.seconds = p.seconds;
  result.qemu_stderr = p.err;
  constexpr std::string_view trailer = "\x1dtinyml-fw ";
  const std::size_t at = p.out.rfind(trailer);
  if (at == std::string::npos) {
    failure("firmware {} on {} ended without its exit report (QEMU exit {}{}): {}\noutput:\n{}\nQEMU "
            "messages:\n{}",
            elf.string(), target.name, p.exit_code, p.signal != 0 ? fmt::format(", signal {}", p.signal) : "",
            command_line(argv), p.out, p.err);
  }
  result.output = p.out.substr(0, at);
  parse_stack_report(std::string_view(p.out).substr(at + trailer.size()), result);
  result.exit_code = p.exit_code;
  parse_icount(icount_text, result);
  return result;
}

SizeReport firmware_size(const fs::path& elf) {
  constexpr std::uint32_t kNobits = 8, kWrite = 1, kAlloc = 2, kExec = 4;
  SizeReport r;
  for (const ElfSection& s : read_elf(elf).sections) {
    if ((s.flags & kAlloc) == 0) continue;
    const bool table = s.name == ".init_array" || s.name == ".fini_array" || s.name == ".preinit_array";
    if (s.type == kNobits) {
      r.bss += s.size;
    } else if ((s.flags & kExec) != 0) {
      r.text += s.size;
    } else if ((s.flags & kWrite) != 0 && !table) {
      r.data += s.size;
    } else {
      r.rodata += s.size;
    }
  }
  return r;
}

}  // namespace tinyml::deploy
