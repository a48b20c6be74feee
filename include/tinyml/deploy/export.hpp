// The code generator behind `tinyml export`: an int8 model becomes a self-contained folder
// a firmware engineer drops into a project. `<name>.h` is a C-callable API (init, raw input,
// invoke, output and its quantization, arena size, class names), `<name>.cpp` holds the
// weights as const arrays (flash) and the ahead-of-time call sequence into the runtime's
// kernels with every parameter precomputed (no interpreter, no operation registry), and
// the runtime sources this model needs sit beside them. Build files for CMake, make and
// the Arduino library layout come with it.
//
//   DIR/CMakeLists.txt      add_subdirectory(DIR) gives the static library <name>_model
//   DIR/<name>.mk           a make fragment: <NAME>_SOURCES, <NAME>_INCLUDES
//   DIR/library.properties  Arduino library (sources under src/, compiled recursively)
//   DIR/README.md           how to call it, the memory plan and the sizes
//   DIR/src/<name>.h, <name>.cpp, tinyml_rt.h, rt_internal.hpp, ..., conv2d.cpp, ...
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "tinyml/deploy/memory_plan.hpp"
#include "tinyml/optimize/int8_file.hpp"

namespace tinyml::deploy {

struct ExportOptions {
  std::string name = "model";  // C identifier: prefixes every symbol and names the files
  PlanOptions plan;
  // Generated sources that go beside the model under src/ (name -> text; e.g. the act
  // stage's <name>_rules.h/.cpp) and the runtime files they need ("rules.cpp",
  // "tinyml_rt_rules.h", ...); both join the folder and its build files.
  std::vector<std::pair<std::string, std::string>> extra_sources;
  std::vector<std::string> extra_runtime;
};

struct ExportResult {
  MemoryPlan plan;
  std::vector<std::string> files;            // relative to the output folder
  std::vector<std::string> runtime_sources;  // the kernels' .cpp files copied
  std::size_t weight_bytes = 0;              // const data: weights, biases, multipliers, shifts
};

// The generated sources as text (name -> content), without touching the disk.
struct GeneratedCode {
  ExportResult result;
  std::vector<std::pair<std::string, std::string>> files;
};
GeneratedCode generate_code(const optimize::Int8File& f, const ExportOptions& o);

// Writes the folder: everything to temporary names first, then renamed into place, so a
// failure leaves no half-written folder. Files the folder held before are replaced.
ExportResult export_model(const optimize::Int8File& f, const std::filesystem::path& out, const ExportOptions& o);

// InputError unless `name` is a C identifier that does not start with "tinyml_rt".
void check_export_name(const std::string& name);

// C literals for generated code: a string (escaped, non-ASCII as octal) and a float as a
// hexadecimal literal (exact, so the device gets the host's bits).
std::string c_string_literal(std::string_view s);
std::string c_float_literal(float v);
// The generated header's macro prefix for an export name: "home" -> "HOME" (HOME_INPUT_COUNT).
std::string macro_prefix(std::string name);

}  // namespace tinyml::deploy
