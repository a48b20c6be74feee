#include "tinyml/nn/spec.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "tinyml/error.hpp"

namespace tinyml::nn {

using nlohmann::json;

namespace {

struct TypeInfo {
  std::vector<std::string> keys;  // besides "type"
  const char* help;
};

const std::map<std::string, TypeInfo>& types() {
  static const std::map<std::string, TypeInfo> t = {
      {"dense", {{"units"}, "units"}},
      {"conv1d", {{"filters", "kernel", "stride", "dilation", "padding"}, "filters, kernel, stride=1, dilation=1, padding=same"}},
      {"conv2d", {{"filters", "kernel", "stride", "dilation", "padding"}, "filters, kernel (n or [h, w]), stride, dilation, padding"}},
      {"depthwise_conv2d", {{"kernel", "stride", "dilation", "padding", "depth_multiplier"}, "kernel, stride, dilation, padding, depth_multiplier=1"}},
      {"separable_conv2d", {{"filters", "kernel", "stride", "padding"}, "filters, kernel, stride, padding (depthwise + 1x1)"}},
      {"max_pool1d", {{"pool", "stride", "padding"}, "pool=2, stride=pool, padding=valid"}},
      {"average_pool1d", {{"pool", "stride", "padding"}, "pool=2, stride=pool, padding=valid"}},
      {"max_pool2d", {{"pool", "stride", "padding"}, "pool=2 (n or [h, w]), stride=pool, padding=valid"}},
      {"average_pool2d", {{"pool", "stride", "padding"}, "pool, stride, padding"}},
      {"global_average_pool", {{}, "no keys"}},
      {"batchnorm", {{"momentum", "epsilon"}, "momentum=0.9, epsilon=0.001"}},
      {"relu", {{}, ""}}, {"relu6", {{}, ""}}, {"tanh", {{}, ""}}, {"sigmoid", {{}, ""}}, {"softmax", {{}, ""}},
      {"dropout", {{"rate"}, "rate"}},
      {"flatten", {{}, ""}},
      {"reshape", {{"shape"}, "shape"}},
      {"add", {{"from"}, "from (1-based index of an earlier layer, 0 = the input)"}},
      // Every layer also takes input = N: read the output of declared layer N (0 = the
      // model input) instead of the previous layer's.
  };
  return t;
}

class Spec {
 public:
  Spec(const json& j, std::size_t index) : j_(j), index_(index) {
    if (!j.is_object()) fail("each layer must be a table such as { type = \"dense\", units = 16 }");
    if (!j.contains("type") || !j["type"].is_string()) fail("missing 'type'");
    type_ = j["type"].get<std::string>();
    auto it = types().find(type_);
    if (it == types().end()) {
      std::string list;
      for (auto& [k, v] : types()) list += (list.empty() ? "" : ", ") + k;
      fail(fmt::format("unknown layer type '{}' (known: {})", type_, list));
    }
    for (auto& [k, v] : j.items()) {
      if (k == "type" || k == "input") continue;
      if (std::find(it->second.keys.begin(), it->second.keys.end(), k) == it->second.keys.end())
        fail(fmt::format("unknown key '{}' (keys of {}: {})", k, type_, it->second.help[0] ? it->second.help : "none"));
    }
  }
  [[noreturn]] void fail(const std::string& msg) const {
    input_error("model.layers[{}]{}: {}", index_ + 1, type_.empty() ? "" : " (" + type_ + ")", msg);
  }
  const std::string& type() const { return type_; }
  bool has(const char* k) const { return j_.contains(k); }
  int integer(const char* k, int def, int lo = 1) const {
    if (!j_.contains(k)) {
      if (def == INT32_MIN) fail(fmt::format("'{}' is required", k));
      return def;
    }
    const json& v = j_[k];
    if (!v.is_number_integer()) fail(fmt::format("'{}' must be an integer", k));
    auto x = v.get<long long>();
    if (x < lo || x > 1'000'000) fail(fmt::format("'{}' = {} is out of range [{}, 1000000]", k, x, lo));
    return static_cast<int>(x);
  }
  // n or [h, w]
  std::pair<int, int> pair(const char* k, std::pair<int, int> def, bool required = false) const {
    if (!j_.contains(k)) {
      if (required) fail(fmt::format("'{}' is required", k));
      return def;
    }
    const json& v = j_[k];
    if (v.is_number_integer()) {
      int x = integer(k, 1);
      return {x, x};
    }
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
      auto a = v[0].get<long long>(), b = v[1].get<long long>();
      if (a < 1 || b < 1 || a > 100000 || b > 100000) fail(fmt::format("'{}' values must be at least 1", k));
      return {static_cast<int>(a), static_cast<int>(b)};
    }
    fail(fmt::format("'{}' must be an integer or [height, width]", k));
  }
  double number(const char* k, double def, double lo, double hi) const {
    if (!j_.contains(k)) return def;
    const json& v = j_[k];
    if (!v.is_number()) fail(fmt::format("'{}' must be a number", k));
    double x = v.get<double>();
    if (!(x >= lo && x <= hi)) fail(fmt::format("'{}' = {} is out of range [{}, {}]", k, x, lo, hi));
    return x;
  }
  Padding padding(Padding def) const {
    if (!j_.contains("padding")) return def;
    const json& v = j_["padding"];
    if (v == "same") return Padding::Same;
    if (v == "valid") return Padding::Valid;
    fail("'padding' must be \"same\" or \"valid\"");
  }
  const json& raw() const { return j_; }

 private:
  const json& j_;
  std::size_t index_;
  std::string type_;
};

std::vector<std::unique_ptr<Layer>> make_layers(const Spec& s, std::uint64_t seed) {
  std::vector<std::unique_ptr<Layer>> out;
  const std::string& t = s.type();
  if (t == "dense") {
    out.push_back(std::make_unique<Dense>(s.integer("units", INT32_MIN)));
  } else if (t == "conv1d") {
    ConvSpec c;
    c.filters = s.integer("filters", INT32_MIN);
    c.kh = 1;
    c.kw = s.integer("kernel", INT32_MIN);
    c.stride_w = s.integer("stride", 1);
    c.dil_w = s.integer("dilation", 1);
    c.padding = s.padding(Padding::Same);
    out.push_back(std::make_unique<Conv2D>(c, true));
  } else if (t == "conv2d" || t == "depthwise_conv2d" || t == "separable_conv2d") {
    ConvSpec c;
    auto k = s.pair("kernel", {3, 3}, true);
    auto st = s.pair("stride", {1, 1});
    c.kh = k.first;
    c.kw = k.second;
    c.stride_h = st.first;
    c.stride_w = st.second;
    if (t != "separable_conv2d") {
      auto d = s.pair("dilation", {1, 1});
      c.dil_h = d.first;
      c.dil_w = d.second;
    }
    c.padding = s.padding(Padding::Same);
    if (t == "conv2d") {
      c.filters = s.integer("filters", INT32_MIN);
      out.push_back(std::make_unique<Conv2D>(c));
    } else {
      c.depth_multiplier = s.integer("depth_multiplier", 1);
      out.push_back(std::make_unique<DepthwiseConv2D>(c));
      if (t == "separable_conv2d") {
        ConvSpec pw{s.integer("filters", INT32_MIN), 1, 1, 1, 1, 1, 1, Padding::Valid, 1};
        out.push_back(std::make_unique<Conv2D>(pw));
      }
    }
  } else if (t == "max_pool1d" || t == "average_pool1d") {
    int p = s.integer("pool", 2);
    out.push_back(std::make_unique<Pool2D>(t[0] == 'm', 1, p, 1, s.integer("stride", p), s.padding(Padding::Valid), true));
  } else if (t == "max_pool2d" || t == "average_pool2d") {
    auto p = s.pair("pool", {2, 2});
    auto st = s.pair("stride", p);
    out.push_back(std::make_unique<Pool2D>(t[0] == 'm', p.first, p.second, st.first, st.second,
                                           s.padding(Padding::Valid), false));
  } else if (t == "global_average_pool") {
    out.push_back(std::make_unique<GlobalAveragePool>());
  } else if (t == "batchnorm") {
    out.push_back(std::make_unique<BatchNorm>(static_cast<float>(s.number("momentum", 0.9, 0, 0.9999)),
                                              static_cast<float>(s.number("epsilon", 1e-3, 1e-12, 1))));
  } else if (t == "relu" || t == "relu6" || t == "tanh" || t == "sigmoid" || t == "softmax") {
    Act a = t == "relu" ? Act::ReLU : t == "relu6" ? Act::ReLU6 : t == "tanh" ? Act::Tanh : t == "sigmoid" ? Act::Sigmoid : Act::Softmax;
    out.push_back(std::make_unique<Activation>(a));
  } else if (t == "dropout") {
    double r = s.number("rate", 0.5, 0, 0.95);
    out.push_back(std::make_unique<Dropout>(static_cast<float>(r), seed));
  } else if (t == "flatten") {
    out.push_back(std::make_unique<Reshape>(Shape{}, true));
  } else if (t == "reshape") {
    const json& v = s.raw().contains("shape") ? s.raw()["shape"] : json();
    if (!v.is_array() || v.empty()) s.fail("'shape' must be a non-empty array of integers");
    Shape sh;
    for (auto& e : v) {
      if (!e.is_number_integer() || e.get<long long>() < 1 || e.get<long long>() > 1'000'000)
        s.fail("'shape' must hold integers of at least 1");
      sh.push_back(static_cast<int>(e.get<long long>()));
    }
    out.push_back(std::make_unique<Reshape>(sh));
  } else if (t == "add") {
    out.push_back(std::make_unique<Add>(s.integer("from", INT32_MIN, 0)));  // remapped below
  }
  return out;
}

}  // namespace

Model make_model(const json& layers, const Shape& input, std::uint64_t seed) {
  if (!layers.is_array() || layers.empty()) input_error("model.layers: expected a non-empty list of layers");
  Model m;
  // Declared layer i (1-based) may expand into several built layers (separable conv);
  // 'from' in an add refers to declared layers, so keep the mapping.
  std::vector<int> last_built_of(layers.size() + 1, -1);  // declared index -> built index
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Spec s(layers[i], i);
    auto built = make_layers(s, seed + i);
    if (s.type() == "add") {
      int from = s.integer("from", INT32_MIN, 0);
      if (from > static_cast<int>(i)) s.fail(fmt::format("'from' = {} is not an earlier layer", from));
      dynamic_cast<Add*>(built[0].get())->from = last_built_of[static_cast<std::size_t>(from)];
    }
    if (s.has("input")) {
      int in = s.integer("input", INT32_MIN, 0);
      if (in > static_cast<int>(i)) s.fail(fmt::format("'input' = {} is not an earlier layer", in));
      built[0]->input_from = last_built_of[static_cast<std::size_t>(in)];
    }
    for (auto& l : built) {
      l->spec = layers[i];
      m.layers.push_back(std::move(l));
    }
    last_built_of[i + 1] = static_cast<int>(m.layers.size()) - 1;
  }
  try {
    m.build(input, seed);
  } catch (const InputError& e) {
    // Name the declared layer rather than the built one.
    input_error("model: {}", e.what());
  }
  return m;
}

json preset_layers(const std::string& name, const Shape& input, int classes, double width) {
  auto w = [&](int n) { return std::max(1, static_cast<int>(std::lround(n * width))); };
  json L = json::array();
  const bool seq = input.size() == 2;  // [length, features]
  const bool img2d = input.size() == 2 || input.size() == 3;
  if (name == "mlp") {
    L.push_back({{"type", "flatten"}});
    L.push_back({{"type", "dense"}, {"units", w(64)}});
    L.push_back({{"type", "relu"}});
    L.push_back({{"type", "dense"}, {"units", w(32)}});
    L.push_back({{"type", "relu"}});
    L.push_back({{"type", "dense"}, {"units", classes}});
  } else if (name == "cnn1d") {
    if (!seq) input_error("preset cnn1d needs windows of shape [length, features], got {}", to_string(input));
    L.push_back({{"type", "conv1d"}, {"filters", w(16)}, {"kernel", 3}});
    L.push_back({{"type", "relu"}});
    L.push_back({{"type", "max_pool1d"}, {"pool", 2}});
    L.push_back({{"type", "conv1d"}, {"filters", w(32)}, {"kernel", 3}});
    L.push_back({{"type", "relu"}});
    L.push_back({{"type", "global_average_pool"}});
    L.push_back({{"type", "dense"}, {"units", classes}});
  } else if (name == "cnn2d" || name == "ds-cnn" || name == "resnet8") {
    if (!img2d) input_error("preset {} needs images of shape [h, w] or [h, w, c], got {}", name, to_string(input));
    if (input.size() == 2) L.push_back({{"type", "reshape"}, {"shape", {input[0], input[1], 1}}});
    if (name == "cnn2d") {
      L.push_back({{"type", "conv2d"}, {"filters", w(16)}, {"kernel", 3}});
      L.push_back({{"type", "relu"}});
      L.push_back({{"type", "max_pool2d"}, {"pool", 2}});
      L.push_back({{"type", "conv2d"}, {"filters", w(32)}, {"kernel", 3}});
      L.push_back({{"type", "relu"}});
      L.push_back({{"type", "max_pool2d"}, {"pool", 2}});
      L.push_back({{"type", "flatten"}});
      L.push_back({{"type", "dense"}, {"units", w(64)}});
      L.push_back({{"type", "relu"}});
      L.push_back({{"type", "dense"}, {"units", classes}});
    } else if (name == "ds-cnn") {
      // Keyword-spotting style: a strided conv, then depthwise-separable blocks.
      L.push_back({{"type", "conv2d"}, {"filters", w(32)}, {"kernel", 3}, {"stride", 2}});
      L.push_back({{"type", "batchnorm"}});
      L.push_back({{"type", "relu"}});
      for (int b = 0; b < 3; ++b) {
        L.push_back({{"type", "depthwise_conv2d"}, {"kernel", 3}});
        L.push_back({{"type", "batchnorm"}});
        L.push_back({{"type", "relu"}});
        L.push_back({{"type", "conv2d"}, {"filters", w(32)}, {"kernel", 1}});
        L.push_back({{"type", "batchnorm"}});
        L.push_back({{"type", "relu"}});
      }
      L.push_back({{"type", "global_average_pool"}});
      L.push_back({{"type", "dense"}, {"units", classes}});
    } else {
      // CIFAR-style ResNet-8: a stem and three residual stages (16, 32, 64 filters); the
      // second and third stages halve the resolution and project their shortcut with a
      // strided 1x1 convolution that reads the block input.
      L.push_back({{"type", "conv2d"}, {"filters", w(16)}, {"kernel", 3}});
      L.push_back({{"type", "batchnorm"}});
      L.push_back({{"type", "relu"}});
      const int filters[3] = {w(16), w(32), w(64)};
      for (int st = 0; st < 3; ++st) {
        const int stride = st == 0 ? 1 : 2;
        const int block_in = static_cast<int>(L.size());  // declared index (1-based) of the block input
        L.push_back({{"type", "conv2d"}, {"filters", filters[st]}, {"kernel", 3}, {"stride", stride}});
        L.push_back({{"type", "batchnorm"}});
        L.push_back({{"type", "relu"}});
        L.push_back({{"type", "conv2d"}, {"filters", filters[st]}, {"kernel", 3}});
        L.push_back({{"type", "batchnorm"}});
        const int main_out = static_cast<int>(L.size());
        if (st == 0) {
          L.push_back({{"type", "add"}, {"from", block_in}});
        } else {
          L.push_back({{"type", "conv2d"}, {"filters", filters[st]}, {"kernel", 1}, {"stride", stride}, {"input", block_in}});
          L.push_back({{"type", "add"}, {"from", main_out}});
        }
        L.push_back({{"type", "relu"}});
      }
      L.push_back({{"type", "global_average_pool"}});
      L.push_back({{"type", "dense"}, {"units", classes}});
    }
  } else if (name == "autoencoder") {
    int n = static_cast<int>(numel(input));
    L.push_back({{"type", "flatten"}});
    for (int u : {w(64), w(16), w(64)}) {
      L.push_back({{"type", "dense"}, {"units", u}});
      L.push_back({{"type", "relu"}});
    }
    L.push_back({{"type", "dense"}, {"units", n}});
  } else {
    input_error("model.preset: '{}' is not valid: expected mlp, cnn1d, cnn2d, ds-cnn, resnet8 or autoencoder", name);
  }
  return L;
}

std::string layer_reference() {
  std::string s;
  for (auto& [k, v] : types()) s += fmt::format("  {:<20} {}\n", k, v.help);
  return s;
}

}  // namespace tinyml::nn
