// Matrix products for training, on OpenBLAS (row-major sgemm). With a fixed thread count
// the results are the same from run to run: each thread owns whole blocks of the output
// and sums its products in a fixed order.
#pragma once

namespace tinyml::nn {

// C[M x N] = alpha * op(A) * op(B) + beta * C, row-major; op transposes when asked.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc);

// The number of threads the matrix products use (both cores by default).
void set_threads(int n);
int threads();

}  // namespace tinyml::nn
