// Register-tiled float32 kernels of the KNN distance pass (private to src/classic).
// Each adds, for kTileRows (6) query rows r and the 16 training rows l of a packed panel,
//   dot: sum_f q[r][f] * panel[f][l]        l1: sum_f |q[r][f] - panel[f][l]|
// over f < kc to out[r * out_stride + l]. Queries are rows of `q_stride` floats; a panel is
// kc x 16 floats, training row l of the panel in column l.
#pragma once

#include <cstddef>

namespace tinyml::classic::detail {

inline constexpr std::size_t kPanel = 16;  // training rows per packed panel
inline constexpr std::size_t kTileRows = 6;  // query rows per tile

void dot_tile(const float* q, std::size_t q_stride, const float* panel, std::size_t kc,
              float* out, std::size_t out_stride);
void l1_tile(const float* q, std::size_t q_stride, const float* panel, std::size_t kc,
             float* out, std::size_t out_stride);

}  // namespace tinyml::classic::detail
