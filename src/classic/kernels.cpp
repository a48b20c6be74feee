// The float32 tiles of the KNN distance pass. GCC vector types keep the 6 x 16 accumulator
// tile in registers (6 independent accumulators hide the multiply-add latency); on x86-64 the functions are compiled three times (AVX-512, AVX2+FMA,
// baseline SSE2) and the loader picks the best the CPU has. Their results are only used
// through an error bound (see knn.cpp), so FMA contraction and the summation order do not
// change any answer.
#include "kernels.hpp"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TINYML_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TINYML_KERNEL
#endif

namespace tinyml::classic::detail {

namespace {
typedef float v16 __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));
static_assert(sizeof(v16) == kPanel * sizeof(float));
}  // namespace

namespace {

// The tile; inlined into each clone below, so it is compiled for the clone's instructions.
template <bool kL1>
[[gnu::always_inline]] inline void tile(const float* q, std::size_t q_stride, const float* panel,
                                        std::size_t kc, float* out, std::size_t out_stride) {
  v16 a0, a1, a2, a3, a4, a5;
  std::memcpy(&a0, out, sizeof a0);
  std::memcpy(&a1, out + out_stride, sizeof a1);
  std::memcpy(&a2, out + 2 * out_stride, sizeof a2);
  std::memcpy(&a3, out + 3 * out_stride, sizeof a3);
  std::memcpy(&a4, out + 4 * out_stride, sizeof a4);
  std::memcpy(&a5, out + 5 * out_stride, sizeof a5);
  const float *q0 = q, *q1 = q + q_stride, *q2 = q + 2 * q_stride, *q3 = q + 3 * q_stride,
              *q4 = q + 4 * q_stride, *q5 = q + 5 * q_stride;
  const v16i abs_mask = v16i{} + 0x7fffffff;
  for (std::size_t f = 0; f < kc; ++f) {
    v16 p;
    std::memcpy(&p, panel + f * kPanel, sizeof p);
    if constexpr (kL1) {
      a0 += reinterpret_cast<v16>(reinterpret_cast<v16i>(q0[f] - p) & abs_mask);
      a1 += reinterpret_cast<v16>(reinterpret_cast<v16i>(q1[f] - p) & abs_mask);
      a2 += reinterpret_cast<v16>(reinterpret_cast<v16i>(q2[f] - p) & abs_mask);
      a3 += reinterpret_cast<v16>(reinterpret_cast<v16i>(q3[f] - p) & abs_mask);
      a4 += reinterpret_cast<v16>(reinterpret_cast<v16i>(q4[f] - p) & abs_mask);
      a5 += reinterpret_cast<v16>(reinterpret_cast<v16i>(q5[f] - p) & abs_mask);
    } else {
      a0 += q0[f] * p;
      a1 += q1[f] * p;
      a2 += q2[f] * p;
      a3 += q3[f] * p;
      a4 += q4[f] * p;
      a5 += q5[f] * p;
    }
  }
  std::memcpy(out, &a0, sizeof a0);
  std::memcpy(out + out_stride, &a1, sizeof a1);
  std::memcpy(out + 2 * out_stride, &a2, sizeof a2);
  std::memcpy(out + 3 * out_stride, &a3, sizeof a3);
  std::memcpy(out + 4 * out_stride, &a4, sizeof a4);
  std::memcpy(out + 5 * out_stride, &a5, sizeof a5);
}

}  // namespace

TINYML_KERNEL
void dot_tile(const float* q, std::size_t q_stride, const float* panel, std::size_t kc,
              float* out, std::size_t out_stride) {
  tile<false>(q, q_stride, panel, kc, out, out_stride);
}

TINYML_KERNEL
void l1_tile(const float* q, std::size_t q_stride, const float* panel, std::size_t kc,
             float* out, std::size_t out_stride) {
  tile<true>(q, q_stride, panel, kc, out, out_stride);
}

}  // namespace tinyml::classic::detail
