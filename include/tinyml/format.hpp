// Small text formatting helpers shared by reports.
#pragma once

#include <cstdint>
#include <string>

namespace tinyml {

// A count with thousands separators: 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t v);

}  // namespace tinyml
