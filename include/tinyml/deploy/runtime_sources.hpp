// The runtime's sources and headers, embedded in the tinyml binary at build time
// (cmake/embed_runtime.cmake), so the code generator copies the very kernels the host ran.
#pragma once

#include <string_view>
#include <vector>

namespace tinyml::deploy {

struct RuntimeFile {
  std::string_view name;  // e.g. "conv2d.cpp", "tinyml_rt.h"
  std::string_view text;
};
const std::vector<RuntimeFile>& runtime_files();
// The text of one file; Failure when the binary holds no such file.
std::string_view runtime_file(std::string_view name);

}  // namespace tinyml::deploy
