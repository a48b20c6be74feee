#include <cmath>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "tinyml/classic/tree.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::classic;

namespace {

data::Dataset make(std::size_t dim, std::vector<float> x, std::vector<std::int32_t> y) {
  data::Dataset d;
  d.shape = {static_cast<std::uint32_t>(dim)};
  d.x = std::move(x);
  d.y = std::move(y);
  return d;
}

// Training samples per leaf (node index -> count).
std::map<std::size_t, std::size_t> leaf_sizes(const DecisionTree& t, const data::Dataset& d) {
  std::map<std::size_t, std::size_t> m;
  const std::size_t dim = d.sample_size();
  for (std::size_t i = 0; i < d.size(); ++i) {
    std::size_t n = 0;
    const float* x = d.x.data() + i * dim;
    while (t.nodes()[n].feature >= 0)
      n = x[t.nodes()[n].feature] <= t.nodes()[n].threshold ? t.nodes()[n].left : t.nodes()[n].right;
    ++m[n];
  }
  return m;
}

}  // namespace

TEST(DecisionTree, SeparatesPerfectlyHalfWayBetweenValues) {
  const auto d = make(1, {1, 2, 3, 10, 11, 12}, {0, 0, 0, 1, 1, 1});
  for (Criterion c : {Criterion::Gini, Criterion::Entropy}) {
    TreeOptions o;
    o.criterion = c;
    DecisionTree t(o);
    t.fit(d);
    ASSERT_EQ(t.nodes().size(), 3u);
    EXPECT_EQ(t.nodes()[0].feature, 0);
    EXPECT_EQ(t.nodes()[0].threshold, 6.5);
    EXPECT_EQ(t.depth(), 1u);
    EXPECT_EQ(t.leaves(), 2u);
    EXPECT_EQ(t.predict(make(1, {6.4f, 6.6f, -100, 100}, {0, 0, 0, 0})),
              (std::vector<std::int32_t>{0, 1, 0, 1}));
  }
}

TEST(DecisionTree, PicksTheInformativeFeature) {
  // Feature 0 is noise, feature 1 separates the classes.
  const auto d = make(2, {5, 0, 1, 0, 4, 1, 2, 1, 3, 7, 0, 8, 6, 9}, {0, 0, 0, 0, 1, 1, 1});
  DecisionTree t;
  t.fit(d);
  EXPECT_EQ(t.nodes()[0].feature, 1);
  EXPECT_EQ(t.nodes()[0].threshold, 4.0);  // half-way between 1 and 7
  EXPECT_EQ(t.leaves(), 2u);
}

TEST(DecisionTree, GiniByHand) {
  // Splits of x: at 1.5 -> {0} | {0,1,1,0}: weighted Gini 0 + 4 * 0.5 = 2.0;
  // at 2.5 -> {0,0} | {1,1,0}: 0 + 3 * 4/9 = 1.333; at 3.5 -> {0,0,1} | {1,0}: 3 * 4/9 + 2 * 0.5
  // = 2.333; at 4.5 -> {0,0,1,1} | {0}: 2.0. The best is 2.5.
  const auto d = make(1, {1, 2, 3, 4, 5}, {0, 0, 1, 1, 0});
  TreeOptions o;
  o.max_depth = 1;
  DecisionTree t(o);
  t.fit(d);
  EXPECT_EQ(t.nodes()[0].threshold, 2.5);
  // The right leaf holds 1, 1, 0: predicts 1 with distribution 1/3, 2/3.
  const float x = 4;
  const auto v = t.leaf_distribution(&x);
  EXPECT_FLOAT_EQ(v[0], 1.0f / 3);
  EXPECT_FLOAT_EQ(v[1], 2.0f / 3);
}

TEST(DecisionTree, DepthAndLeafLimits) {
  const auto& split = classic_test::sklearn_split("digits");
  DecisionTree full;
  full.fit(split.train);
  EXPECT_EQ(full.predict(split.train), split.train.y);  // grown until pure
  EXPECT_GT(full.depth(), 5u);

  TreeOptions o;
  o.max_depth = 3;
  DecisionTree shallow(o);
  shallow.fit(split.train);
  EXPECT_EQ(shallow.depth(), 3u);
  EXPECT_LE(shallow.leaves(), 8u);

  o = {};
  o.min_samples_leaf = 20;
  DecisionTree leafy(o);
  leafy.fit(split.train);
  for (auto [node, n] : leaf_sizes(leafy, split.train)) EXPECT_GE(n, 20u) << "leaf " << node;

  o = {};
  o.min_samples_split = 200;
  DecisionTree splitty(o);
  splitty.fit(split.train);
  // A node whose children are both leaves had at least 200 samples.
  std::size_t small_parents = 0;
  auto sizes = leaf_sizes(splitty, split.train);
  for (std::size_t i = 0; i < splitty.nodes().size(); ++i) {
    const auto& nd = splitty.nodes()[i];
    if (nd.feature < 0) continue;
    if (splitty.nodes()[nd.left].feature < 0 && splitty.nodes()[nd.right].feature < 0 &&
        sizes[nd.left] + sizes[nd.right] < 200)
      ++small_parents;
  }
  EXPECT_EQ(small_parents, 0u);
}

TEST(DecisionTree, MinSamplesSplitMakesARootLeaf) {
  TreeOptions o;
  o.min_samples_split = 5;
  DecisionTree t(o);
  t.fit(make(1, {1, 2, 3, 4}, {1, 0, 1, 0}));
  EXPECT_EQ(t.nodes().size(), 1u);
  EXPECT_EQ(t.predict_one(std::vector<float>{3}.data()), 0);  // 2 against 2: the lowest class
}

// Test accuracy against scikit-learn's on the same split (tests/classic/data/trees_sklearn.txt:
// mean, min and max over 5 random states): within 3 points of scikit-learn's range.
TEST(Trees, AccuracyCloseToScikitLearn) {
  std::size_t configs = 0;
  for (const auto& [key, rest] : classic_test::reference_lines("trees_sklearn.txt")) {
    std::istringstream in(key);
    std::string name, model, criterion;
    std::size_t depth = 0, leaf = 0, n_trees = 0;
    in >> name >> model >> criterion >> depth >> leaf >> n_trees;
    const auto sk_stats = classic_test::numbers<double>(rest);
    ASSERT_EQ(sk_stats.size(), 3u) << key;
    const double sk = sk_stats[0], sk_min = sk_stats[1], sk_max = sk_stats[2];
    const auto& split = classic_test::sklearn_split(name);
    TreeOptions o;
    o.criterion = parse_criterion(criterion);
    o.max_depth = depth;
    o.min_samples_leaf = leaf;
    double acc;
    if (model == "tree") {
      DecisionTree t(o);
      t.fit(split.train);
      acc = accuracy(t.predict(split.test), split.test.y);
    } else {
      ForestOptions fo;
      fo.tree = o;
      fo.n_trees = n_trees;
      fo.threads = 2;
      RandomForest f(fo);
      f.fit(split.train);
      acc = accuracy(f.predict(split.test), split.test.y);
    }
    EXPECT_GE(acc, sk_min - 0.03) << key;
    EXPECT_LE(acc, sk_max + 0.03) << key;
    std::printf("%-32s tinyml %.4f  scikit-learn %.4f (%.4f..%.4f)\n", key.c_str(), acc, sk, sk_min, sk_max);
    ++configs;
  }
  EXPECT_EQ(configs, 18u);
}

TEST(RandomForest, DeterministicWhateverTheThreads) {
  const auto& split = classic_test::sklearn_split("wine");
  ForestOptions o;
  o.n_trees = 20;
  o.threads = 1;
  RandomForest a(o);
  a.fit(split.train);
  o.threads = 2;
  RandomForest b(o);
  b.fit(split.train);
  ASSERT_EQ(a.trees().size(), 20u);
  for (std::size_t t = 0; t < 20; ++t) {
    ASSERT_EQ(a.trees()[t].nodes().size(), b.trees()[t].nodes().size()) << t;
    for (std::size_t i = 0; i < a.trees()[t].nodes().size(); ++i) {
      EXPECT_EQ(a.trees()[t].nodes()[i].feature, b.trees()[t].nodes()[i].feature);
      EXPECT_EQ(a.trees()[t].nodes()[i].threshold, b.trees()[t].nodes()[i].threshold);
    }
    EXPECT_EQ(a.trees()[t].values(), b.trees()[t].values());
  }
  EXPECT_EQ(a.predict_proba(split.test), b.predict_proba(split.test));
  // Another seed grows other trees.
  o.seed = 43;
  RandomForest c(o);
  c.fit(split.train);
  EXPECT_NE(a.predict_proba(split.test), c.predict_proba(split.test));
  // Trees differ from each other (bootstrap and feature draws).
  EXPECT_NE(a.trees()[0].values(), a.trees()[1].values());
}

TEST(RandomForest, WithoutBootstrapOrSamplingEveryTreeIsTheSame) {
  const auto& split = classic_test::sklearn_split("iris");
  ForestOptions o;
  o.n_trees = 3;
  o.bootstrap = false;
  o.tree.max_features = 4;
  RandomForest f(o);
  f.fit(split.train);
  DecisionTree t;
  t.fit(split.train);
  for (const auto& ft : f.trees()) EXPECT_EQ(ft.values(), t.values());
}

TEST(Trees, BadParameters) {
  const auto d = make(1, {1, 2}, {0, 1});
  using classic_test::expect_input_error;
  TreeOptions o;
  o.min_samples_split = 1;
  expect_input_error([&] { DecisionTree(o).fit(d); }, "min_samples_split");
  o = {};
  o.min_samples_leaf = 0;
  expect_input_error([&] { DecisionTree(o).fit(d); }, "min_samples_leaf");
  o = {};
  o.max_features = 2;
  expect_input_error([&] { DecisionTree(o).fit(d); }, "max_features = 2");
  ForestOptions fo;
  fo.n_trees = 0;
  expect_input_error([&] { RandomForest(fo).fit(d); }, "n_trees");
  expect_input_error([] { parse_criterion("mse"); }, "criterion");
  expect_input_error([&] { DecisionTree().predict(d); }, "not fitted");
  expect_input_error([&] { DecisionTree().fit(make(1, {1, 2}, {0, -1})); }, "no label");
}

// More than 256 (two-byte codes) and more than 65536 (four-byte codes) distinct values.
TEST(DecisionTree, ManyDistinctValues) {
  for (std::size_t n : {400u, 70000u}) {
    std::vector<float> x(n);
    std::vector<std::int32_t> y(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t v = (i * 7919) % n;  // a permutation of 0..n-1 (7919 is prime)
      x[i] = static_cast<float>(v);
      y[i] = v >= n / 3 ? 1 : 0;
    }
    DecisionTree t;
    t.fit(make(1, x, y));
    ASSERT_EQ(t.nodes().size(), 3u) << n;
    EXPECT_EQ(t.nodes()[0].threshold, static_cast<double>(n / 3) - 0.5) << n;
  }
}
