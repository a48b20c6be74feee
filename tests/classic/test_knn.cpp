#include <cmath>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "tinyml/classic/knn.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::classic;

namespace {

data::Dataset make(std::vector<std::vector<float>> rows, std::vector<std::int32_t> y,
                   std::size_t n_classes = 0) {
  data::Dataset d;
  d.shape = {static_cast<std::uint32_t>(rows.at(0).size())};
  for (auto& r : rows) d.x.insert(d.x.end(), r.begin(), r.end());
  d.y = std::move(y);
  std::int32_t top = 0;
  for (auto v : d.y) top = std::max(top, v);
  for (std::size_t c = 0; c < std::max<std::size_t>(n_classes, static_cast<std::size_t>(top) + 1); ++c)
    d.classes.push_back("c" + std::to_string(c));
  return d;
}

Knn fitted(const data::Dataset& train, std::size_t k, Metric m, Weights w, unsigned threads = 1) {
  KnnOptions o;
  o.k = k;
  o.metric = m;
  o.weights = w;
  o.threads = threads;
  Knn knn(o);
  knn.fit(train);
  return knn;
}

}  // namespace

// Every configuration of tests/classic/data/knn_sklearn.txt: iris, wine, digits with
// k = 1, 3, 5, L2 / L1 / cosine, uniform / distance, and the tie-heavy grid set.
TEST(Knn, SameAsScikitLearn) {
  std::size_t configs = 0, samples = 0;
  std::set<std::string> sets;
  for (const auto& [key, rest] : classic_test::reference_lines("knn_sklearn.txt")) {
    std::istringstream in(key);
    std::string name, metric, weights;
    std::size_t k = 0;
    in >> name >> metric >> weights >> k;
    const auto expected = classic_test::numbers<std::int32_t>(rest);
    const auto& split = classic_test::sklearn_split(name);
    ASSERT_EQ(expected.size(), split.test.size()) << key;
    Knn knn = fitted(split.train, k, parse_metric(metric), parse_weights(weights));
    EXPECT_EQ(knn.predict(split.test), expected) << key;
    ++configs;
    samples += expected.size();
    sets.insert(name);
  }
  EXPECT_EQ(configs, 3u * 3 * 2 * 3 + 2 * 2 * 4);
  EXPECT_EQ(sets, (std::set<std::string>{"iris", "wine", "digits", "ties"}));
  EXPECT_GT(samples, 10000u);
}

TEST(Knn, ThreadsDoNotChangeAnswers) {
  const auto& split = classic_test::sklearn_split("digits");
  for (Metric m : {Metric::L2, Metric::L1, Metric::Cosine}) {
    Knn one = fitted(split.train, 5, m, Weights::Distance, 1);
    Knn two = fitted(split.train, 5, m, Weights::Distance, 2);
    const Neighbours a = one.kneighbors(split.test), b = two.kneighbors(split.test);
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.distance, b.distance);
  }
}

TEST(Knn, DistancesAreExactAndSorted) {
  const auto& split = classic_test::sklearn_split("wine");
  for (Metric m : {Metric::L2, Metric::L1, Metric::Cosine}) {
    Knn knn = fitted(split.train, 7, m, Weights::Uniform);
    const Neighbours nb = knn.kneighbors(split.test);
    const std::size_t dim = split.train.sample_size();
    for (std::size_t q = 0; q < split.test.size(); ++q) {
      const float* a = split.test.x.data() + q * dim;
      // Brute force over every training row, (distance, index) order.
      std::vector<std::pair<double, std::uint32_t>> all;
      for (std::uint32_t t = 0; t < split.train.size(); ++t) {
        const float* b = split.train.x.data() + t * dim;
        double s = 0, na = 0, nb2 = 0;
        for (std::size_t f = 0; f < dim; ++f) {
          const double u = a[f], v = b[f];
          if (m == Metric::L2) s += (u - v) * (u - v);
          if (m == Metric::L1) s += std::fabs(u - v);
          na += u * u;
          nb2 += v * v;
        }
        if (m == Metric::Cosine) {
          for (std::size_t f = 0; f < dim; ++f)
            s += (a[f] / std::sqrt(na)) * (b[f] / std::sqrt(nb2));
          s = 1 - s;
        }
        all.emplace_back(m == Metric::L2 ? std::sqrt(s) : s, t);
      }
      std::sort(all.begin(), all.end());
      for (std::size_t j = 0; j < 7; ++j) {
        EXPECT_EQ(nb.index[q * 7 + j], all[j].second) << to_string(m) << " query " << q;
        EXPECT_NEAR(nb.distance[q * 7 + j], all[j].first, 1e-9 * (1 + all[j].first));
      }
    }
  }
}

// sklearn's heap: distances 2, 2, 1, 1 (k = 3) keep rows 1, 2, 3, not 0, 2, 3 as a
// lowest-index rule would; the votes are then 1, 0, 1.
TEST(Knn, TiesAtTheKthDistanceFollowScikitLearnsHeap) {
  auto train = make({{2}, {-2}, {1}, {-1}}, {0, 1, 0, 1});
  for (Metric m : {Metric::L2, Metric::L1}) {
    Knn knn = fitted(train, 3, m, Weights::Uniform);
    const Neighbours nb = knn.kneighbors(std::vector<float>{0});
    EXPECT_EQ(nb.index, (std::vector<std::uint32_t>{2, 3, 1}));
    EXPECT_EQ(nb.distance, (std::vector<double>{1, 1, 2}));
    EXPECT_EQ(knn.predict(std::vector<float>{0}), std::vector<std::int32_t>{1});
  }
}

TEST(Knn, VoteTiesGoToTheLowestClass) {
  auto train = make({{0}, {1}, {10}}, {2, 1, 0});
  EXPECT_EQ(fitted(train, 2, Metric::L2, Weights::Uniform).predict(std::vector<float>{0.4f}),
            std::vector<std::int32_t>{1});
  // Distance weights 1/0.5 each: a tie again.
  EXPECT_EQ(fitted(train, 2, Metric::L1, Weights::Distance).predict(std::vector<float>{0.5f}),
            std::vector<std::int32_t>{1});
}

TEST(Knn, ZeroDistanceNeighboursTakeAllTheWeight) {
  // The query sits on a class-1 row; two class-0 rows are close by.
  auto train = make({{0, 0}, {0.1f, 0}, {0, 0.1f}}, {1, 0, 0});
  const std::vector<float> q{0, 0};
  EXPECT_EQ(fitted(train, 3, Metric::L2, Weights::Uniform).predict(q), std::vector<std::int32_t>{0});
  EXPECT_EQ(fitted(train, 3, Metric::L2, Weights::Distance).predict(q), std::vector<std::int32_t>{1});
  auto proba = fitted(train, 3, Metric::L2, Weights::Distance).predict_proba(q);
  EXPECT_EQ(proba, (std::vector<double>{0, 1}));
  // Two rows at distance 0 with different classes: 1 + 1, the lowest class wins.
  auto dup = make({{0, 0}, {0, 0}, {0.1f, 0}}, {2, 1, 0});
  EXPECT_EQ(fitted(dup, 3, Metric::L1, Weights::Distance).predict(q), std::vector<std::int32_t>{1});
  // Cosine: a row in the same direction is at distance 0.
  auto dir = make({{2, 2}, {1, 0}, {0, 1}}, {1, 0, 0});
  EXPECT_EQ(fitted(dir, 3, Metric::Cosine, Weights::Distance).predict(std::vector<float>{1, 1}),
            std::vector<std::int32_t>{1});
}

TEST(Knn, CosineOfAZeroRowIsOne) {
  auto train = make({{0, 0}, {1, 0}}, {0, 1});
  Knn knn = fitted(train, 2, Metric::Cosine, Weights::Uniform);
  const Neighbours nb = knn.kneighbors(std::vector<float>{0, 3});
  EXPECT_EQ(nb.distance, (std::vector<double>{1, 1}));
  EXPECT_EQ(nb.index, (std::vector<std::uint32_t>{0, 1}));
}

TEST(Knn, LargeValuesStayExact) {
  // Values where float32 squares lose everything: the exact pass still orders them.
  auto train = make({{1e18f, 0}, {1e18f, 3}, {1e18f, 1}}, {0, 1, 2});
  Knn knn = fitted(train, 1, Metric::L2, Weights::Uniform);
  EXPECT_EQ(knn.predict(std::vector<float>{1e18f, 1.2f}), std::vector<std::int32_t>{2});
  auto huge = make({{3e38f}, {-3e38f}}, {0, 1});
  EXPECT_EQ(fitted(huge, 1, Metric::L2, Weights::Uniform).predict(std::vector<float>{-1e38f}),
            std::vector<std::int32_t>{1});
}

TEST(Knn, BadParametersAndDataNameTheProblem) {
  auto train = make({{0}, {1}}, {0, 1});
  using classic_test::expect_input_error;
  expect_input_error([&] { fitted(train, 0, Metric::L2, Weights::Uniform); }, "k must be at least 1");
  expect_input_error([&] { fitted(train, 3, Metric::L2, Weights::Uniform); }, "k = 3 is larger");
  expect_input_error([] { parse_metric("chebyshev"); }, "metric");
  expect_input_error([] { parse_weights("inverse"); }, "weights");
  auto nan = make({{0}, {std::nanf("")}}, {0, 1});
  expect_input_error([&] { fitted(nan, 1, Metric::L2, Weights::Uniform); }, "sample 1 feature 0");
  auto unlabelled = make({{0}, {1}}, {0, -1});
  expect_input_error([&] { fitted(unlabelled, 1, Metric::L2, Weights::Uniform); }, "no label");
  Knn knn = fitted(train, 1, Metric::L2, Weights::Uniform);
  auto wide = make({{0, 1}}, {0});
  expect_input_error([&] { knn.predict(wide); }, "the model was fitted on 1");
  expect_input_error([&] { Knn().predict(std::vector<float>{0}); }, "not fitted");
}
