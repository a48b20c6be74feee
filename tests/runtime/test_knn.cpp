// KNN over int8 prototypes: hand-worked ties, random cases against a sort-based
// reference, and the scratch it asks for.
#include <numeric>

#include "rt_test_util.hpp"

namespace {

using rt_test::Rng;

struct KnnResult {
  tinyml_rt_status status;
  std::vector<int32_t> classes, neighbours, distances;
};

KnnResult run(const tinyml_rt_knn_params& p, const std::vector<int8_t>& protos,
              const std::vector<int32_t>& labels, int32_t dim, const std::vector<int8_t>& queries) {
  const auto n = static_cast<int32_t>(labels.size());
  const auto nq = static_cast<int32_t>(queries.size()) / dim;
  KnnResult r{};
  r.classes.resize(static_cast<size_t>(nq));
  r.neighbours.resize(static_cast<size_t>(nq * p.k));
  r.distances.resize(static_cast<size_t>(nq * p.k));
  rt_test::Scratch scratch(tinyml_rt_knn_s8_scratch_size(&p));
  EXPECT_EQ(scratch.size, (2 * static_cast<size_t>(p.k) + static_cast<size_t>(p.num_classes)) * 4);
  r.status = tinyml_rt_knn_s8(&p, protos.data(), labels.data(), n, dim, queries.data(), nq,
                              r.classes.data(), r.neighbours.data(), r.distances.data(),
                              scratch.data(), scratch.size);
  return r;
}

TEST(RuntimeKnn, HandWorkedTies) {
  // 1-D prototypes at 0 (class 0), 2 (class 1), -2 (class 2), 4 (class 1); query 1.
  // L2: distances 1, 1, 9, 9. k = 2: prototypes 0 and 1 (tie at 1, lower index first);
  // votes class 0: 1, class 1: 1 -> the lower class, 0.
  const std::vector<int8_t> protos = {0, 2, -2, 4};
  const std::vector<int32_t> labels = {0, 1, 2, 1};
  tinyml_rt_knn_params p{2, 3, TINYML_RT_DISTANCE_L2_SQUARED};
  auto r = run(p, protos, labels, 1, {1});
  ASSERT_EQ(r.status, TINYML_RT_OK);
  EXPECT_EQ(r.neighbours, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(r.distances, (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(r.classes[0], 0);
  // k = 3: distances 1 1 9 9, the third is prototype 2 (9, index 2 before index 3):
  // votes 1, 1, 1 -> class 0.
  p.k = 3;
  r = run(p, protos, labels, 1, {1});
  EXPECT_EQ(r.neighbours, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(r.classes[0], 0);
  // k = 4: class 1 has two votes.
  p.k = 4;
  r = run(p, protos, labels, 1, {1});
  EXPECT_EQ(r.neighbours, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(r.classes[0], 1);
  // L1 in 2-D: query (0, 0), prototypes (3, 0) (1, 1) (-1, -2) (0, -2): L1 3 2 3 2,
  // squared L2 9 2 5 4.
  const std::vector<int8_t> p2 = {3, 0, 1, 1, -1, -2, 0, -2};
  const std::vector<int32_t> l2 = {0, 1, 1, 0};
  tinyml_rt_knn_params q{2, 2, TINYML_RT_DISTANCE_L1};
  r = run(q, p2, l2, 2, {0, 0});
  EXPECT_EQ(r.neighbours, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(r.distances, (std::vector<int32_t>{2, 2}));
  q.distance = TINYML_RT_DISTANCE_L2_SQUARED;
  q.k = 3;
  r = run(q, p2, l2, 2, {0, 0});
  EXPECT_EQ(r.neighbours, (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(r.distances, (std::vector<int32_t>{2, 4, 5}));
  EXPECT_EQ(r.classes[0], 1);
  // Extremes: -128 against 127 in every one of 3 dimensions: 3 * 255^2.
  q = {1, 2, TINYML_RT_DISTANCE_L2_SQUARED};
  r = run(q, {-128, -128, -128}, {1}, 3, {127, 127, 127});
  EXPECT_EQ(r.distances[0], 3 * 255 * 255);
  EXPECT_EQ(r.classes[0], 1);
}

TEST(RuntimeKnn, RandomCasesMatchSortReference) {
  Rng rng(14);
  for (int iter = 0; iter < 100; ++iter) {
    const int32_t n = rng.uniform(1, 60), dim = rng.uniform(1, 20), classes = rng.uniform(1, 5);
    const int32_t nq = rng.uniform(1, 5);
    tinyml_rt_knn_params p{rng.uniform(1, std::min(n, 9)), classes, rng.uniform(0, 1)};
    // A narrow value range makes ties common.
    const int32_t span = rng.uniform(1, 127);
    const auto protos = rng.int8s(static_cast<size_t>(n * dim), -span, span);
    const auto queries = rng.int8s(static_cast<size_t>(nq * dim), -span, span);
    std::vector<int32_t> labels(static_cast<size_t>(n));
    for (auto& l : labels) l = rng.uniform(0, classes - 1);
    const KnnResult r = run(p, protos, labels, dim, queries);
    ASSERT_EQ(r.status, TINYML_RT_OK);
    for (int32_t q = 0; q < nq; ++q) {
      std::vector<std::pair<int64_t, int32_t>> all;
      for (int32_t i = 0; i < n; ++i) {
        int64_t d = 0;
        for (int32_t j = 0; j < dim; ++j) {
          const int64_t diff = protos[i * dim + j] - queries[q * dim + j];
          d += p.distance == TINYML_RT_DISTANCE_L1 ? std::abs(diff) : diff * diff;
        }
        all.emplace_back(d, i);
      }
      std::sort(all.begin(), all.end());  // by distance, then index
      std::vector<int32_t> votes(static_cast<size_t>(classes), 0);
      for (int32_t j = 0; j < p.k; ++j) {
        const auto& [d, i] = all[static_cast<size_t>(j)];
        EXPECT_EQ(r.neighbours[static_cast<size_t>(q * p.k + j)], i);
        EXPECT_EQ(r.distances[static_cast<size_t>(q * p.k + j)], d);
        ++votes[static_cast<size_t>(labels[static_cast<size_t>(i)])];
      }
      const auto winner = std::max_element(votes.begin(), votes.end()) - votes.begin();
      EXPECT_EQ(r.classes[static_cast<size_t>(q)], winner);  // max_element: the first maximum
    }
  }
}

TEST(RuntimeKnn, RejectsBadArguments) {
  const std::vector<int8_t> protos = {0, 1};
  const std::vector<int32_t> bad_labels = {0, 5};
  tinyml_rt_knn_params p{1, 2, TINYML_RT_DISTANCE_L1};
  EXPECT_EQ(run(p, protos, bad_labels, 1, {0}).status, TINYML_RT_BAD_PARAM);
  p.k = 3;  // more than the prototypes
  EXPECT_EQ(run(p, protos, {0, 1}, 1, {0}).status, TINYML_RT_BAD_PARAM);
  p.k = 1;
  int32_t cls = 0;
  rt_test::Scratch small(tinyml_rt_knn_s8_scratch_size(&p) - 4);
  const std::vector<int32_t> labels = {0, 1};
  const int8_t query = 0;
  EXPECT_EQ(tinyml_rt_knn_s8(&p, protos.data(), labels.data(), 2, 1, &query, 1, &cls, nullptr,
                             nullptr, small.data(), small.size),
            TINYML_RT_SCRATCH_TOO_SMALL);
}

}  // namespace
