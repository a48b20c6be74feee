#include "tinyml/optimize/int8_file.hpp"

#include <cmath>
#include <cstring>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/optimize/sparse.hpp"

namespace tinyml::optimize {

using nlohmann::json;

namespace {

constexpr char kMagic[9] = "TMLINT8";

constexpr OpKind kKinds[] = {OpKind::Conv2D,  OpKind::DepthwiseConv2D, OpKind::FullyConnected, OpKind::MaxPool,
                             OpKind::AveragePool, OpKind::Mean,       OpKind::Add,            OpKind::Reshape,
                             OpKind::Logistic, OpKind::Tanh};

template <typename T>
void put(std::string& out, const std::vector<T>& v) {
  if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

bool is_int8_model(std::string_view bytes) { return bytes.size() >= 8 && std::memcmp(bytes.data(), kMagic, 8) == 0; }

std::string serialize(const Int8File& f) {
  const Int8Model& m = f.model;
  json h;
  h["format"] = "tinyml-int8";
  h["classes"] = f.classes;
  h["normalization"] = f.normalization.json();
  h["input"] = m.input;
  h["output"] = m.output;
  json ts = json::array();
  for (const Int8Tensor& t : m.tensors) ts.push_back({{"shape", t.shape}, {"scale", t.q.scale}, {"zero_point", t.q.zero_point}});
  h["tensors"] = ts;
  json ops = json::array();
  for (const Int8Op& o : m.ops)
    ops.push_back({{"kind", std::string(to_string(o.kind))}, {"input", o.input}, {"input2", o.input2},
                   {"output", o.output}, {"layer", o.layer}, {"fused", static_cast<int>(o.fused)},
                   {"window", {o.kh, o.kw, o.stride_h, o.stride_w, o.dil_h, o.dil_w, o.pad_top, o.pad_left}},
                   {"depth_multiplier", o.depth_multiplier}, {"weight_shape", o.weight_shape},
                   {"weight_scales", o.weight_scales}, {"act", {o.act_min, o.act_max}},
                   {"sizes", {o.sparse_weights.empty() ? o.weights.size() : 0, o.bias.size(), o.multipliers.size(),
                              o.shifts.size(), o.sparse_weights.size()}}});
  h["ops"] = ops;
  std::string out = begin_container(kMagic, kInt8FormatVersion, h.dump());
  for (const Int8Op& o : m.ops) {
    if (o.sparse_weights.empty()) put(out, o.weights);
    put(out, o.bias);
    put(out, o.multipliers);
    put(out, o.shifts);
    put(out, o.sparse_weights);
  }
  seal_container(out);
  return out;
}

Int8File deserialize_int8(std::string_view bytes, std::string_view name) {
  Container box = open_container(bytes, kMagic, kInt8FormatVersion, name, "int8 model");
  Int8File f;
  Int8Model& m = f.model;
  std::size_t pos = 0;
  auto take = [&](auto& v, std::size_t count, const std::string& what) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    if (count > (box.body.size() - pos) / sizeof(T)) input_error("{}: {} runs past the end of the file", name, what);
    v.resize(count);
    if (count) std::memcpy(v.data(), box.body.data() + pos, count * sizeof(T));
    pos += count * sizeof(T);
  };
  try {
    json h = json::parse(box.header);
    if (h.at("format") != "tinyml-int8") input_error("{}: not a tinyml int8 model header", name);
    f.classes = h.at("classes").get<std::vector<std::string>>();
    f.normalization = data::Normalization::from_json(h.at("normalization"));
    const auto& ts = h.at("tensors");
    if (!ts.is_array() || ts.empty() || ts.size() > 100000) input_error("{}: no tensors", name);
    for (std::size_t k = 0; k < ts.size(); ++k) {
      Int8Tensor t;
      t.shape = ts[k].at("shape").get<std::vector<int>>();
      t.q.scale = ts[k].at("scale").get<float>();
      t.q.zero_point = ts[k].at("zero_point").get<std::int32_t>();
      if (t.shape.empty() || t.shape.size() > 3) input_error("{}: tensor {}: shape of rank {}", name, k, t.shape.size());
      std::size_t n = 1;
      for (int d : t.shape) {
        if (d < 1 || d > 1'000'000) input_error("{}: tensor {}: dimension {} is out of range", name, k, d);
        n *= static_cast<std::size_t>(d);
        if (n > (1ULL << 26)) input_error("{}: tensor {}: too many values", name, k);
      }
      if (!std::isfinite(t.q.scale) || !(t.q.scale > 0))
        input_error("{}: tensor {}: scale {} is not a positive finite number", name, k, t.q.scale);
      if (t.q.zero_point < -128 || t.q.zero_point > 127)
        input_error("{}: tensor {}: zero point {} is outside [-128, 127]", name, k, t.q.zero_point);
      m.tensors.push_back(t);
    }
    m.input = h.at("input").get<std::size_t>();
    m.output = h.at("output").get<std::size_t>();
    if (m.input >= m.tensors.size() || m.output >= m.tensors.size())
      input_error("{}: the input or output names no tensor", name);
    for (const auto& jo : h.at("ops")) {
      Int8Op o;
      const std::size_t i = m.ops.size();
      const std::string kind = jo.at("kind").get<std::string>();
      bool known = false;
      for (OpKind k : kKinds)
        if (to_string(k) == kind) {
          o.kind = k;
          known = true;
        }
      if (!known) input_error("{}: operation {}: unknown kind '{}'", name, i, kind);
      o.input = jo.at("input").get<std::size_t>();
      o.input2 = jo.at("input2").get<std::size_t>();
      o.output = jo.at("output").get<std::size_t>();
      o.layer = jo.at("layer").get<std::size_t>();
      const int fused = jo.at("fused").get<int>();
      if (fused < 0 || fused > 2) input_error("{}: operation {} ({}): unknown fused activation", name, i, kind);
      o.fused = static_cast<Fused>(fused);
      const auto w = jo.at("window").get<std::vector<int>>();
      if (w.size() != 8) input_error("{}: operation {} ({}): window needs 8 values", name, i, kind);
      o.kh = w[0], o.kw = w[1], o.stride_h = w[2], o.stride_w = w[3], o.dil_h = w[4], o.dil_w = w[5], o.pad_top = w[6],
      o.pad_left = w[7];
      for (int k = 0; k < 6; ++k)
        if (w[static_cast<std::size_t>(k)] < 1 || w[static_cast<std::size_t>(k)] > 65536)
          input_error("{}: operation {} ({}): window value {} is out of range", name, i, kind, w[static_cast<std::size_t>(k)]);
      if (o.pad_top < 0 || o.pad_left < 0 || o.pad_top > 65536 || o.pad_left > 65536)
        input_error("{}: operation {} ({}): negative or huge padding", name, i, kind);
      o.depth_multiplier = jo.at("depth_multiplier").get<int>();
      o.weight_shape = jo.at("weight_shape").get<std::vector<int>>();
      o.weight_scales = jo.at("weight_scales").get<std::vector<float>>();
      const auto act = jo.at("act").get<std::vector<std::int32_t>>();
      if (act.size() != 2 || act[0] < -128 || act[1] > 127 || act[0] > act[1])
        input_error("{}: operation {} ({}): activation clamp is not inside [-128, 127]", name, i, kind);
      o.act_min = act[0], o.act_max = act[1];
      if (o.input >= m.tensors.size() || o.output >= m.tensors.size() || o.input2 >= m.tensors.size())
        input_error("{}: operation {} ({}): names a tensor that does not exist", name, i, kind);
      const auto sizes = jo.at("sizes").get<std::vector<std::size_t>>();
      if (sizes.size() != 5) input_error("{}: operation {} ({}): sizes needs 5 values", name, i, kind);
      take(o.weights, sizes[0], fmt::format("operation {} weights", i));
      take(o.bias, sizes[1], fmt::format("operation {} bias", i));
      take(o.multipliers, sizes[2], fmt::format("operation {} multipliers", i));
      take(o.shifts, sizes[3], fmt::format("operation {} shifts", i));
      take(o.sparse_weights, sizes[4], fmt::format("operation {} sparse weights", i));
      if (!o.sparse_weights.empty()) {
        // Only fully connected layers run sparse; the rows must decode to the weight shape.
        if (o.kind != OpKind::FullyConnected || !o.weights.empty() || o.weight_shape.size() != 2 ||
            o.weight_shape[0] < 1 || o.weight_shape[1] < 1)
          input_error("{}: operation {} ({}): sparse weights where they cannot be", name, i, kind);
        o.weights = decode_bitmask(o.sparse_weights, static_cast<std::size_t>(o.weight_shape[0]),
                                   static_cast<std::size_t>(o.weight_shape[1]));
      }
      const bool weighted =
          o.kind == OpKind::Conv2D || o.kind == OpKind::DepthwiseConv2D || o.kind == OpKind::FullyConnected;
      if (weighted) {
        std::size_t n = 1;
        for (int d : o.weight_shape) {
          if (d < 1) input_error("{}: operation {} ({}): weight shape has a dimension below 1", name, i, kind);
          n *= static_cast<std::size_t>(d);
        }
        const std::size_t rank = o.kind == OpKind::FullyConnected ? 2 : 4;
        if (o.weight_shape.size() != rank || n != o.weights.size())
          input_error("{}: operation {} ({}): {} weights do not fill the weight shape", name, i, kind, o.weights.size());
        const auto channels = static_cast<std::size_t>(o.kind == OpKind::DepthwiseConv2D ? o.weight_shape[3] : o.weight_shape[0]);
        if (o.bias.size() != channels || o.multipliers.size() != channels || o.shifts.size() != channels ||
            o.weight_scales.size() != channels)
          input_error("{}: operation {} ({}): bias, scales and multipliers need one value per each of the {} channels",
                      name, i, kind, channels);
        const auto& in_shape = m.tensors[o.input].shape;
        const bool fits = o.kind == OpKind::FullyConnected
                              ? nn::numel(in_shape) == static_cast<std::size_t>(o.weight_shape[1])
                          : o.kind == OpKind::Conv2D
                              ? in_shape.back() == o.weight_shape[3]
                              : static_cast<std::size_t>(in_shape.back()) * static_cast<std::size_t>(std::max(o.depth_multiplier, 0)) == channels;
        if (!fits)
          input_error("{}: operation {} ({}): the weights do not fit input tensor {} of shape {}", name, i, kind, o.input,
                      nn::to_string(in_shape));
        if (static_cast<std::size_t>(m.tensors[o.output].shape.back()) != channels)
          input_error("{}: operation {} ({}): tensor {} has {} channels, the weights {}", name, i, kind, o.output,
                      m.tensors[o.output].shape.back(), channels);
        for (std::size_t c = 0; c < channels; ++c) {
          const std::int32_t mul = o.multipliers[c], sh = o.shifts[c];
          if (mul != 0 && mul < (1 << 30))
            input_error("{}: operation {} ({}): channel {}: multiplier {} is outside [2^30, 2^31)", name, i, kind, c, mul);
          if (sh < -31 || sh > 30)
            input_error("{}: operation {} ({}): channel {}: shift {} is outside [-31, 30]", name, i, kind, c, sh);
          if (!std::isfinite(o.weight_scales[c]) || !(o.weight_scales[c] > 0))
            input_error("{}: operation {} ({}): channel {}: weight scale {} is not a positive finite number", name, i,
                        kind, c, o.weight_scales[c]);
        }
      } else if (!o.weights.empty() || !o.bias.empty() || !o.multipliers.empty() || !o.shifts.empty() ||
                 !o.sparse_weights.empty()) {
        input_error("{}: operation {} ({}) carries weights it has no use for", name, i, kind);
      }
      m.ops.push_back(std::move(o));
    }
  } catch (const json::exception& e) {
    input_error("{}: malformed int8 model header: {}", name, e.what());
  }
  if (pos != box.body.size()) input_error("{}: {} bytes left over after the last operation", name, box.body.size() - pos);
  // The input quantization is derived, the same way the optimize stage derived it.
  try {
    fold_input_normalization(m, f.normalization);
  } catch (const InputError& e) {
    input_error("{}: {}", name, e.what());
  }
  return f;
}

}  // namespace tinyml::optimize
