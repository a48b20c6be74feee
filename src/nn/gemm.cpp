#include "tinyml/nn/gemm.hpp"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "tinyml/nn/parallel.hpp"

namespace tinyml::nn {

namespace {

// Rows per thread below which a product stays on one thread (the hand-off costs more).
constexpr std::size_t kMinRows = 16;

void one_blas_thread() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

// Per-chunk partial sums for the reductions, owned by the calling thread.
float* partial(int k, std::size_t size) {
  static thread_local std::vector<std::vector<float>> buf(kMaxChunks);
  auto& v = buf[static_cast<std::size_t>(k)];
  v.resize(size);
  return v.data();
}

}  // namespace

void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  one_blas_thread();
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              lda, b, ldb, beta, c, ldc);
}

void gemm_rows(bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c,
               int ldc) {
  parallel_for(static_cast<std::size_t>(m), kMinRows, [&](int, std::size_t r0, std::size_t r1) {
    const auto rows = static_cast<int>(r1 - r0);
    gemm(false, tb, rows, n, k, 1.0f, a + r0 * static_cast<std::size_t>(lda), lda, b, ldb, beta,
         c + r0 * static_cast<std::size_t>(ldc), ldc);
  });
}

void gemm_sum_rows(int m, int n, int r, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
  if (m == 0 || n == 0 || r == 0) return;
  const std::size_t size = static_cast<std::size_t>(m) * static_cast<std::size_t>(n);
  const int chunks = chunk_count(static_cast<std::size_t>(r), kMinRows);
  float* parts[kMaxChunks];
  for (int k = 1; k < chunks; ++k) parts[k] = partial(k, size);
  // Chunk 0 adds into C; the others write their own sums, added below in chunk order.
  parallel_for(static_cast<std::size_t>(r), kMinRows, [&](int k, std::size_t r0, std::size_t r1) {
    const auto rows = static_cast<int>(r1 - r0);
    gemm(true, false, m, n, rows, 1.0f, a + r0 * static_cast<std::size_t>(lda), lda,
         b + r0 * static_cast<std::size_t>(ldb), ldb, k == 0 ? 1.0f : 0.0f, k == 0 ? c : parts[k], k == 0 ? ldc : n);
  });
  for (int k = 1; k < chunks; ++k)
    for (int i = 0; i < m; ++i) {
      float* ci = c + static_cast<std::size_t>(i) * static_cast<std::size_t>(ldc);
      const float* pi = parts[k] + static_cast<std::size_t>(i) * static_cast<std::size_t>(n);
      for (int j = 0; j < n; ++j) ci[j] += pi[j];
    }
}

void column_sums(int r, int n, const float* a, float* sums) {
  if (r == 0 || n == 0) return;
  constexpr std::size_t kMinSumRows = 256;
  const int chunks = chunk_count(static_cast<std::size_t>(r), kMinSumRows);
  float* parts[kMaxChunks];
  for (int k = 1; k < chunks; ++k) parts[k] = partial(k, static_cast<std::size_t>(n));
  parallel_for(static_cast<std::size_t>(r), kMinSumRows, [&](int k, std::size_t r0, std::size_t r1) {
    float* s = k == 0 ? sums : parts[k];
    if (k != 0) std::fill(s, s + n, 0.0f);
    for (std::size_t i = r0; i < r1; ++i) {
      const float* ai = a + i * static_cast<std::size_t>(n);
      for (int j = 0; j < n; ++j) s[j] += ai[j];
    }
  });
  for (int k = 1; k < chunks; ++k)
    for (int j = 0; j < n; ++j) sums[j] += parts[k][j];
}

}  // namespace tinyml::nn
