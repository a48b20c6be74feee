#include "tinyml/optimize/sparse.hpp"

#include "tinyml/error.hpp"

namespace tinyml::optimize {

namespace {

std::size_t columns(std::span<const std::int8_t> w, std::size_t rows) {
  if (rows == 0 || w.size() % rows != 0) input_error("{} weights do not split into {} rows", w.size(), rows);
  return w.size() / rows;
}

}  // namespace

std::size_t bitmask_bytes(std::span<const std::int8_t> w, std::size_t rows) {
  const std::size_t cols = columns(w, rows);
  std::size_t nz = 0;
  for (std::int8_t v : w) nz += v != 0;
  return rows * ((cols + 7) / 8) + nz;
}

std::vector<std::uint8_t> encode_bitmask(std::span<const std::int8_t> w, std::size_t rows) {
  const std::size_t cols = columns(w, rows), mask = (cols + 7) / 8;
  std::vector<std::uint8_t> out;
  out.reserve(bitmask_bytes(w, rows));
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int8_t* row = w.data() + r * cols;
    const std::size_t at = out.size();
    out.resize(at + mask, 0);
    for (std::size_t c = 0; c < cols; ++c)
      if (row[c] != 0) {
        out[at + c / 8] = static_cast<std::uint8_t>(out[at + c / 8] | (1u << (c % 8)));
        out.push_back(static_cast<std::uint8_t>(row[c]));
      }
  }
  return out;
}

std::vector<std::int8_t> decode_bitmask(std::span<const std::uint8_t> bytes, std::size_t rows, std::size_t cols) {
  const std::size_t mask = (cols + 7) / 8;
  std::vector<std::int8_t> w(rows * cols, 0);
  std::size_t at = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    if (at + mask > bytes.size()) input_error("bitmask weights: row {} of {} is cut short", r, rows);
    const std::size_t m = at;
    at += mask;
    for (std::size_t c = 0; c < cols; ++c)
      if (bytes[m + c / 8] & (1u << (c % 8))) {
        if (at >= bytes.size()) input_error("bitmask weights: row {} is missing its values", r);
        w[r * cols + c] = static_cast<std::int8_t>(bytes[at++]);
      }
    // Mask bits past the last column must be clear.
    if (cols % 8 != 0 && (bytes[m + mask - 1] >> (cols % 8)) != 0)
      input_error("bitmask weights: row {} marks columns past the {} it has", r, cols);
  }
  if (at != bytes.size()) input_error("bitmask weights: {} bytes left over after {} rows", bytes.size() - at, rows);
  return w;
}

WeightEncoding choose_encoding(std::span<const std::int8_t> w, std::size_t rows) {
  return bitmask_bytes(w, rows) < w.size() ? WeightEncoding::Bitmask : WeightEncoding::Dense;
}

}  // namespace tinyml::optimize
