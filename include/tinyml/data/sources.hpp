// Readers for the non-CSV sources: WAV audio (libsndfile) and IDX tensors (the MNIST and
// Fashion-MNIST format, optionally gzip-compressed).
#pragma once

#include <filesystem>
#include <string_view>

#include "tinyml/data/dataset.hpp"
#include "tinyml/data/table.hpp"

namespace tinyml::data {

// One row per audio frame: a "time" column (seconds from the start) and one column per
// channel (ch1, ch2, ...), samples scaled to [-1, 1]. A truncated or malformed file is an
// InputError naming the file.
Table read_wav(const std::filesystem::path& path);
Table parse_wav(std::string_view bytes, std::string_view name);

// IDX: magic (two zero bytes, a type code, the number of dimensions), big-endian 32-bit
// sizes, then the values. `images` holds N samples of any shape; `labels`, when given,
// N unsigned bytes. Files ending in .gz are decompressed first.
Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels = {});

// Parses IDX bytes into a shape and values (exposed for tests and fuzzing).
struct IdxTensor {
  std::vector<std::uint32_t> dims;
  std::vector<float> values;
};
IdxTensor parse_idx(std::string_view bytes, std::string_view name);

// Reads a file, decompressing it when its name ends in .gz.
std::string read_maybe_gzip(const std::filesystem::path& path);

}  // namespace tinyml::data
