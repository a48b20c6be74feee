// Matrix products for training, on OpenBLAS (row-major sgemm) held to one thread per
// call: the parallel forms split the work over tinyml's own threads (parallel.hpp) in a
// fixed way, so results depend only on the thread count.
#pragma once

namespace tinyml::nn {

// C[M x N] = alpha * op(A) * op(B) + beta * C, row-major, on the calling thread.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc);

// C[M x N] = A[M x K] op(B) + beta * C with the M rows split over the threads (each row
// of C is computed by one thread, in one call: the same sums as gemm()).
void gemm_rows(bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta,
               float* c, int ldc);

// C[M x N] += A[R x M]^T B[R x N], a sum over R rows (a weight gradient): each thread
// sums its rows into its own buffer, then the buffers are added to C in thread order.
void gemm_sum_rows(int m, int n, int r, const float* a, int lda, const float* b, int ldb, float* c, int ldc);

// sums[N] += the column sums of A[R x N] (a bias gradient), split like gemm_sum_rows.
void column_sums(int r, int n, const float* a, float* sums);

}  // namespace tinyml::nn
