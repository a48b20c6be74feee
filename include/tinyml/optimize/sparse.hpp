// The compact encoding of a pruned int8 weight matrix, chosen per layer only when it is
// smaller than the dense bytes. Rows are output channels; each row is stored as
//
//   ceil(cols / 8) mask bytes (bit k % 8 of byte k / 8 set when column k is non-zero),
//   then the row's non-zero int8 values in column order,
//
// so a row of c columns with z non-zeros takes ceil(c / 8) + z bytes, and a kernel walks
// the mask bits, multiplying only the stored values. Integer sums do not depend on order
// or on skipped zeros, so the result is the dense kernel's, bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tinyml::optimize {

std::size_t bitmask_bytes(std::span<const std::int8_t> w, std::size_t rows);
std::vector<std::uint8_t> encode_bitmask(std::span<const std::int8_t> w, std::size_t rows);
// The dense matrix back (rows x cols); InputError when the bytes do not hold that shape.
std::vector<std::int8_t> decode_bitmask(std::span<const std::uint8_t> bytes, std::size_t rows, std::size_t cols);

enum class WeightEncoding { Dense, Bitmask };
// Bitmask when it takes fewer bytes than the dense rows x cols, else Dense.
WeightEncoding choose_encoding(std::span<const std::int8_t> w, std::size_t rows);

}  // namespace tinyml::optimize
