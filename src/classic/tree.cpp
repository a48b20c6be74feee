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

namespace {

constexpr double kFeatureThreshold = 1e-7;  // values closer than this are equal (sklearn)

// Float bits mapped to an unsigned integer with the same order (-0 before +0).
std::uint32_t sortable(float v) {
  const auto b = std::bit_cast<std::uint32_t>(v);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// Sorts key[0, n) ascending with val alongside, not stably: insertion sort up to 24 items,
// else LSD radix sort by bytes (skipping a byte that is the same in every key; one pass
// for byte keys), std::sort on packed pairs for wider keys below 256 items. tmp_key and
// tmp_val hold n items.
template <typename K>
void sort_pairs(K* key, std::uint32_t* val, std::size_t n, K* tmp_key, std::uint32_t* tmp_val,
                std::vector<std::uint64_t>& packed) {
  if (n <= 24) {  // insertion sort
    for (std::size_t i = 1; i < n; ++i) {
      const K k = key[i];
      const std::uint32_t v = val[i];
      std::size_t j = i;
      for (; j > 0 && key[j - 1] > k; --j) {
        key[j] = key[j - 1];
        val[j] = val[j - 1];
      }
      key[j] = k;
      val[j] = v;
    }
    return;
  }
  if (sizeof(K) > 1 && n < 256) {
    packed.resize(std::max(packed.size(), n));
    for (std::size_t i = 0; i < n; ++i) packed[i] = (static_cast<std::uint64_t>(key[i]) << 32) | val[i];
    std::sort(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      key[i] = static_cast<K>(packed[i] >> 32);
      val[i] = static_cast<std::uint32_t>(packed[i]);
    }
    return;
  }
  constexpr int kBytes = sizeof(K);
  std::uint32_t hist[kBytes][256] = {};
  for (std::size_t i = 0; i < n; ++i)
    for (int b = 0; b < kBytes; ++b) ++hist[b][(key[i] >> (8 * b)) & 255];
  K *src_k = key, *dst_k = tmp_key;
  std::uint32_t *src_v = val, *dst_v = tmp_val;
  for (int b = 0; b < kBytes; ++b) {
    const int shift = 8 * b;
    if (hist[b][(src_k[0] >> shift) & 255] == n) continue;  // the same byte everywhere
    std::uint32_t offset[256];
    std::uint32_t acc = 0;
    for (int v = 0; v < 256; ++v) {
      offset[v] = acc;
      acc += hist[b][v];
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t pos = offset[(src_k[i] >> shift) & 255]++;
      dst_k[pos] = src_k[i];
      dst_v[pos] = src_v[i];
    }
    std::swap(src_k, dst_k);
    std::swap(src_v, dst_v);
  }
  if (src_k != key) {
    std::copy(src_k, src_k + n, key);
    std::copy(src_v, src_v + n, val);
  }
}

}  // namespace

namespace detail {

// The training samples feature by feature, each value replaced by its rank among the
// distinct values of its feature (a "code": 1, 2 or 4 bytes, as the most distinct values of
// any feature need), shared by the trees of a forest. Splits compare codes; thresholds are
// computed from the values.
struct TreeData {
  std::size_t n = 0, dim = 0, n_classes = 0;
  std::vector<float> levels;              // each feature's distinct values, ascending
  std::vector<std::size_t> level_start;   // feature f's levels: [level_start[f], level_start[f + 1])
  int code_bytes = 1;
  std::vector<std::uint8_t> codes8;       // dim x n, when code_bytes == 1
  std::vector<std::uint16_t> codes16;     // ... 2
  std::vector<std::uint32_t> codes32;     // ... 4
  std::vector<std::int32_t> y;

  TreeData(const data::Dataset& d, std::string_view what) {
    const Rows r = rows_of(d, what);
    n_classes = checked_class_count(d, what);
    n = r.n;
    dim = r.dim;
    if (n >= std::numeric_limits<std::uint32_t>::max())
      input_error("{}: {} samples are too many (at most 2^32 - 2)", what, n);
    y = d.y;
    // Sort each feature's values once; the rank of a value is its code.
    std::vector<std::uint32_t> code(n * dim), key(n), idx(n), tmp_key(n), tmp_idx(n);
    std::vector<std::uint64_t> packed;
    level_start.assign(dim + 1, 0);
    std::size_t most = 1;
    for (std::size_t f = 0; f < dim; ++f) {
      for (std::size_t i = 0; i < n; ++i) {
        key[i] = sortable(r.row(i)[f]);
        idx[i] = static_cast<std::uint32_t>(i);
      }
      sort_pairs(key.data(), idx.data(), n, tmp_key.data(), tmp_idx.data(), packed);
      std::uint32_t rank = 0;
      levels.push_back(r.row(idx[0])[f]);
      for (std::size_t i = 0; i < n; ++i) {
        const float v = r.row(idx[i])[f];
        if (v != levels.back()) {  // -0 and +0 are one level
          levels.push_back(v);
          ++rank;
        }
        code[f * n + idx[i]] = rank;
      }
      level_start[f + 1] = levels.size();
      most = std::max<std::size_t>(most, rank + 1);
    }
    code_bytes = most <= 256 ? 1 : most <= 65536 ? 2 : 4;
    if (code_bytes == 1) codes8.assign(code.begin(), code.end());
    else if (code_bytes == 2) codes16.assign(code.begin(), code.end());
    else codes32 = std::move(code);
  }

  template <typename T>
  const T* codes() const {
    if constexpr (sizeof(T) == 1) return codes8.data();
    else if constexpr (sizeof(T) == 2) return codes16.data();
    else return codes32.data();
  }
};

}  // namespace detail

namespace {

void check_options(const TreeOptions& o, std::size_t dim, std::string_view what) {
  if (o.min_samples_split < 2)
    input_error("{}: min_samples_split must be at least 2 (got {})", what, o.min_samples_split);
  if (o.min_samples_leaf < 1)
    input_error("{}: min_samples_leaf must be at least 1 (got {})", what, o.min_samples_leaf);
  if (o.max_features > dim)
    input_error("{}: max_features = {} is more than the {} features", what, o.max_features, dim);
}

// Grows one tree on codes of type Code: the samples of the current node are
// samples_[start, end), kept in increasing index order.
template <typename Code>
class Builder {
 public:
  Builder(const detail::TreeData& d, std::span<const std::uint32_t> counts, const TreeOptions& o,
          std::size_t max_features, std::uint64_t seed)
      : d_(d), codes_(d.codes<Code>()), opt_(o), rng_(seed), max_features_(max_features) {
    for (std::size_t i = 0; i < d.n; ++i)
      if (counts[i]) samples_.push_back(static_cast<std::uint32_t>(i));
    weight_.assign(counts.begin(), counts.end());
    features_.resize(d.dim);
    std::iota(features_.begin(), features_.end(), 0u);
    constant_features_ = features_;
    is_constant_.assign(d.dim, 0);
    const std::size_t m = samples_.size();
    key_.resize(m);
    key_tmp_.resize(m);
    sample_.resize(m);
    sample_tmp_.resize(m);
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
      // A stable partition (left: code <= best_code_, i.e. value <= threshold): each
      // node's samples stay in increasing index order, so codes are gathered at
      // increasing addresses.
      const Code* col = codes_ + static_cast<std::size_t>(best_feature_) * d_.n;
      std::size_t m = it.start, r = 0;
      for (std::size_t i = it.start; i < it.end; ++i) {
        const std::uint32_t s = samples_[i];
        if (col[s] <= best_code_) samples_[m++] = s;
        else sample_tmp_[r++] = s;
      }
      std::copy(sample_tmp_.begin(), sample_tmp_.begin() + static_cast<std::ptrdiff_t>(r),
                samples_.begin() + static_cast<std::ptrdiff_t>(m));
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
    const Code* col = codes_ + static_cast<std::size_t>(f) * d_.n;
    const float* level = d_.levels.data() + d_.level_start[f];
    const std::size_t n_levels = d_.level_start[f + 1] - d_.level_start[f];
    const std::size_t n = end - start, C = d_.n_classes;
    const std::uint32_t* smp_in = samples_.data() + start;
    std::fill(left_.begin(), left_.end(), 0);
    scan_begin();
    // Histogram of the codes when it is cheaper than sorting, else sort the samples by code.
    // Both visit the same thresholds with the same counts, so they grow the same tree.
    if (n_levels * (C + 1) <= 4 * n) {
      hist_n_.assign(n_levels, 0);
      hist_w_.assign(n_levels * C, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t s = smp_in[i];
        const std::size_t b = col[s];
        ++hist_n_[b];
        hist_w_[b * C + static_cast<std::size_t>(d_.y[s])] += weight_[s];
      }
      std::size_t first = 0, last = n_levels - 1;
      while (hist_n_[first] == 0) ++first;
      while (hist_n_[last] == 0) --last;
      if (static_cast<double>(level[last]) <= static_cast<double>(level[first]) + kFeatureThreshold)
        return false;
      std::size_t n_left = 0, prev = first;
      for (std::size_t b = first; b <= last; ++b) {
        if (hist_n_[b] == 0) continue;
        if (b != first) consider(f, level, prev, b, n_left, n, total);
        for (std::size_t k = 0; k < C; ++k)
          if (const std::uint64_t w = hist_w_[b * C + k]) add_left(k, w);
        n_left += hist_n_[b];
        prev = b;
      }
      return true;
    }
    Code* key = key_.data();
    std::uint32_t* smp = sample_.data();
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t s = smp_in[i];
      smp[i] = s;
      key[i] = col[s];
    }
    sort_pairs(key, smp, n, key_tmp_.data(), sample_tmp_.data(), packed_);
    if (static_cast<double>(level[key[n - 1]]) <= static_cast<double>(level[key[0]]) + kFeatureThreshold)
      return false;
    for (std::size_t p = 1; p < n; ++p) {
      const std::uint32_t s = smp[p - 1];
      add_left(static_cast<std::size_t>(d_.y[s]), weight_[s]);
      if (key[p] != key[p - 1]) consider(f, level, key[p - 1], key[p], p, n, total);
    }
    return true;
  }

  // Left and right class counts of the scan: everything starts on the right.
  void scan_begin() {
    right_ = node_count_;
    sq_left_ = sq_right_ = 0;
    n_left_w_ = 0;
    if (opt_.criterion == Criterion::Gini)
      for (auto c : right_) sq_right_ += c * c;
  }

  // Moves weight w of class k from the right to the left (Gini: exact integer sums of
  // squared counts).
  void add_left(std::size_t k, std::uint64_t w) {
    if (opt_.criterion == Criterion::Gini) {
      sq_left_ += 2 * left_[k] * w + w * w;
      sq_right_ -= 2 * right_[k] * w - w * w;
    }
    left_[k] += w;
    right_[k] -= w;
    n_left_w_ += w;
  }

  // The split between codes c0 < c1 (consecutive on the node), n_left samples on the left.
  void consider(std::uint32_t f, const float* level, std::size_t c0, std::size_t c1,
                std::size_t n_left, std::size_t n, std::uint64_t total) {
    const double v0 = level[c0], v1 = level[c1];
    if (v1 <= v0 + kFeatureThreshold) return;
    if (n_left < opt_.min_samples_leaf || n - n_left < opt_.min_samples_leaf) return;
    const std::uint64_t n_right_w = total - n_left_w_;
    double proxy;
    if (opt_.criterion == Criterion::Gini) {
      // Maximize sum_k left_k^2 / n_left + sum_k right_k^2 / n_right.
      proxy = static_cast<double>(sq_left_) / static_cast<double>(n_left_w_) +
              static_cast<double>(sq_right_) / static_cast<double>(n_right_w);
    } else {
      // Maximize -(n_l ln n_l - sum_k l_k ln l_k) - (the same on the right), summed afresh
      // in class order so that every path gives the same bits.
      double e = -xlogx_[n_left_w_] - xlogx_[n_right_w];
      for (std::size_t k = 0; k < left_.size(); ++k) e += xlogx_[left_[k]] + xlogx_[right_[k]];
      proxy = e;
    }
    if (proxy > best_proxy_) {
      best_proxy_ = proxy;
      best_feature_ = f;
      best_code_ = static_cast<Code>(c0);
      double t = v0 / 2.0 + v1 / 2.0;
      if (t == v1 || std::isinf(t)) t = v0;
      best_threshold_ = t;
    }
  }

  const detail::TreeData& d_;
  const Code* codes_;
  const TreeOptions& opt_;
  data::Rng rng_;
  std::size_t max_features_;
  std::vector<std::uint32_t> samples_, weight_, features_, constant_features_;
  std::vector<char> is_constant_;
  std::vector<Code> key_, key_tmp_;
  std::vector<std::uint32_t> sample_, sample_tmp_;
  std::vector<std::uint64_t> packed_, node_count_, left_, right_, hist_w_;
  std::vector<std::uint32_t> hist_n_;
  std::vector<double> xlogx_;
  std::uint64_t sq_left_ = 0, sq_right_ = 0, n_left_w_ = 0;
  double best_proxy_ = 0, best_threshold_ = 0;
  std::uint32_t best_feature_ = 0;
  Code best_code_ = 0;
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
  const std::size_t mf = max_features == 0 ? data.dim : max_features;
  if (data.code_bytes == 1) Builder<std::uint8_t>(data, counts, opt_, mf, seed).build(nodes_, values_, depth_);
  else if (data.code_bytes == 2) Builder<std::uint16_t>(data, counts, opt_, mf, seed).build(nodes_, values_, depth_);
  else Builder<std::uint32_t>(data, counts, opt_, mf, seed).build(nodes_, values_, depth_);
  nodes_.shrink_to_fit();
  values_.shrink_to_fit();
}

void DecisionTree::fit(const data::Dataset& train) {
  const detail::TreeData data(train, "decision tree: training data");
  check_options(opt_, data.dim, "decision tree");
  const std::vector<std::uint32_t> ones(data.n, 1);
  grow(data, ones, opt_.max_features, opt_.seed);
}

DecisionTree DecisionTree::from_parts(const TreeOptions& opt, std::size_t dim, std::size_t n_classes,
                                      std::vector<TreeNode> nodes, std::vector<float> values) {
  if (nodes.empty()) input_error("decision tree: no node");
  if (dim == 0 || n_classes == 0) input_error("decision tree: {} features and {} classes", dim, n_classes);
  if (nodes.size() > std::numeric_limits<std::uint32_t>::max()) input_error("decision tree: too many nodes");
  for (float v : values)
    if (!std::isfinite(v)) input_error("decision tree: a leaf distribution holds a non-finite value");
  // Nodes are stored parents first (as grow() writes them), so following children always
  // moves forward and every walk ends at a leaf.
  std::vector<std::size_t> depth(nodes.size(), 0);
  std::size_t max_depth = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const TreeNode& n = nodes[i];
    if (n.feature < 0) {
      if (n.feature != -1) input_error("decision tree: node {} has feature {}", i, n.feature);
      if (static_cast<std::size_t>(n.value) + n_classes > values.size())
        input_error("decision tree: leaf {} points past the {} stored values", i, values.size());
      continue;
    }
    if (static_cast<std::size_t>(n.feature) >= dim)
      input_error("decision tree: node {} splits on feature {} of {}", i, n.feature, dim);
    if (!std::isfinite(n.threshold)) input_error("decision tree: node {} has a non-finite threshold", i);
    for (std::uint32_t c : {n.left, n.right}) {
      if (c <= i || c >= nodes.size())
        input_error("decision tree: node {} has child {} (children follow their parent, {} nodes)", i, c,
                    nodes.size());
      depth[c] = depth[i] + 1;
      max_depth = std::max(max_depth, depth[c]);
    }
  }
  DecisionTree t(opt);
  t.dim_ = dim;
  t.n_classes_ = n_classes;
  t.depth_ = max_depth;
  t.nodes_ = std::move(nodes);
  t.values_ = std::move(values);
  return t;
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

RandomForest RandomForest::from_trees(const ForestOptions& opt, std::vector<DecisionTree> trees) {
  if (trees.empty()) input_error("random forest: no tree");
  for (const auto& t : trees)
    if (t.dim() != trees[0].dim() || t.n_classes() != trees[0].n_classes() || t.nodes().empty())
      input_error("random forest: the trees differ in features or classes");
  RandomForest f(opt);
  f.opt_.n_trees = trees.size();
  f.n_classes_ = trees[0].n_classes();
  f.dim_ = trees[0].dim();
  f.trees_ = std::move(trees);
  return f;
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
