#pragma once

namespace tinyml {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace tinyml
