#include "tinyml/classic/tree.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#include "tinyml/data/split.hpp"
#include "tinyml/error.hpp"

namespace tinyml::classic {

std::string_view to_string(Criterion c) { return c == Criterion::Gini ? "gini" : "entropy"; }

Criterion parse_criterion(std::string_view s) {
  if (s == "gini") return Criterion::Gini;
  if (s == "entropy") return Criterion::Entropy;
  input_error("criterion: expected gini or entropy, got '{}'", s);
}

namespace detail {

// The training samples feature by feature (each feature's values contiguous), shared by
// the trees of a forest.
struct TreeData {
  std::size_t n = 0, dim = 0, n_classes = 0;
  std::vector<float> columns;  // dim x n
  std::vector<std::int32_t> y;

  TreeData(const data::Dataset& d, std::string_view what) {
    const Rows r = rows_of(d, what);
    n_classes = checked_class_count(d, what);
    n = r.n;
    dim = r.dim;
    if (n > std::numeric_limits<std::uint32_t>::max())
      input_error("{}: {} samples are more than 2^32 - 1", what, n);
    columns.resize(n * dim);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t f = 0; f < dim; ++f) columns[f * n + i] = r.row(i)[f];
    y = d.y;
  }
};

}  // namespace detail

namespace {

constexpr double kFeatureThreshold = 1e-7;  // values closer than this are equal (sklearn)

// Float bits mapped to an unsigned integer with the same order.
std::uint32_t sortable(float v) {
  const auto b = std::bit_cast<std::uint32_t>(v);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
float unsortable(std::uint32_t u) {
  return std::bit_cast<float>((u & 0x80000000u) ? (u & 0x7fffffffu) : ~u);
}

void check_options(const TreeOptions& o, std::size_t dim, std::string_view what) {
  if (o.min_samples_split < 2)
    input_error("{}: min_samples_split must be at least 2 (got {})", what, o.min_samples_split);
  if (o.min_samples_leaf < 1)
    input_error("{}: min_samples_leaf must be at least 1 (got {})", what, o.min_samples_leaf);
  if (o.max_features > dim)
    input_error("{}: max_features = {} is more than the {} features", what, o.max_features, dim);
}

// Grows one tree: the samples of the current node are samples[start, end).
class Builder {
 public:
  Builder(const detail::TreeData& d, std::span<const std::uint32_t> counts, const TreeOptions& o,
          std::size_t max_features, std::uint64_t seed)
      : d_(d), opt_(o), rng_(seed), max_features_(max_features) {
    for (std::size_t i = 0; i < d.n; ++i)
      if (counts[i]) samples_.push_back(static_cast<std::uint32_t>(i));
    weight_.assign(counts.begin(), counts.end());
    features_.resize(d.dim);
    std::iota(features_.begin(), features_.end(), 0u);
    constant_features_ = features_;
    is_constant_.assign(d.dim, 0);
    keys_.resize(samples_.size());
    const std::size_t C = d.n_classes;
    node_count_.resize(C);
    left_.resize(C);
    right_.resize(C);
    if (o.criterion == Criterion::Entropy) {
      std::uint64_t total = 0;
      for (auto c : counts) total += c;
      xlogx_.resize(total + 1);
      for (std::size_t c = 1; c <= total; ++c)
        xlogx_[c] = static_cast<double>(c) * std::log(static_cast<double>(c));
    }
  }

  void build(std::vector<TreeNode>& nodes, std::vector<float>& values, std::size_t& depth) {
    struct Item {
      std::size_t start, end, depth, n_constant;
      std::size_t parent;
      bool is_left;
    };
    constexpr std::size_t kNoParent = std::numeric_limits<std::size_t>::max();
    std::vector<Item> stack{{0, samples_.size(), 0, 0, kNoParent, false}};
    const std::size_t C = d_.n_classes;
    while (!stack.empty()) {
      const Item it = stack.back();
      stack.pop_back();
      const std::size_t id = nodes.size();
      if (id > std::numeric_limits<std::uint32_t>::max()) failure("tree: more than 2^32 nodes");
      nodes.emplace_back();
      if (it.parent != kNoParent)
        (it.is_left ? nodes[it.parent].left : nodes[it.parent].right) = static_cast<std::uint32_t>(id);
      depth = std::max(depth, it.depth);

      std::fill(node_count_.begin(), node_count_.end(), 0);
      std::uint64_t total = 0;
      for (std::size_t i = it.start; i < it.end; ++i) {
        const std::uint32_t s = samples_[i];
        node_count_[static_cast<std::size_t>(d_.y[s])] += weight_[s];
        total += weight_[s];
      }
      std::size_t classes_present = 0;
      for (auto c : node_count_) classes_present += c > 0;
      const std::size_t n_node = it.end - it.start;
      bool leaf = classes_present <= 1 || n_node < opt_.min_samples_split ||
                  n_node < 2 * opt_.min_samples_leaf ||
                  (opt_.max_depth != 0 && it.depth >= opt_.max_depth);
      std::size_t n_constant = it.n_constant;
      if (!leaf) leaf = !find_split(it.start, it.end, total, n_constant);
      if (leaf) {
        nodes[id].value = static_cast<std::uint32_t>(values.size());
        for (std::size_t c = 0; c < C; ++c)
          values.push_back(static_cast<float>(static_cast<double>(node_count_[c]) / static_cast<double>(total)));
        continue;
      }
      nodes[id].feature = static_cast<std::int32_t>(best_feature_);
      nodes[id].threshold = best_threshold_;
      const float* col = d_.columns.data() + best_feature_ * d_.n;
      const double t = best_threshold_;
      auto mid = std::partition(samples_.begin() + static_cast<std::ptrdiff_t>(it.start),
                                samples_.begin() + static_cast<std::ptrdiff_t>(it.end),
                                [&](std::uint32_t s) { return static_cast<double>(col[s]) <= t; });
      const auto m = static_cast<std::size_t>(mid - samples_.begin());
      stack.push_back({m, it.end, it.depth + 1, n_constant, id, false});
      stack.push_back({it.start, m, it.depth + 1, n_constant, id, true});
    }
  }

 private:
  // Finds the best split of samples[start, end); false when there is none. n_constant: in,
  // the features known to be constant (features_[0, n_constant)); out, with those found
  // constant here.
  bool find_split(std::size_t start, std::size_t end, std::uint64_t total, std::size_t& n_constant) {
    const std::size_t dim = d_.dim;
    const std::size_t known = n_constant;
    std::size_t found = 0;
    best_proxy_ = -std::numeric_limits<double>::infinity();
    bool any = false;
    if (max_features_ >= dim) {
      // Every feature, in index order (the lowest feature index wins ties).
      std::sort(features_.begin() + static_cast<std::ptrdiff_t>(known), features_.end());
      for (std::size_t j = known; j < dim; ++j) {
        const std::uint32_t f = features_[j];
        is_constant_[f] = !try_feature(f, start, end, total);
        any |= !is_constant_[f];
      }
      auto first = features_.begin() + static_cast<std::ptrdiff_t>(known);
      found = static_cast<std::size_t>(
          std::stable_partition(first, features_.end(), [&](std::uint32_t f) { return is_constant_[f] != 0; }) - first);
    } else {
      // features_: [0, known) constant in an ancestor ([0, drawn_known) of them drawn
      // here), [known, known + found) found constant here, [known + found, hi) not drawn
      // yet, [hi, dim) tried here.
      std::size_t drawn_known = 0, hi = dim, tried = 0;
      while (hi > known + found && (tried < max_features_ || tried <= found + drawn_known)) {
        ++tried;
        std::size_t j = drawn_known + static_cast<std::size_t>(rng_.below(hi - found - drawn_known));
        if (j < known) {
          std::swap(features_[drawn_known], features_[j]);
          ++drawn_known;
          continue;
        }
        j += found;
        const std::uint32_t f = features_[j];
        if (!try_feature(f, start, end, total)) {
          std::swap(features_[j], features_[known + found]);
          ++found;
          continue;
        }
        any = true;
        --hi;
        std::swap(features_[hi], features_[j]);
      }
    }
    // Restore the ancestors' constants in their recorded order and record the new ones.
    std::copy(constant_features_.begin(), constant_features_.begin() + static_cast<std::ptrdiff_t>(known),
              features_.begin());
    std::copy(features_.begin() + static_cast<std::ptrdiff_t>(known),
              features_.begin() + static_cast<std::ptrdiff_t>(known + found),
              constant_features_.begin() + static_cast<std::ptrdiff_t>(known));
    n_constant = known + found;
    return any && best_proxy_ > -std::numeric_limits<double>::infinity();
  }

  // Scores every threshold of feature f; false when f is constant on the node.
  bool try_feature(std::uint32_t f, std::size_t start, std::size_t end, std::uint64_t total) {
    const float* col = d_.columns.data() + static_cast<std::size_t>(f) * d_.n;
    const std::size_t n = end - start;
    std::uint32_t lo = std::numeric_limits<std::uint32_t>::max(), hi = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t s = samples_[start + i];
      const std::uint32_t k = sortable(col[s]);
      lo = std::min(lo, k);
      hi = std::max(hi, k);
      keys_[i] = (static_cast<std::uint64_t>(k) << 32) | s;
    }
    if (static_cast<double>(unsortable(hi)) <= static_cast<double>(unsortable(lo)) + kFeatureThreshold)
      return false;
    std::sort(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(n));

    std::fill(left_.begin(), left_.end(), 0);
    right_ = node_count_;
    const bool gini = opt_.criterion == Criterion::Gini;
    // Gini: maximize sum_k left_k^2 / n_left + sum_k right_k^2 / n_right.
    // Entropy: maximize -(n_l ln n_l - sum_k l_k ln l_k) - (same for the right).
    std::uint64_t sq_left = 0, sq_right = 0;
    double ent_left = 0, ent_right = 0;
    if (gini) {
      for (auto c : right_) sq_right += c * c;
    } else {
      for (auto c : right_) ent_right += xlogx_[c];
    }
    std::uint64_t n_left = 0;
    const std::size_t min_leaf = opt_.min_samples_leaf;
    for (std::size_t p = 1; p < n; ++p) {
      const auto s = static_cast<std::uint32_t>(keys_[p - 1]);
      const std::uint64_t w = weight_[s];
      const auto k = static_cast<std::size_t>(d_.y[s]);
      if (gini) {
        sq_left += 2 * left_[k] * w + w * w;
        sq_right -= 2 * right_[k] * w - w * w;
      } else {
        ent_left += xlogx_[left_[k] + w] - xlogx_[left_[k]];
        ent_right += xlogx_[right_[k] - w] - xlogx_[right_[k]];
      }
      left_[k] += w;
      right_[k] -= w;
      n_left += w;
      const double v0 = static_cast<double>(unsortable(static_cast<std::uint32_t>(keys_[p - 1] >> 32)));
      const double v1 = static_cast<double>(unsortable(static_cast<std::uint32_t>(keys_[p] >> 32)));
      if (v1 <= v0 + kFeatureThreshold) continue;
      if (p < min_leaf || n - p < min_leaf) continue;
      const std::uint64_t n_right = total - n_left;
      double proxy;
      if (gini)
        proxy = static_cast<double>(sq_left) / static_cast<double>(n_left) +
                static_cast<double>(sq_right) / static_cast<double>(n_right);
      else
        proxy = ent_left + ent_right - xlogx_[n_left] - xlogx_[n_right];
      if (proxy > best_proxy_) {
        best_proxy_ = proxy;
        best_feature_ = f;
        double t = v0 / 2.0 + v1 / 2.0;
        if (t == v1 || std::isinf(t)) t = v0;
        best_threshold_ = t;
      }
    }
    return true;
  }

  const detail::TreeData& d_;
  const TreeOptions& opt_;
  data::Rng rng_;
  std::size_t max_features_;
  std::vector<std::uint32_t> samples_, weight_, features_, constant_features_;
  std::vector<char> is_constant_;
  std::vector<std::uint64_t> keys_, node_count_, left_, right_;
  std::vector<double> xlogx_;
  double best_proxy_ = 0, best_threshold_ = 0;
  std::uint32_t best_feature_ = 0;
};

}  // namespace

DecisionTree::DecisionTree(const TreeOptions& opt) : opt_(opt) {}

void DecisionTree::grow(const detail::TreeData& data, std::span<const std::uint32_t> counts,
                        std::size_t max_features, std::uint64_t seed) {
  dim_ = data.dim;
  n_classes_ = data.n_classes;
  depth_ = 0;
  nodes_.clear();
  values_.clear();
  Builder b(data, counts, opt_, max_features == 0 ? data.dim : max_features, seed);
  b.build(nodes_, values_, depth_);
  nodes_.shrink_to_fit();
  values_.shrink_to_fit();
}

void DecisionTree::fit(const data::Dataset& train) {
  const detail::TreeData data(train, "decision tree: training data");
  check_options(opt_, data.dim, "decision tree");
  const std::vector<std::uint32_t> ones(data.n, 1);
  grow(data, ones, opt_.max_features, opt_.seed);
}

std::span<const float> DecisionTree::leaf_distribution(const float* x) const {
  std::size_t i = 0;
  while (nodes_[i].feature >= 0)
    i = static_cast<double>(x[nodes_[i].feature]) <= nodes_[i].threshold ? nodes_[i].left : nodes_[i].right;
  return {values_.data() + nodes_[i].value, n_classes_};
}

std::int32_t DecisionTree::predict_one(const float* x) const {
  const auto v = leaf_distribution(x);
  return static_cast<std::int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

std::vector<std::int32_t> DecisionTree::predict(const data::Dataset& d) const {
  if (nodes_.empty()) input_error("decision tree: the model is not fitted");
  const Rows r = rows_of(d, "decision tree: data to predict");
  if (r.dim != dim_)
    input_error("decision tree: samples have {} values, the tree was fitted on {}", r.dim, dim_);
  std::vector<std::int32_t> out(r.n);
  for (std::size_t i = 0; i < r.n; ++i) out[i] = predict_one(r.row(i));
  return out;
}

std::size_t DecisionTree::leaves() const {
  std::size_t n = 0;
  for (const auto& nd : nodes_) n += nd.feature < 0;
  return n;
}

RandomForest::RandomForest(const ForestOptions& opt) : opt_(opt) {}

void RandomForest::fit(const data::Dataset& train) {
  if (opt_.n_trees < 1) input_error("random forest: n_trees must be at least 1 (got {})", opt_.n_trees);
  const detail::TreeData data(train, "random forest: training data");
  check_options(opt_.tree, data.dim, "random forest");
  const std::size_t max_features =
      opt_.tree.max_features ? opt_.tree.max_features
                             : std::max<std::size_t>(1, static_cast<std::size_t>(std::sqrt(static_cast<double>(data.dim))));
  n_classes_ = data.n_classes;
  dim_ = data.dim;
  // Each tree's generator seed is drawn in tree order, so no thread count changes a tree.
  data::Rng master(opt_.seed);
  std::vector<std::uint64_t> seeds(opt_.n_trees);
  for (auto& s : seeds) s = master.next();
  trees_.assign(opt_.n_trees, DecisionTree(opt_.tree));

  std::atomic<std::size_t> next{0};
  auto work = [&] {
    std::vector<std::uint32_t> counts(data.n);
    for (std::size_t t; (t = next.fetch_add(1)) < opt_.n_trees;) {
      data::Rng rng(seeds[t]);
      if (opt_.bootstrap) {
        std::fill(counts.begin(), counts.end(), 0);
        for (std::size_t i = 0; i < data.n; ++i) ++counts[rng.below(data.n)];
      } else {
        std::fill(counts.begin(), counts.end(), 1);
      }
      trees_[t].grow(data, counts, max_features, rng.next());
    }
  };
  std::size_t threads = opt_.threads ? opt_.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, opt_.n_trees);
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (std::size_t i = 0; i < threads; ++i) pool.emplace_back(work);
    for (auto& th : pool) th.join();
  }
}

std::vector<double> RandomForest::predict_proba(const data::Dataset& d) const {
  if (trees_.empty()) input_error("random forest: the model is not fitted");
  const Rows r = rows_of(d, "random forest: data to predict");
  if (r.dim != dim_)
    input_error("random forest: samples have {} values, the forest was fitted on {}", r.dim, dim_);
  std::vector<double> p(r.n * n_classes_, 0.0);
  for (std::size_t i = 0; i < r.n; ++i) {
    double* out = p.data() + i * n_classes_;
    for (const auto& t : trees_) {
      const auto v = t.leaf_distribution(r.row(i));
      for (std::size_t c = 0; c < n_classes_; ++c) out[c] += static_cast<double>(v[c]);
    }
    for (std::size_t c = 0; c < n_classes_; ++c) out[c] /= static_cast<double>(trees_.size());
  }
  return p;
}

std::vector<std::int32_t> RandomForest::predict(const data::Dataset& d) const {
  const auto p = predict_proba(d);
  std::vector<std::int32_t> out(d.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::int32_t>(argmax(std::span<const double>(p.data() + i * n_classes_, n_classes_)));
  return out;
}

}  // namespace tinyml::classic
