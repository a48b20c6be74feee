#include "tinyml/data/dataset.hpp"

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"

namespace tinyml::data {

using nlohmann::json;

json Normalization::json() const {
  return {{"method", method}, {"features", features}, {"offset", offset}, {"scale", scale}};
}

Normalization Normalization::from_json(const nlohmann::json& j) {
  Normalization n;
  n.method = j.at("method").get<std::string>();
  n.features = j.at("features").get<std::vector<std::string>>();
  n.offset = j.at("offset").get<std::vector<double>>();
  n.scale = j.at("scale").get<std::vector<double>>();
  return n;
}

std::size_t Dataset::sample_size() const {
  std::size_t n = 1;
  for (auto s : shape) n *= s;
  return shape.empty() ? 0 : n;
}

std::vector<std::size_t> Dataset::class_counts() const {
  std::vector<std::size_t> c(classes.size(), 0);
  for (auto v : y)
    if (v >= 0 && static_cast<std::size_t>(v) < c.size()) ++c[static_cast<std::size_t>(v)];
  return c;
}

namespace {
constexpr char kMagic[9] = "TMLDATA";  // 7 letters and a NUL: 8 bytes in the file

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
void put_array(std::string& out, const std::vector<T>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
}  // namespace

std::string serialize(const Dataset& d) {
  json h;
  h["shape"] = d.shape;
  h["features"] = d.features;
  h["classes"] = d.classes;
  h["samples"] = d.size();
  h["normalization"] = d.norm.json();
  std::string out = begin_container(kMagic, kDatasetFormatVersion, h.dump());
  put_array(out, d.x);
  put_array(out, d.y);
  put_array(out, d.group);
  put_array(out, d.t_begin);
  put_array(out, d.t_end);
  seal_container(out);
  return out;
}

Dataset deserialize(std::string_view b, std::string_view name) {
  Container box = open_container(b, kMagic, kDatasetFormatVersion, name, "dataset");
  Dataset d;
  std::size_t n;
  try {
    json h = json::parse(box.header);
    d.shape = h.at("shape").get<std::vector<std::uint32_t>>();
    d.features = h.at("features").get<std::vector<std::string>>();
    d.classes = h.at("classes").get<std::vector<std::string>>();
    n = h.at("samples").get<std::size_t>();
    d.norm = Normalization::from_json(h.at("normalization"));
  } catch (const json::exception& e) {
    input_error("{}: malformed dataset header: {}", name, e.what());
  }
  std::size_t ss = d.sample_size();
  std::size_t pos = 0;
  const std::size_t body = box.body.size();
  // Guard the size arithmetic against overflow before comparing.
  if (ss > (1ULL << 32) || n > (1ULL << 32) ||
      body != n * (ss * sizeof(float) + 2 * sizeof(std::int32_t) + 2 * sizeof(double)))
    input_error("{}: body size does not match {} samples of shape [{}]", name, n,
                fmt::join(d.shape, ","));
  auto get = [&](auto& v, std::size_t count) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    v.resize(count);
    std::memcpy(v.data(), box.body.data() + pos, count * sizeof(T));
    pos += count * sizeof(T);
  };
  get(d.x, n * ss);
  get(d.y, n);
  get(d.group, n);
  get(d.t_begin, n);
  get(d.t_end, n);
  return d;
}

void save_dataset(const std::filesystem::path& p, const Dataset& d) {
  write_file_atomic(p, serialize(d));
}

Dataset load_dataset(const std::filesystem::path& p) {
  std::string bytes = read_file(p);
  return deserialize(bytes, p.string());
}

Normalization fit_normalization(const Dataset& train, const std::string& method) {
  Normalization n;
  n.method = method;
  n.features = train.features;
  const std::size_t nf = train.features.size();
  n.offset.assign(nf, 0.0);
  n.scale.assign(nf, 1.0);
  if (method == "none" || nf == 0) return n;
  const std::size_t steps = train.x.size() / nf;
  for (std::size_t f = 0; f < nf; ++f) {
    if (method == "zscore") {
      double s = 0, s2 = 0;
      for (std::size_t i = 0; i < steps; ++i) s += train.x[i * nf + f];
      double mean = steps ? s / static_cast<double>(steps) : 0.0;
      for (std::size_t i = 0; i < steps; ++i) {
        double dlt = train.x[i * nf + f] - mean;
        s2 += dlt * dlt;
      }
      double sd = steps > 1 ? std::sqrt(s2 / static_cast<double>(steps)) : 0.0;
      n.offset[f] = mean;
      n.scale[f] = sd > 0 ? sd : 1.0;
    } else if (method == "minmax") {
      double lo = INFINITY, hi = -INFINITY;
      for (std::size_t i = 0; i < steps; ++i) {
        lo = std::min<double>(lo, train.x[i * nf + f]);
        hi = std::max<double>(hi, train.x[i * nf + f]);
      }
      if (steps == 0) lo = hi = 0;
      n.offset[f] = lo;
      n.scale[f] = hi > lo ? hi - lo : 1.0;
    } else {
      input_error("normalize: unknown method '{}' (expected none, zscore or minmax)", method);
    }
  }
  return n;
}

void apply_normalization(Dataset& d, const Normalization& n) {
  d.norm = n;
  if (n.method == "none") return;
  const std::size_t nf = n.offset.size();
  if (nf != d.features.size()) failure("normalization has {} features, dataset {}", nf, d.features.size());
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    std::size_t f = i % nf;
    d.x[i] = static_cast<float>((d.x[i] - n.offset[f]) / n.scale[f]);
  }
}

std::vector<float> raw_sample(const Dataset& d, std::size_t i) {
  const std::size_t ss = d.sample_size();
  std::vector<float> x(d.x.begin() + static_cast<std::ptrdiff_t>(i * ss),
                       d.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * ss));
  const std::size_t nf = d.norm.offset.size();
  if (d.norm.method == "none" || nf == 0) return x;
  for (std::size_t k = 0; k < ss; ++k)
    x[k] = static_cast<float>(x[k] * d.norm.scale[k % nf] + d.norm.offset[k % nf]);
  return x;
}

}  // namespace tinyml::data
