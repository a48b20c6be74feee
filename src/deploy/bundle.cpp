#include "tinyml/deploy/bundle.hpp"

#include <bit>
#include <cstring>
#include <limits>

#include "bundle_format.hpp"  // the runtime's layout constants (runtime/src)
#include "tinyml/error.hpp"
#include "tinyml/optimize/int8_ops.hpp"
#include "tinyml_rt_bundle.h"

namespace tinyml::deploy {

namespace b = tinyml_rt::bundle;
using optimize::Int8Model;
using optimize::Int8Op;
using optimize::OpKind;

namespace {

static_assert(kBundleFormatVersion == TINYML_RT_BUNDLE_FORMAT_VERSION);

// Every operation kind of format 1 runs on a runtime of compatibility version 1. A kind or
// encoding added later raises this for the bundles that use it.
constexpr std::uint32_t kRuntimeNeeded = 1;

std::uint32_t u32(std::size_t v, const char* what) {
  if (v > std::numeric_limits<std::uint32_t>::max() - 1) failure("bundle: {} ({}) does not fit in 32 bits", what, v);
  return static_cast<std::uint32_t>(v);
}

// Little-endian output with 4-byte alignment on request.
class Writer {
 public:
  std::size_t size() const { return s_.size(); }
  void put32(std::uint32_t v) {
    const char b4[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                        static_cast<char>(v >> 24)};
    s_.append(b4, 4);
  }
  void put_i32(std::int32_t v) { put32(static_cast<std::uint32_t>(v)); }
  void put_f32(float v) { put32(std::bit_cast<std::uint32_t>(v)); }
  void put_bytes(const void* p, std::size_t n) { s_.append(static_cast<const char*>(p), n); }
  void align4() { s_.append((4 - s_.size() % 4) % 4, '\0'); }
  void set32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s_[at + static_cast<std::size_t>(i)] = static_cast<char>(v >> (8 * i));
  }
  std::string& bytes() { return s_; }

 private:
  std::string s_;
};

std::uint32_t kind_code(OpKind k) {
  switch (k) {
    case OpKind::Conv2D: return b::kConv2D;
    case OpKind::DepthwiseConv2D: return b::kDepthwiseConv2D;
    case OpKind::FullyConnected: return b::kFullyConnected;
    case OpKind::MaxPool: return b::kMaxPool;
    case OpKind::AveragePool: return b::kAveragePool;
    case OpKind::Mean: return b::kMean;
    case OpKind::Add: return b::kAdd;
    case OpKind::Reshape: return b::kReshape;
    case OpKind::Logistic: return b::kLogistic;
    case OpKind::Tanh: return b::kTanh;
  }
  return 0;
}

// The record's int32 parameters, in the order docs/bundle.md lists per kind.
std::vector<std::int32_t> op_params(const optimize::RtOp& r) {
  auto window = [](const tinyml_rt_window& w) {
    return std::vector<std::int32_t>{w.stride_h, w.stride_w, w.pad_top, w.pad_left};
  };
  std::vector<std::int32_t> p;
  switch (r.kind) {
    case OpKind::Conv2D:
    case OpKind::DepthwiseConv2D: {
      const bool conv = r.kind == OpKind::Conv2D;
      const tinyml_rt_window& w = conv ? r.conv.window : r.depthwise.window;
      const tinyml_rt_requant& q = conv ? r.conv.out : r.depthwise.out;
      p = window(w);
      p.insert(p.end(), {conv ? r.conv.dilation_h : r.depthwise.dilation_h,
                         conv ? r.conv.dilation_w : r.depthwise.dilation_w,
                         conv ? r.conv.input_zero_point : r.depthwise.input_zero_point, q.output_zero_point,
                         q.act_min, q.act_max});
      if (!conv) p.push_back(r.depthwise.depth_multiplier);
      break;
    }
    case OpKind::FullyConnected:
      p = {r.fc.input_zero_point, r.fc.filter_zero_point, r.fc.per_channel, r.fc.out.output_zero_point,
           r.fc.out.act_min, r.fc.out.act_max};
      break;
    case OpKind::MaxPool:
    case OpKind::AveragePool:
      p = window(r.pool.window);
      p.insert(p.end(), {r.pool.filter_h, r.pool.filter_w, r.pool.act_min, r.pool.act_max});
      break;
    case OpKind::Mean: p = {r.mean.input_zero_point, r.mean.output_zero_point, r.mean.multiplier, r.mean.shift}; break;
    case OpKind::Add: {
      const tinyml_rt_add_params& a = r.add;
      p = {a.input1_zero_point, a.input2_zero_point, a.output_zero_point, a.left_shift,
           a.input1_multiplier, a.input1_shift,      a.input2_multiplier, a.input2_shift,
           a.output_multiplier, a.output_shift,      a.act_min,           a.act_max};
      break;
    }
    case OpKind::Reshape: break;
    case OpKind::Logistic:
    case OpKind::Tanh:
      p = {r.q4.input_zero_point, r.q4.input_range_radius, r.q4.input_multiplier, r.q4.input_left_shift};
      break;
  }
  p.resize(b::kNumParams, 0);
  return p;
}

void put_shape(Writer& w, const tinyml_rt_shape& s) {
  w.put_i32(s.rank);
  for (int d = 0; d < TINYML_RT_MAX_RANK; ++d) w.put_i32(d < s.rank ? s.dims[d] : 0);
}

// Where one weight layer's arrays sit in the data area (offsets from the bundle start).
struct Arrays {
  std::uint32_t weights = 0, weights_bytes = 0, bias = 0, multipliers = 0, shifts = 0;
};

// Appends the weight layers' arrays to `data` (which starts at `base` in the bundle), each
// int32 array 4-byte aligned.
std::vector<Arrays> lay_out_data(const Int8Model& m, std::uint32_t base, Writer& data) {
  std::vector<Arrays> a(m.ops.size());
  for (std::size_t k = 0; k < m.ops.size(); ++k) {
    const Int8Op& op = m.ops[k];
    if (op.bias.empty()) continue;  // no weights
    const bool sparse = !op.sparse_weights.empty();
    auto at = [&] { return u32(base + data.size(), "a data offset"); };
    a[k].weights = at();
    a[k].weights_bytes = u32(op.stored_weight_bytes(), "a weight size");
    if (sparse)
      data.put_bytes(op.sparse_weights.data(), op.sparse_weights.size());
    else
      data.put_bytes(op.weights.data(), op.weights.size());
    data.align4();
    auto put = [&](const std::vector<std::int32_t>& v) {
      const std::uint32_t where = at();
      for (std::int32_t x : v) data.put_i32(x);
      return where;
    };
    a[k].bias = put(op.bias);
    a[k].multipliers = put(op.multipliers);
    a[k].shifts = put(op.shifts);
  }
  return a;
}

// The self-test: the int8 input and the output run_int8 gives for it.
std::pair<std::vector<std::int8_t>, std::vector<std::int8_t>> self_test(const Int8Model& m, const BundleOptions& o) {
  const std::size_t n = nn::numel(m.tensors[m.input].shape);
  std::vector<std::int8_t> x;
  if (o.self_test_input.empty()) {
    // Every int8 value in turn, from an odd start: no two neighbours alike.
    x.resize(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<std::int8_t>(static_cast<int>((i * 37 + 11) % 256) - 128);
  } else {
    if (o.self_test_input.size() != n)
      failure("bundle: the self-test input has {} values, the model input {}", o.self_test_input.size(), n);
    x = optimize::quantize_input(m, o.self_test_input.data());
  }
  return {x, optimize::run_int8_quantized(m, x.data())};
}

// The runtime's own verdict on the bundle, and its self-test run by the interpreter.
void verify(const std::string& bytes, std::uint32_t arena_bytes) {
  std::vector<std::uint32_t> aligned((bytes.size() + 3) / 4);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  tinyml_rt_bundle bd;
  tinyml_rt_status st = tinyml_rt_bundle_check(aligned.data(), bytes.size(), &bd);
  if (st != TINYML_RT_OK)
    failure("bundle: the runtime refuses it (status {}): {} (index {})", static_cast<int>(st),
            bd.problem ? bd.problem : "?", bd.problem_index);
  std::vector<std::uint32_t> arena(arena_bytes / 4 + 1);
  st = tinyml_rt_bundle_self_test(&bd, arena.data(), arena_bytes);
  if (st != TINYML_RT_OK) failure("bundle: the runtime's interpreter fails the self-test (status {})", static_cast<int>(st));
}

}  // namespace

std::string make_bundle(const optimize::Int8File& f, const MemoryPlan& p, const BundleOptions& o) {
  const Int8Model& m = f.model;
  check_plan(m, p);
  if (m.input_offset.empty() || m.input_offset.size() != m.input_mul.size())
    failure("bundle: the model has no input quantization (fold_input_normalization)");
  const std::size_t nt = m.tensors.size(), nk = m.ops.size();
  const std::uint32_t tensors_at = b::kHeaderBytes;
  const std::uint32_t ops_at = u32(tensors_at + nt * b::kTensorBytes, "the tensor table");
  const std::uint32_t data_at = u32(ops_at + nk * b::kOpBytes, "the operation table");
  Writer data;
  const std::vector<Arrays> arrays = lay_out_data(m, data_at, data);

  Writer w;
  w.bytes().assign(b::kHeaderBytes, '\0');
  for (std::size_t t = 0; t < nt; ++t) {
    const optimize::Int8Tensor& tensor = m.tensors[t];
    w.put32(p.tensor_offset[t] == MemoryPlan::kUnused ? b::kUnused : u32(p.tensor_offset[t], "a tensor offset"));
    w.put32(u32(nn::numel(tensor.shape), "a tensor size"));
    w.put_f32(tensor.q.scale);
    w.put_i32(tensor.q.zero_point);
  }
  for (std::size_t k = 0; k < nk; ++k) {
    const Int8Op& op = m.ops[k];
    const optimize::RtOp r = optimize::prepare_op(m, k);
    const bool add = op.kind == OpKind::Add, weighted = !op.bias.empty();
    w.put32(kind_code(op.kind));
    w.put32(u32(op.input, "a tensor index"));
    w.put32(add ? u32(op.input2, "a tensor index") : b::kUnused);
    w.put32(u32(op.output, "a tensor index"));
    w.put32(u32(p.scratch_bytes[k] ? p.scratch_offset[k] : 0, "a scratch offset"));
    w.put32(u32(p.scratch_bytes[k], "a scratch size"));
    put_shape(w, r.input);
    put_shape(w, add ? r.input2 : tinyml_rt_shape{});
    put_shape(w, r.output);
    put_shape(w, weighted ? r.filter : tinyml_rt_shape{});
    w.put32(arrays[k].weights);
    w.put32(arrays[k].weights_bytes);
    w.put32(weighted && !op.sparse_weights.empty() ? b::kBitmaskRows : b::kDense);
    w.put32(u32(op.bias.size(), "a channel count"));
    w.put32(arrays[k].bias);
    w.put32(arrays[k].multipliers);
    w.put32(arrays[k].shifts);
    for (std::int32_t v : op_params(r)) w.put_i32(v);
  }
  if (w.size() != data_at) failure("bundle: internal layout error");
  w.put_bytes(data.bytes().data(), data.size());
  const std::uint32_t data_bytes = u32(data.size(), "the data area");

  const std::uint32_t quant_at = u32(w.size(), "an offset");
  for (float v : m.input_offset) w.put_f32(v);
  for (float v : m.input_mul) w.put_f32(v);
  const std::uint32_t thresholds_at = o.thresholds.empty() ? 0 : u32(w.size(), "an offset");
  for (float v : o.thresholds) w.put_f32(v);
  const auto [test_in, test_out] = self_test(m, o);
  const std::uint32_t test_in_at = u32(w.size(), "an offset");
  w.put_bytes(test_in.data(), test_in.size());
  w.align4();
  const std::uint32_t test_out_at = u32(w.size(), "an offset");
  w.put_bytes(test_out.data(), test_out.size());
  w.align4();
  const std::uint32_t classes_at = f.classes.empty() ? 0 : u32(w.size(), "an offset");
  std::size_t names = 0;
  for (const std::string& c : f.classes) {
    if (c.find('\0') != std::string::npos) failure("bundle: class name with a NUL byte");
    w.put_bytes(c.c_str(), c.size() + 1);
    names += c.size() + 1;
  }
  const std::uint32_t classes_bytes = u32(names, "the class names");
  w.align4();
  const std::uint32_t total = u32(w.size() + 4, "the bundle");

  std::memcpy(w.bytes().data(), b::kMagic, sizeof b::kMagic);
  const std::pair<std::uint32_t, std::uint32_t> header[] = {
      {b::at(b::kFormatVersion), kBundleFormatVersion},
      {b::at(b::kRuntimeCompat), kRuntimeNeeded},
      {b::at(b::kTotalBytes), total},
      {b::at(b::kHeaderSize), b::kHeaderBytes},
      {b::at(b::kModelVersion), o.model_version},
      {b::at(b::kArenaBytes), u32(p.arena_bytes, "the arena")},
      {b::at(b::kNumTensors), u32(nt, "the tensor count")},
      {b::at(b::kTensorsOffset), tensors_at},
      {b::at(b::kNumOps), u32(nk, "the operation count")},
      {b::at(b::kOpsOffset), ops_at},
      {b::at(b::kInputTensor), u32(m.input, "the input tensor")},
      {b::at(b::kOutputTensor), u32(m.output, "the output tensor")},
      {b::at(b::kInputChannels), u32(m.input_offset.size(), "the input channels")},
      {b::at(b::kInputQuantOffset), quant_at},
      {b::at(b::kNumThresholds), u32(o.thresholds.size(), "the threshold count")},
      {b::at(b::kThresholdsOffset), thresholds_at},
      {b::at(b::kNumClasses), u32(f.classes.size(), "the class count")},
      {b::at(b::kClassesOffset), classes_at},
      {b::at(b::kClassesBytes), classes_bytes},
      {b::at(b::kSelfTestInputOffset), test_in_at},
      {b::at(b::kSelfTestOutputOffset), test_out_at},
      {b::at(b::kDataOffset), data_at},
      {b::at(b::kDataBytes), data_bytes},
  };
  for (const auto& [at, v] : header) w.set32(at, v);
  w.put32(tinyml_rt_crc32(0, w.bytes().data(), w.size()));
  verify(w.bytes(), u32(p.arena_bytes, "the arena"));
  return std::move(w.bytes());
}

}  // namespace tinyml::deploy
