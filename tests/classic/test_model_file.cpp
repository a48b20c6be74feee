// The classic model file (.tmc): every kind round-trips exactly, and a truncated, corrupted,
// newer or structurally impossible file is refused with a message naming it. Also the
// autoencoder detector end to end and the detection metrics by hand.
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "tinyml/classic/model_file.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/autoencoder.hpp"
#include "tinyml/nn/spec.hpp"

using namespace tinyml;
using namespace tinyml::classic;
using classic_test::expect_input_error;
using classic_test::sklearn_split;

namespace {

ClassicModelFile file_for(const data::Dataset& train) {
  ClassicModelFile f;
  f.describe_data(train);
  f.metadata = {{"note", "test"}};
  return f;
}

ClassicModelFile round_trip(ClassicModelFile& f) {
  const std::string bytes = serialize(f);
  EXPECT_TRUE(is_classic_model(bytes));
  ClassicModelFile g = deserialize_classic(bytes, "m.tmc");
  EXPECT_EQ(g.kind(), f.kind());
  EXPECT_EQ(g.classes, f.classes);
  EXPECT_EQ(g.input_shape, f.input_shape);
  EXPECT_EQ(g.features, f.features);
  EXPECT_EQ(g.normalization.json(), f.normalization.json());
  EXPECT_EQ(g.metadata, f.metadata);
  EXPECT_EQ(serialize(g), bytes) << "saving the loaded model gives the same bytes";
  return g;
}

void expect_same_tree(const DecisionTree& a, const DecisionTree& b) {
  ASSERT_EQ(a.nodes().size(), b.nodes().size());
  for (std::size_t i = 0; i < a.nodes().size(); ++i) {
    EXPECT_EQ(a.nodes()[i].feature, b.nodes()[i].feature);
    EXPECT_EQ(a.nodes()[i].threshold, b.nodes()[i].threshold);
    EXPECT_EQ(a.nodes()[i].left, b.nodes()[i].left);
    EXPECT_EQ(a.nodes()[i].right, b.nodes()[i].right);
    EXPECT_EQ(a.nodes()[i].value, b.nodes()[i].value);
  }
  EXPECT_EQ(a.values(), b.values());
  EXPECT_EQ(a.depth(), b.depth());
}

// Two features: normal samples near the origin, anomalies near (6, 6).
data::Dataset blobs(std::size_t normal, std::size_t anomalies, std::uint64_t seed) {
  data::Dataset d;
  d.shape = {2};
  d.features = {"a", "b"};
  d.classes = {"normal", "anomaly"};
  data::Rng rng(seed);
  auto noise = [&] { return static_cast<float>(static_cast<double>(rng.next() >> 11) * 0x1p-53 - 0.5); };
  for (std::size_t i = 0; i < normal + anomalies; ++i) {
    const bool bad = i >= normal;
    d.x.push_back((bad ? 6.0f : 0.0f) + noise());
    d.x.push_back((bad ? 6.0f : 0.0f) + noise());
    d.y.push_back(bad ? 1 : 0);
  }
  d.group.assign(d.y.size(), 0);
  d.t_begin.assign(d.y.size(), NAN);
  d.t_end = d.t_begin;
  return d;
}

}  // namespace

TEST(ClassicModelFile, KnnRoundTripsExactly) {
  const auto& s = sklearn_split("iris");
  ClassicModelFile f = file_for(s.train);
  Knn knn({3, Metric::L1, Weights::Distance, 1});
  knn.fit(s.train);
  f.model = knn;
  ClassicModelFile g = round_trip(f);
  const Knn& k = std::get<Knn>(g.model);
  EXPECT_EQ(k.options().k, 3u);
  EXPECT_EQ(k.options().metric, Metric::L1);
  EXPECT_EQ(k.options().weights, Weights::Distance);
  EXPECT_TRUE(std::equal(k.rows().begin(), k.rows().end(), knn.rows().begin(), knn.rows().end()));
  EXPECT_EQ(g.predict(s.test), knn.predict(s.test));
}

TEST(ClassicModelFile, TreeAndForestRoundTripExactly) {
  const auto& s = sklearn_split("wine");
  TreeOptions to;
  to.criterion = Criterion::Entropy;
  to.max_depth = 4;
  to.min_samples_leaf = 2;
  DecisionTree tree(to);
  tree.fit(s.train);
  ClassicModelFile f = file_for(s.train);
  f.model = tree;
  ClassicModelFile g = round_trip(f);
  expect_same_tree(std::get<DecisionTree>(g.model), tree);
  EXPECT_EQ(std::get<DecisionTree>(g.model).options().criterion, Criterion::Entropy);
  EXPECT_EQ(std::get<DecisionTree>(g.model).options().max_depth, 4u);
  EXPECT_EQ(g.predict(s.test), tree.predict(s.test));

  ForestOptions fo;
  fo.n_trees = 7;
  fo.seed = 3;
  fo.bootstrap = false;
  RandomForest forest(fo);
  forest.fit(s.train);
  f.model = forest;
  g = round_trip(f);
  const RandomForest& r = std::get<RandomForest>(g.model);
  ASSERT_EQ(r.trees().size(), 7u);
  for (std::size_t i = 0; i < 7; ++i) expect_same_tree(r.trees()[i], forest.trees()[i]);
  EXPECT_FALSE(r.options().bootstrap);
  EXPECT_EQ(r.predict_proba(s.test), forest.predict_proba(s.test));
}

TEST(ClassicModelFile, KMeansDetectorRoundTripsExactly) {
  const data::Dataset train = blobs(60, 0, 1), test = blobs(40, 10, 2);
  AnomalyDetector a;
  a.method = "kmeans";
  a.target_fpr = 0.05;
  a.kmeans.fit(train, {.k = 3});
  a.threshold = a.kmeans.calibrate(train, a.target_fpr);
  ClassicModelFile f = file_for(train);
  f.model = std::move(a);
  ClassicModelFile g = round_trip(f);
  auto& b = std::get<AnomalyDetector>(g.model);
  EXPECT_EQ(b.method, "kmeans");
  EXPECT_EQ(b.target_fpr, 0.05);
  EXPECT_EQ(b.threshold, std::get<AnomalyDetector>(f.model).threshold);
  EXPECT_EQ(b.kmeans.model().centroids, std::get<AnomalyDetector>(f.model).kmeans.model().centroids);
  EXPECT_EQ(b.score(test), std::get<AnomalyDetector>(f.model).score(test));
  expect_input_error([&] { g.predict(test); }, "does not predict classes");
}

TEST(ClassicModelFile, AutoencoderDetectorEndToEnd) {
  // Fit on normal samples only, calibrate on other normal samples, then the far-away
  // anomalies must all score above the threshold.
  const data::Dataset train = blobs(200, 0, 1), val = blobs(100, 0, 2), test = blobs(100, 20, 3);
  AnomalyDetector a;
  a.method = "autoencoder";
  a.autoencoder.layers = nn::preset_layers("autoencoder", {2}, 0, 0.25);
  a.autoencoder.model = nn::make_model(a.autoencoder.layers, {2}, 7);
  a.autoencoder.normalization = train.norm;
  nn::AutoencoderConfig cfg;
  cfg.epochs = 15;
  cfg.optimizer.lr = 0.01f;
  const nn::TrainResult tr = nn::train_autoencoder(a.autoencoder.model, train, &val, cfg);
  ASSERT_EQ(tr.history.size(), 15u);
  EXPECT_LT(tr.history.back().loss, tr.history.front().loss);
  a.threshold = threshold_for_fpr(nn::reconstruction_errors(a.autoencoder.model, val), 0.02);
  const std::vector<double> scores = a.score(test);
  const DetectionMetrics m = detection_metrics(scores, anomaly_labels(test, 0), a.threshold);
  EXPECT_EQ(m.anomalies, 20u);
  EXPECT_EQ(m.true_positives, 20u);
  EXPECT_LE(m.false_positive_rate, 0.1);
  EXPECT_GT(m.roc_auc, 0.99);

  ClassicModelFile f = file_for(train);
  f.model = std::move(a);
  ClassicModelFile g = round_trip(f);
  EXPECT_EQ(std::get<AnomalyDetector>(g.model).score(test), scores);
}

TEST(ClassicModelFile, RefusesBadFiles) {
  const auto& s = sklearn_split("iris");
  DecisionTree tree{TreeOptions{}};
  tree.fit(s.train);
  ClassicModelFile f = file_for(s.train);
  f.model = tree;
  const std::string good = serialize(f);

  expect_input_error([&] { deserialize_classic(good.substr(0, good.size() / 2), "cut.tmc"); }, "cut.tmc");
  std::string bad = good;
  bad[bad.size() - 40] ^= 0x10;
  expect_input_error([&] { deserialize_classic(bad, "flip.tmc"); }, "flip.tmc: checksum mismatch");
  std::string newer = good;
  newer[8] = static_cast<char>(kClassicFormatVersion + 1);
  expect_input_error([&] { deserialize_classic(newer, "new.tmc"); }, "new.tmc");
  expect_input_error([&] { deserialize_classic(good.substr(0, 6), "tiny.tmc"); }, "tiny.tmc");

  // A child pointing back at its parent, with a valid checksum: refused, not looped on.
  auto nodes = tree.nodes();
  ASSERT_GT(nodes.size(), 1u);
  nodes[1].feature >= 0 ? nodes[1].left = 0 : nodes[0].left = 0;
  expect_input_error([&] { DecisionTree::from_parts({}, 4, 3, nodes, tree.values()); }, "child 0");
  std::vector<float> short_values(tree.values().begin(), tree.values().end() - 1);
  expect_input_error([&] { DecisionTree::from_parts({}, 4, 3, tree.nodes(), short_values); }, "points past");
  // A rewritten header whose arrays do not add up to the body.
  std::string h = good.substr(16, [&] { std::uint32_t n; std::memcpy(&n, good.data() + 12, 4); return n; }());
  auto j = nlohmann::json::parse(h);
  j["trees"][0]["nodes"] = j["trees"][0]["nodes"].get<std::size_t>() + 1;
  std::string forged = begin_container("TMLCLASS", kClassicFormatVersion, j.dump());
  forged += good.substr(16 + h.size(), good.size() - 4 - 16 - h.size());
  seal_container(forged);
  expect_input_error([&] { deserialize_classic(forged, "forged.tmc"); }, "forged.tmc: array 'tree0.feature'");
  // The .tmm model file is not a classic one.
  EXPECT_FALSE(is_classic_model("TMLMODEL...."));
}

TEST(Detection, MetricsByHand) {
  // Scores 1..6; labels: three normal (1, 2, 5), three anomalies (3, 4, 6); threshold 2.5.
  const std::vector<double> scores{1, 2, 3, 4, 5, 6};
  const std::vector<std::int32_t> labels{0, 0, 1, 1, 0, 1};
  const DetectionMetrics m = detection_metrics(scores, labels, 2.5);
  EXPECT_EQ(m.true_positives, 3u);
  EXPECT_EQ(m.false_positives, 1u);
  EXPECT_DOUBLE_EQ(m.false_positive_rate, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.precision, 0.75);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_DOUBLE_EQ(m.f1, 2 * 0.75 / 1.75);
  EXPECT_DOUBLE_EQ(m.roc_auc, 7.0 / 9);  // 7 of the 9 (anomaly, normal) pairs ranked right (3 and 4 lose to 5)
  ASSERT_EQ(m.roc.size(), 7u);
  EXPECT_DOUBLE_EQ(m.roc[1].tpr, 1.0 / 3);  // 6 flagged first
  EXPECT_DOUBLE_EQ(m.roc[2].fpr, 1.0 / 3);  // then 5, a normal sample
  EXPECT_EQ(m.roc.back().fpr, 1.0);
  EXPECT_NE(m.text().find("ROC AUC 0.7778"), std::string::npos) << m.text();

  // No anomaly: recall, F1 and AUC are undefined (null in JSON), the FPR is not.
  const DetectionMetrics n = detection_metrics(std::vector<double>{1, 2, 3}, std::vector<std::int32_t>{0, 0, 0}, 2.5);
  EXPECT_DOUBLE_EQ(n.false_positive_rate, 1.0 / 3);
  EXPECT_TRUE(std::isnan(n.recall));
  EXPECT_TRUE(n.json()["roc_auc"].is_null());
  EXPECT_NE(n.text().find("no anomaly in this set"), std::string::npos);
  expect_input_error([] { detection_metrics(std::vector<double>{1}, std::vector<std::int32_t>{2}, 0); },
                     "not 0 (normal) or 1");
}

TEST(Detection, RocCurveIsThinnedToMaxPoints) {
  std::vector<double> scores;
  std::vector<std::int32_t> labels;
  for (int i = 0; i < 1000; ++i) {
    scores.push_back(i);
    labels.push_back(i % 3 == 0);
  }
  const auto roc = roc_curve(scores, labels, 50);
  ASSERT_EQ(roc.size(), 50u);
  EXPECT_EQ(roc.front().fpr, 0.0);
  EXPECT_EQ(roc.back().tpr, 1.0);
  for (std::size_t i = 1; i < roc.size(); ++i) EXPECT_GE(roc[i].fpr, roc[i - 1].fpr);
}
