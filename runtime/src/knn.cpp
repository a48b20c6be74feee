// KNN over int8 prototypes: brute-force distances in int32, the k nearest kept sorted,
// then a majority vote.
//   Neighbours: the k smallest (distance, prototype index) pairs in lexicographic order,
//   i.e. among equal distances the lower index is nearer. Prototypes are scanned in index
//   order and one enters only when strictly closer than the farthest kept.
//   Vote: one vote per neighbour; the class with the most votes wins, the lowest class
//   index among equal counts.
// Scratch: k distances, k indices, num_classes vote counts (int32 each).
#include "rt_internal.hpp"

namespace {

constexpr int32_t kMaxDim = 33025;  // 33025 * 255^2 < 2^31

tinyml_rt_status check(const tinyml_rt_knn_params* p, const int8_t* prototypes,
                       const int32_t* labels, int32_t num_prototypes, int32_t dim,
                       const int8_t* queries, int32_t num_queries, const int32_t* classes) {
  if (p == nullptr || prototypes == nullptr || labels == nullptr || queries == nullptr ||
      classes == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  if (num_prototypes < 1 || dim < 1 || num_queries < 0 || dim > kMaxDim ||
      static_cast<int64_t>(num_prototypes) * dim > tinyml_rt::kInt32Max ||
      static_cast<int64_t>(num_queries) * dim > tinyml_rt::kInt32Max) {
    return TINYML_RT_BAD_SHAPE;
  }
  if (p->k < 1 || p->k > num_prototypes || p->num_classes < 1 ||
      (p->distance != TINYML_RT_DISTANCE_L2_SQUARED && p->distance != TINYML_RT_DISTANCE_L1) ||
      static_cast<int64_t>(num_queries) * p->k > tinyml_rt::kInt32Max) {
    return TINYML_RT_BAD_PARAM;
  }
  for (int32_t i = 0; i < num_prototypes; ++i) {
    if (labels[i] < 0 || labels[i] >= p->num_classes) return TINYML_RT_BAD_PARAM;
  }
  return TINYML_RT_OK;
}

int32_t distance(const int8_t* a, const int8_t* b, int32_t dim, bool l1) {
  int32_t sum = 0;
  if (l1) {
    for (int32_t i = 0; i < dim; ++i) {
      const int32_t d = static_cast<int32_t>(a[i]) - static_cast<int32_t>(b[i]);
      sum += d < 0 ? -d : d;
    }
  } else {
    for (int32_t i = 0; i < dim; ++i) {
      const int32_t d = static_cast<int32_t>(a[i]) - static_cast<int32_t>(b[i]);
      sum += d * d;
    }
  }
  return sum;
}

}  // namespace

extern "C" {

size_t tinyml_rt_knn_s8_scratch_size(const tinyml_rt_knn_params* params) {
  if (params == nullptr || params->k < 1 || params->num_classes < 1) return 0;
  return (2 * static_cast<size_t>(params->k) + static_cast<size_t>(params->num_classes)) *
         sizeof(int32_t);
}

tinyml_rt_status tinyml_rt_knn_s8(const tinyml_rt_knn_params* params, const int8_t* prototypes,
                                  const int32_t* labels, int32_t num_prototypes, int32_t dim,
                                  const int8_t* queries, int32_t num_queries, int32_t* classes,
                                  int32_t* neighbours, int32_t* distances, void* scratch,
                                  size_t scratch_bytes) {
  const tinyml_rt_status st = check(params, prototypes, labels, num_prototypes, dim, queries,
                                    num_queries, classes);
  if (st != TINYML_RT_OK) return st;
  if (!tinyml_rt::scratch_fits(scratch, scratch_bytes, tinyml_rt_knn_s8_scratch_size(params))) {
    return TINYML_RT_SCRATCH_TOO_SMALL;
  }
  const int32_t k = params->k;
  int32_t* best_d = static_cast<int32_t*>(scratch);
  int32_t* best_i = best_d + k;
  int32_t* votes = best_i + k;
  const bool l1 = params->distance == TINYML_RT_DISTANCE_L1;

  for (int32_t q = 0; q < num_queries; ++q) {
    const int8_t* query = queries + q * dim;
    int32_t kept = 0;
    for (int32_t i = 0; i < num_prototypes; ++i) {
      const int32_t d = distance(prototypes + i * dim, query, dim, l1);
      if (kept == k && d >= best_d[k - 1]) continue;
      if (kept < k) ++kept;
      // Insert after every kept entry at distance <= d (they have lower indices).
      int32_t j = kept - 1;
      while (j > 0 && best_d[j - 1] > d) {
        best_d[j] = best_d[j - 1];
        best_i[j] = best_i[j - 1];
        --j;
      }
      best_d[j] = d;
      best_i[j] = i;
    }
    for (int32_t c = 0; c < params->num_classes; ++c) votes[c] = 0;
    for (int32_t j = 0; j < k; ++j) ++votes[labels[best_i[j]]];
    int32_t winner = 0;
    for (int32_t c = 1; c < params->num_classes; ++c) {
      if (votes[c] > votes[winner]) winner = c;
    }
    classes[q] = winner;
    for (int32_t j = 0; j < k; ++j) {
      if (neighbours != nullptr) neighbours[q * k + j] = best_i[j];
      if (distances != nullptr) distances[q * k + j] = best_d[j];
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
