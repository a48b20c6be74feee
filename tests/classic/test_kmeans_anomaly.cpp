#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "tinyml/classic/anomaly.hpp"
#include "tinyml/classic/kmeans.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::classic;

namespace {

data::Dataset rows1d(std::vector<float> v) {
  data::Dataset d;
  d.shape = {1};
  d.x = std::move(v);
  d.y.assign(d.x.size(), 0);
  return d;
}

}  // namespace

using classic_test::expect_input_error;

TEST(KMeans, TwoObviousClustersByHand) {
  KMeansOptions o;
  o.k = 2;
  const KMeans m = fit_kmeans(rows1d({0, 1, 10, 11}), o);
  ASSERT_EQ(m.k(), 2u);
  std::vector<float> c = m.centroids;
  std::sort(c.begin(), c.end());
  EXPECT_EQ(c, (std::vector<float>{0.5f, 10.5f}));
  EXPECT_DOUBLE_EQ(m.inertia, 1.0);  // four points at 0.5 from their centroid
  double d2;
  const std::size_t j = m.nearest(std::vector<float>{9}.data(), &d2);
  EXPECT_EQ(m.centroids[j], 10.5f);
  EXPECT_DOUBLE_EQ(d2, 2.25);
}

TEST(KMeans, FindsBlobMeansAndIsDeterministic) {
  data::Dataset d;
  d.shape = {2};
  const float centres[3][2] = {{0, 0}, {10, 0}, {0, 10}};
  const float offsets[4][2] = {{0.5f, 0}, {-0.5f, 0}, {0, 0.5f}, {0, -0.5f}};
  for (int rep = 0; rep < 5; ++rep)
    for (auto& c : centres)
      for (auto& o : offsets) d.x.insert(d.x.end(), {c[0] + o[0], c[1] + o[1]});
  d.y.assign(d.x.size() / 2, 0);
  KMeansOptions o;
  o.k = 3;
  o.n_init = 3;
  const KMeans a = fit_kmeans(d, o), b = fit_kmeans(d, o);
  EXPECT_EQ(a.centroids, b.centroids);  // same seed, same bits
  EXPECT_NEAR(a.inertia, 60 * 0.25, 1e-9);
  for (auto& c : centres) {
    double d2;
    a.nearest(c, &d2);
    EXPECT_LT(d2, 1e-10);
  }
  o.seed = 7;
  EXPECT_NEAR(fit_kmeans(d, o).inertia, 60 * 0.25, 1e-9);
}

TEST(KMeans, MoreCentresThanDistinctPointsStillWorks) {
  KMeansOptions o;
  o.k = 3;
  const KMeans m = fit_kmeans(rows1d({1, 1, 1, 5}), o);
  EXPECT_EQ(m.k(), 3u);
  EXPECT_DOUBLE_EQ(m.inertia, 0.0);
}

TEST(KMeans, BadParameters) {
  KMeansOptions o;
  o.k = 0;
  expect_input_error([&] { fit_kmeans(rows1d({1, 2}), o); }, "k must be at least 1");
  o.k = 3;
  expect_input_error([&] { fit_kmeans(rows1d({1, 2}), o); }, "k = 3 is larger than the 2 samples");
  o.k = 1;
  o.tol = -1;
  expect_input_error([&] { fit_kmeans(rows1d({1, 2}), o); }, "tol");
  o.tol = 0;
  expect_input_error([&] { fit_kmeans(rows1d({1, INFINITY}), o); }, "not a finite number");
}

TEST(Anomaly, ThresholdForFalsePositiveRateByHand) {
  const std::vector<double> s{3, 1, 2, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(threshold_for_fpr(s, 0.2), 8);   // 9 and 10 above: 2 of 10
  EXPECT_EQ(threshold_for_fpr(s, 0.25), 8);  // floor(2.5) = 2
  EXPECT_EQ(threshold_for_fpr(s, 0.0), 10);  // nothing above the largest
  EXPECT_EQ(threshold_for_fpr(s, 1.0), 1);
  // Ties at the threshold: only 3 is above 2, a rate of 0.2 <= 0.4.
  EXPECT_EQ(threshold_for_fpr(std::vector<double>{2, 1, 2, 2, 3}, 0.4), 2);
  expect_input_error([] { threshold_for_fpr(std::vector<double>{1}, 1.5); }, "target_fpr");
  expect_input_error([] { threshold_for_fpr(std::vector<double>{}, 0.1); }, "no normal scores");
}

TEST(Anomaly, RocAucByHandWithTies) {
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{0.1, 0.4, 0.35, 0.8}, std::vector<std::int32_t>{0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{0.5, 0.5, 0.5, 0.5}, std::vector<std::int32_t>{0, 1, 0, 1}), 0.5);
  // Positives 2, 3, 3, 4 against negatives 1, 2, 3: 1.5 + 2.5 + 2.5 + 3 = 9.5 of 12 pairs.
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{1, 2, 2, 3, 3, 3, 4}, std::vector<std::int32_t>{0, 0, 1, 0, 1, 1, 1}),
                   9.5 / 12);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{1, 2}, std::vector<std::int32_t>{1, 0}), 0.0);
  expect_input_error([] { roc_auc(std::vector<double>{1, 2}, std::vector<std::int32_t>{1, 1}); }, "needs both classes");
  expect_input_error([] { roc_auc(std::vector<double>{1, 2}, std::vector<std::int32_t>{0, 2}); }, "label 2");
  expect_input_error([] { roc_auc(std::vector<double>{1}, std::vector<std::int32_t>{0, 1}); }, "1 scores for 2 labels");
}

TEST(Anomaly, RocAucSameAsScikitLearn) {
  std::size_t cases = 0;
  for (const auto& [auc, rest] : classic_test::reference_lines("roc_auc_sklearn.txt", '|')) {
    const auto bar = rest.find('|');
    const auto scores = classic_test::numbers<double>(rest.substr(0, bar));
    const auto labels = classic_test::numbers<std::int32_t>(rest.substr(bar + 1));
    EXPECT_NEAR(roc_auc(scores, labels), std::stod(auc), 1e-15) << rest;
    ++cases;
  }
  EXPECT_EQ(cases, 4u);
}

// Digit 0 is normal, every other digit an anomaly: k-means on the training zeros, threshold
// on held-out zeros.
TEST(Anomaly, DigitsZeroAgainstTheRest) {
  const auto& split = classic_test::sklearn_split("digits");
  auto [fit_part, calib_part] = split_every(split.train, 2);
  KMeansAnomalyDetector det;
  KMeansOptions o;
  o.k = 4;
  det.fit(samples_of_class(fit_part, 0), o);
  const double t = det.calibrate(samples_of_class(calib_part, 0), 0.1);
  EXPECT_GT(t, 0);
  const auto calib_scores = det.score(samples_of_class(calib_part, 0));
  std::size_t above = 0;
  for (double s : calib_scores) above += s > t;
  EXPECT_LE(static_cast<double>(above), 0.1 * static_cast<double>(calib_scores.size()));

  const auto scores = det.score(split.test);
  const auto labels = anomaly_labels(split.test, 0);
  const double auc = roc_auc(scores, labels);
  EXPECT_GT(auc, 0.97) << auc;
  const auto flagged = det.detect(split.test);
  std::size_t tp = 0, pos = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    pos += labels[i];
    tp += labels[i] && flagged[i];
  }
  EXPECT_GT(static_cast<double>(tp) / static_cast<double>(pos), 0.9);
  expect_input_error([&] { KMeansAnomalyDetector().score(split.test); }, "not fitted");
}
