#include "tinyml/classic/model_file.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/autoencoder.hpp"

namespace tinyml::classic {

using nlohmann::json;

namespace {

constexpr char kMagic[9] = "TMLCLASS";

// Element types of the body's arrays, by their names in the header.
template <typename T> constexpr const char* type_name();
template <> constexpr const char* type_name<float>() { return "f32"; }
template <> constexpr const char* type_name<double>() { return "f64"; }
template <> constexpr const char* type_name<std::int32_t>() { return "i32"; }
template <> constexpr const char* type_name<std::uint32_t>() { return "u32"; }
template <> constexpr const char* type_name<char>() { return "u8"; }

std::size_t type_size(const std::string& t) {
  if (t == "f32" || t == "i32" || t == "u32") return 4;
  if (t == "f64") return 8;
  if (t == "u8") return 1;
  return 0;
}

// The body being written: arrays appended in order, listed for the header.
struct BodyWriter {
  json list = json::array();
  std::string bytes;

  template <typename T>
  void add(const std::string& name, std::span<const T> v) {
    list.push_back({{"name", name}, {"type", type_name<T>()}, {"count", v.size()}});
    bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
};

// The body being read: every array the header lists, checked against the body's size.
class BodyReader {
 public:
  BodyReader(const json& list, std::string_view body, std::string_view file) : file_(file) {
    if (!list.is_array()) input_error("{}: the header's array list is missing", file);
    std::size_t pos = 0;
    for (const json& e : list) {
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("type") ||
          !e["type"].is_string() || !e.contains("count") || !e["count"].is_number_unsigned())
        input_error("{}: an entry of the header's array list is malformed", file);
      const std::string name = e["name"], type = e["type"];
      const std::size_t size = type_size(type), count = e["count"].get<std::size_t>();
      if (size == 0) input_error("{}: array '{}' has an unknown type '{}'", file, name, type);
      if (count > (body.size() - pos) / size)
        input_error("{}: array '{}' of {} values runs past the end of the data", file, name, count);
      if (!arrays_.emplace(name, Array{type, count, body.substr(pos, count * size)}).second)
        input_error("{}: array '{}' is listed twice", file, name);
      pos += count * size;
    }
    if (pos != body.size())
      input_error("{}: the arrays take {} bytes but the file holds {}", file, pos, body.size());
  }

  // The array `name` of element type T; with `expected` set, it must hold that many values.
  template <typename T>
  std::vector<T> get(const std::string& name, std::optional<std::size_t> expected = std::nullopt) const {
    auto it = arrays_.find(name);
    if (it == arrays_.end()) input_error("{}: array '{}' is missing", file_, name);
    const Array& a = it->second;
    if (a.type != type_name<T>())
      input_error("{}: array '{}' holds {} values, expected {}", file_, name, a.type, type_name<T>());
    if (expected && a.count != *expected)
      input_error("{}: array '{}' holds {} values, expected {}", file_, name, a.count, *expected);
    std::vector<T> out(a.count);
    if (a.count) std::memcpy(out.data(), a.bytes.data(), a.count * sizeof(T));
    return out;
  }

 private:
  struct Array {
    std::string type;
    std::size_t count;
    std::string_view bytes;
  };
  std::map<std::string, Array> arrays_;
  std::string_view file_;
};

json tree_options_json(const TreeOptions& o) {
  return {{"criterion", to_string(o.criterion)}, {"max_depth", o.max_depth},
          {"min_samples_split", o.min_samples_split}, {"min_samples_leaf", o.min_samples_leaf},
          {"max_features", o.max_features}, {"seed", o.seed}};
}

TreeOptions tree_options_from(const json& j) {
  TreeOptions o;
  o.criterion = parse_criterion(j.at("criterion").get<std::string>());
  o.max_depth = j.at("max_depth").get<std::size_t>();
  o.min_samples_split = j.at("min_samples_split").get<std::size_t>();
  o.min_samples_leaf = j.at("min_samples_leaf").get<std::size_t>();
  o.max_features = j.at("max_features").get<std::size_t>();
  o.seed = j.at("seed").get<std::uint64_t>();
  return o;
}

void write_tree(BodyWriter& w, const DecisionTree& t, std::size_t i, json& trees) {
  const auto& nodes = t.nodes();
  std::vector<std::int32_t> feature;
  std::vector<double> threshold;
  std::vector<std::uint32_t> left, right, value;
  for (const TreeNode& n : nodes) {
    feature.push_back(n.feature);
    threshold.push_back(n.threshold);
    left.push_back(n.left);
    right.push_back(n.right);
    value.push_back(n.value);
  }
  const std::string p = fmt::format("tree{}.", i);
  w.add<std::int32_t>(p + "feature", feature);
  w.add<double>(p + "threshold", threshold);
  w.add<std::uint32_t>(p + "left", left);
  w.add<std::uint32_t>(p + "right", right);
  w.add<std::uint32_t>(p + "value", value);
  w.add<float>(p + "values", t.values());
  trees.push_back({{"nodes", nodes.size()}, {"values", t.values().size()}});
}

DecisionTree read_tree(const BodyReader& r, std::size_t i, const TreeOptions& opt, std::size_t dim,
                       std::size_t n_classes, const json& info) {
  const auto n = info.at("nodes").get<std::size_t>();
  const std::string p = fmt::format("tree{}.", i);
  const auto feature = r.get<std::int32_t>(p + "feature", n);
  const auto threshold = r.get<double>(p + "threshold", n);
  const auto left = r.get<std::uint32_t>(p + "left", n), right = r.get<std::uint32_t>(p + "right", n);
  const auto value = r.get<std::uint32_t>(p + "value", n);
  std::vector<TreeNode> nodes(n);
  for (std::size_t k = 0; k < n; ++k) nodes[k] = {feature[k], threshold[k], left[k], right[k], value[k]};
  return DecisionTree::from_parts(opt, dim, n_classes, std::move(nodes),
                                  r.get<float>(p + "values", info.at("values").get<std::size_t>()));
}

// The product of a sample shape, refusing absurd ones.
std::size_t sample_size(const std::vector<std::uint32_t>& shape, std::string_view file) {
  if (shape.empty() || shape.size() > 4) input_error("{}: invalid input shape", file);
  std::size_t n = 1;
  for (std::uint32_t d : shape) {
    if (d < 1 || d > 100'000'000 || n * d > 100'000'000) input_error("{}: invalid input shape", file);
    n *= d;
  }
  return n;
}

}  // namespace

std::vector<double> AnomalyDetector::score(const data::Dataset& d) {
  if (method == "kmeans") return kmeans.score(d);
  return nn::reconstruction_errors(autoencoder.model, d);
}

void ClassicModelFile::describe_data(const data::Dataset& train) {
  classes = train.classes;
  input_shape = train.shape;
  features = train.features;
  normalization = train.norm;
}

std::string_view ClassicModelFile::kind() const {
  static constexpr std::string_view names[] = {"knn", "tree", "forest", "anomaly"};
  return names[model.index()];
}

void ClassicModelFile::check_dataset(const data::Dataset& d, std::string_view dataset_name,
                                     std::string_view model_name) const {
  if (d.shape != input_shape)
    input_error("{}: samples of shape [{}], but the model {} takes [{}]", dataset_name, fmt::join(d.shape, ", "),
                model_name, fmt::join(input_shape, ", "));
  if (d.classes != classes)
    input_error("{}: classes [{}] differ from the model's [{}]", dataset_name, fmt::join(d.classes, ", "),
                fmt::join(classes, ", "));
}

std::vector<std::int32_t> ClassicModelFile::predict(const data::Dataset& d) const {
  if (auto* m = std::get_if<Knn>(&model)) return m->predict(d);
  if (auto* m = std::get_if<DecisionTree>(&model)) return m->predict(d);
  if (auto* m = std::get_if<RandomForest>(&model)) return m->predict(d);
  input_error("an anomaly detector scores samples; it does not predict classes");
}

std::string serialize(ClassicModelFile& f) {
  json h;
  h["format"] = "tinyml-classic";
  h["kind"] = f.kind();
  h["classes"] = f.classes;
  h["input_shape"] = f.input_shape;
  h["features"] = f.features;
  h["normalization"] = f.normalization.json();
  h["metadata"] = f.metadata;
  BodyWriter w;
  std::string model_bytes;  // an autoencoder's .tmm, kept alive until the body is written
  if (auto* m = std::get_if<Knn>(&f.model)) {
    const auto& o = m->options();
    h["options"] = {{"k", o.k}, {"metric", to_string(o.metric)}, {"weights", to_string(o.weights)}};
    h["rows"] = m->size();
    h["n_classes"] = m->n_classes();
    w.add<float>("x", m->rows());
    w.add<std::int32_t>("y", m->labels());
  } else if (auto* t = std::get_if<DecisionTree>(&f.model)) {
    h["options"] = tree_options_json(t->options());
    h["n_classes"] = t->n_classes();
    json trees = json::array();
    write_tree(w, *t, 0, trees);
    h["trees"] = trees;
  } else if (auto* r = std::get_if<RandomForest>(&f.model)) {
    const auto& o = r->options();
    h["options"] = {{"trees", o.n_trees}, {"bootstrap", o.bootstrap}, {"seed", o.seed},
                    {"tree", tree_options_json(o.tree)}};
    h["n_classes"] = r->n_classes();
    json trees = json::array();
    for (std::size_t i = 0; i < r->trees().size(); ++i) write_tree(w, r->trees()[i], i, trees);
    h["trees"] = trees;
  } else {
    auto& a = std::get<AnomalyDetector>(f.model);
    h["options"] = {{"method", a.method}, {"normal_class", a.normal_class}, {"target_fpr", a.target_fpr},
                    {"threshold", a.threshold}};
    if (a.method == "kmeans") {
      h["clusters"] = a.kmeans.model().k();
      w.add<float>("centroids", a.kmeans.model().centroids);
    } else {
      model_bytes = nn::serialize(a.autoencoder);
      w.add<char>("autoencoder", model_bytes);
    }
  }
  h["arrays"] = w.list;
  std::string out = begin_container(kMagic, kClassicFormatVersion, h.dump());
  out += w.bytes;
  seal_container(out);
  return out;
}

ClassicModelFile deserialize_classic(std::string_view bytes, std::string_view name) {
  const Container box = open_container(bytes, kMagic, kClassicFormatVersion, name, "classic model");
  ClassicModelFile f;
  try {
    const json h = json::parse(box.header);
    if (!h.is_object() || h.value("format", "") != "tinyml-classic")
      input_error("{}: not a tinyml classic model header", name);
    const std::string kind = h.at("kind").get<std::string>();
    f.classes = h.at("classes").get<std::vector<std::string>>();
    f.input_shape = h.at("input_shape").get<std::vector<std::uint32_t>>();
    f.features = h.at("features").get<std::vector<std::string>>();
    f.normalization = data::Normalization::from_json(h.at("normalization"));
    f.metadata = h.value("metadata", json::object());
    const std::size_t dim = sample_size(f.input_shape, name);
    const json& o = h.at("options");
    const BodyReader r(h.at("arrays"), box.body, name);
    const auto n_classes = [&] {
      const auto n = h.at("n_classes").get<std::size_t>();
      if (n < 1 || (!f.classes.empty() && n != f.classes.size()))
        input_error("{}: {} classes, but {} class names", name, n, f.classes.size());
      return n;
    };
    if (kind == "knn") {
      KnnOptions ko;
      ko.k = o.at("k").get<std::size_t>();
      ko.metric = parse_metric(o.at("metric").get<std::string>());
      ko.weights = parse_weights(o.at("weights").get<std::string>());
      ko.threads = 0;
      const auto rows = h.at("rows").get<std::size_t>();
      const std::size_t classes = n_classes();
      if (rows > box.body.size() / (dim * sizeof(float)))
        input_error("{}: {} rows of {} values do not fit in the file", name, rows, dim);
      Knn knn(ko);
      knn.fit(r.get<float>("x", rows * dim), dim, r.get<std::int32_t>("y", rows), classes);
      f.model = std::move(knn);
    } else if (kind == "tree" || kind == "forest") {
      const json& trees = h.at("trees");
      if (!trees.is_array() || trees.empty() || (kind == "tree" && trees.size() != 1))
        input_error("{}: a {} needs {} tree list", name, kind, kind == "tree" ? "a one-entry" : "a non-empty");
      const std::size_t classes = n_classes();
      if (kind == "tree") {
        f.model = read_tree(r, 0, tree_options_from(o), dim, classes, trees[0]);
      } else {
        ForestOptions fo;
        fo.bootstrap = o.at("bootstrap").get<bool>();
        fo.seed = o.at("seed").get<std::uint64_t>();
        fo.tree = tree_options_from(o.at("tree"));
        std::vector<DecisionTree> ts;
        for (std::size_t i = 0; i < trees.size(); ++i) ts.push_back(read_tree(r, i, fo.tree, dim, classes, trees[i]));
        f.model = RandomForest::from_trees(fo, std::move(ts));
      }
    } else if (kind == "anomaly") {
      AnomalyDetector a;
      a.method = o.at("method").get<std::string>();
      a.normal_class = o.at("normal_class").get<std::int32_t>();
      a.target_fpr = o.at("target_fpr").get<double>();
      a.threshold = o.at("threshold").get<double>();
      if (a.normal_class < 0 || static_cast<std::size_t>(a.normal_class) >= std::max<std::size_t>(f.classes.size(), 1))
        input_error("{}: normal class {} is not one of the {} classes", name, a.normal_class, f.classes.size());
      if (!(a.target_fpr >= 0 && a.target_fpr <= 1)) input_error("{}: target_fpr is not in [0, 1]", name);
      if (!std::isfinite(a.threshold)) input_error("{}: the threshold is not a finite number", name);
      if (a.method == "kmeans") {
        const auto k = h.at("clusters").get<std::size_t>();
        if (k < 1 || k > box.body.size() / (dim * sizeof(float)))
          input_error("{}: {} clusters of {} values do not fit in the file", name, k, dim);
        KMeans km;
        km.dim = dim;
        km.centroids = r.get<float>("centroids", k * dim);
        a.kmeans.set_model(std::move(km));
        a.kmeans.set_threshold(a.threshold);
      } else if (a.method == "autoencoder") {
        const std::vector<char> m = r.get<char>("autoencoder");
        a.autoencoder = nn::deserialize_model(std::string_view(m.data(), m.size()), fmt::format("{} (autoencoder)", name));
        if (nn::numel(a.autoencoder.model.input_shape) != dim || nn::numel(a.autoencoder.model.output_shape()) != dim)
          input_error("{}: the autoencoder does not map samples of {} values to {} values", name, dim, dim);
      } else {
        input_error("{}: unknown anomaly method '{}'", name, a.method);
      }
      f.model = std::move(a);
    } else {
      input_error("{}: unknown model kind '{}' (knn, tree, forest, anomaly)", name, kind);
    }
  } catch (const json::exception& e) {
    input_error("{}: malformed classic model header: {}", name, e.what());
  } catch (const InputError& e) {
    const std::string msg = e.what();
    if (msg.rfind(std::string(name), 0) == 0) throw;
    input_error("{}: {}", name, msg);
  }
  return f;
}

ClassicModelFile load_classic(const std::filesystem::path& p) {
  const std::string bytes = read_file(p);
  return deserialize_classic(bytes, p.string());
}

bool is_classic_model(std::string_view bytes) { return bytes.substr(0, 8) == std::string_view(kMagic, 8); }

}  // namespace tinyml::classic
