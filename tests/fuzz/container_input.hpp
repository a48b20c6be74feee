// Shared by the fuzzers of tinyml's container files (.tds, .tmm, .tmc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "tinyml/io.hpp"

// The fuzzer's bytes as a file; half of the inputs (those whose last byte is odd) get a
// valid CRC-32 in their last four bytes, so the fuzzer gets past the checksum to the header
// and body.
inline std::string container_input(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size >= 20 && (data[size - 1] & 1)) {
    const std::uint32_t crc = tinyml::crc32(std::string_view(bytes).substr(0, size - 4));
    std::memcpy(bytes.data() + size - 4, &crc, 4);
  }
  return bytes;
}
