// Decision trees (CART, as scikit-learn's DecisionTreeClassifier grows them) and random
// forests of them. Deterministic for a given seed, on any number of threads.
//
// A node is split on the (feature, threshold) that most lowers the weighted impurity (Gini
// or entropy), over thresholds half-way between consecutive distinct values of the node's
// samples (values closer than 1e-7 count as equal, as in scikit-learn); a sample goes left
// when x[feature] <= threshold. The first best split found wins ties. A node becomes a leaf
// when it is pure, has fewer than min_samples_split samples (or fewer than twice
// min_samples_leaf), is at max_depth, or has no split leaving min_samples_leaf samples on
// each side. With max_features < features, the features tried at a node are drawn without
// replacement (features known to be constant in an ancestor are skipped for free, as in
// scikit-learn), until max_features have been tried and at least one was not constant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tinyml/classic/common.hpp"
#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

enum class Criterion { Gini, Entropy };
std::string_view to_string(Criterion c);
Criterion parse_criterion(std::string_view s);  // "gini", "entropy"; InputError otherwise

struct TreeOptions {
  Criterion criterion = Criterion::Gini;
  std::size_t max_depth = 0;  // 0: no limit
  std::size_t min_samples_split = 2;
  std::size_t min_samples_leaf = 1;
  std::size_t max_features = 0;  // features tried per split; 0: all (a forest: sqrt)
  std::uint64_t seed = 42;       // draws the features tried when max_features < features
};

struct TreeNode {
  std::int32_t feature = -1;  // -1 for a leaf
  double threshold = 0;       // left when x[feature] <= threshold
  std::uint32_t left = 0, right = 0;
  std::uint32_t value = 0;    // leaf: offset of its class distribution in values()
};

namespace detail {
struct TreeData;
}

class DecisionTree {
 public:
  DecisionTree() = default;
  explicit DecisionTree(const TreeOptions& opt);

  // Throws InputError for bad options (min_samples_split < 2, min_samples_leaf < 1,
  // max_features larger than the features), missing labels or non-finite values.
  void fit(const data::Dataset& train);

  // A fitted tree rebuilt from its parts (what a model file holds). Throws InputError when
  // they do not form a tree: no node, a child not after its parent or past the last node, a
  // feature past `dim`, a leaf distribution past `values`, a non-finite threshold or value.
  static DecisionTree from_parts(const TreeOptions& opt, std::size_t dim, std::size_t n_classes,
                                 std::vector<TreeNode> nodes, std::vector<float> values);

  std::vector<std::int32_t> predict(const data::Dataset& d) const;
  std::int32_t predict_one(const float* x) const;
  // The class distribution of the training samples in x's leaf (n_classes() values).
  std::span<const float> leaf_distribution(const float* x) const;

  const TreeOptions& options() const { return opt_; }
  const std::vector<TreeNode>& nodes() const { return nodes_; }
  const std::vector<float>& values() const { return values_; }
  std::size_t n_classes() const { return n_classes_; }
  std::size_t dim() const { return dim_; }
  std::size_t depth() const { return depth_; }
  std::size_t leaves() const;

 private:
  friend class RandomForest;
  // Grows the tree on the samples with a non-zero count (a bootstrap multiplicity, or 1).
  void grow(const detail::TreeData& data, std::span<const std::uint32_t> counts,
            std::size_t max_features, std::uint64_t seed);

  TreeOptions opt_;
  std::size_t dim_ = 0, n_classes_ = 0, depth_ = 0;
  std::vector<TreeNode> nodes_;
  std::vector<float> values_;
};

struct ForestOptions {
  std::size_t n_trees = 100;
  bool bootstrap = true;  // each tree on n draws with replacement (else on every sample)
  // Criterion, depth and leaf limits of every tree; tree.max_features 0 means
  // max(1, floor(sqrt(features))); tree.seed is not used (see `seed`).
  TreeOptions tree;
  std::uint64_t seed = 42;  // tree t draws from its own generator seeded from this one
  unsigned threads = 1;     // trees grown in parallel; 0: hardware threads
};

class RandomForest {
 public:
  RandomForest() = default;
  explicit RandomForest(const ForestOptions& opt);

  void fit(const data::Dataset& train);
  // A fitted forest made of `trees` (from DecisionTree::from_parts); InputError when there
  // is none or they differ in features or classes.
  static RandomForest from_trees(const ForestOptions& opt, std::vector<DecisionTree> trees);
  // The mean of the trees' leaf distributions (queries x classes), and its argmax (the
  // lowest class on ties), as scikit-learn's RandomForestClassifier predicts.
  std::vector<double> predict_proba(const data::Dataset& d) const;
  std::vector<std::int32_t> predict(const data::Dataset& d) const;

  const ForestOptions& options() const { return opt_; }
  const std::vector<DecisionTree>& trees() const { return trees_; }
  std::size_t n_classes() const { return n_classes_; }
  std::size_t dim() const { return dim_; }

 private:
  ForestOptions opt_;
  std::size_t n_classes_ = 0, dim_ = 0;
  std::vector<DecisionTree> trees_;
};

}  // namespace tinyml::classic
