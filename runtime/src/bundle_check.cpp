// tinyml_rt_bundle_check: everything a bundle says is validated before anything runs, so
// that the interpreter (bundle_invoke.cpp) can trust it: the framing (magic, length,
// CRC-32, versions), every region against the bundle's bounds, every tensor against the
// arena, and each operation as its kernel needs it (shapes against tensors, weights and
// per-channel arrays against shapes, quantization parameters in range and consistent with
// the tensors). Integer code only: scales are checked on their IEEE-754 bits.
#include "bundle_format.hpp"
#include "rt_internal.hpp"
#include "tinyml_rt_bundle.h"

namespace {

namespace b = tinyml_rt::bundle;
using tinyml_rt::is_int8;

// IEEE-754 single precision by its bits: finite, and positive (not zero) and finite.
bool finite_bits(uint32_t bits) { return ((bits >> 23) & 0xFFu) != 0xFFu; }
bool positive_finite_bits(uint32_t bits) { return bits != 0 && (bits >> 31) == 0 && finite_bits(bits); }
float bits_to_float(uint32_t bits) {
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}
// QuantizeMultiplier's range: [2^30, 2^31), or 0 for a flushed multiplier.
bool valid_multiplier(int32_t m) { return m == 0 || m >= (int32_t{1} << 30); }

// The number of int32 parameters each kind uses (the rest must be 0).
uint32_t params_used(uint32_t kind) {
  switch (kind) {
    case b::kConv2D: return 10;
    case b::kDepthwiseConv2D: return 11;
    case b::kFullyConnected: return 6;
    case b::kMaxPool:
    case b::kAveragePool: return 8;
    case b::kMean:
    case b::kLogistic:
    case b::kTanh: return 4;
    case b::kAdd: return 12;
    default: return 0;
  }
}

class Checker {
 public:
  Checker(const uint8_t* data, uint32_t size, tinyml_rt_bundle* out)
      : d_(data), size_(size), body_end_(size - 4), out_(out) {}

  bool fail(const char* what, uint32_t index = 0) {
    out_->problem = what;
    out_->problem_index = index;
    return false;
  }
  uint32_t u32(uint32_t offset) const { return b::rd32(d_ + offset); }

  // [offset, offset + count * elem) lies inside [begin, end) and offset is a multiple of
  // align.
  static bool inside(uint32_t offset, uint32_t count, uint32_t elem, uint32_t align, uint32_t begin,
                     uint32_t end) {
    if (offset % align != 0 || offset < begin || offset > end) return false;
    return static_cast<uint64_t>(count) * elem <= end - offset;
  }
  bool in_body(uint32_t offset, uint32_t count, uint32_t elem, uint32_t align) const {
    return inside(offset, count, elem, align, b::kHeaderBytes, body_end_);
  }
  bool in_data(uint32_t offset, uint32_t count, uint32_t elem, uint32_t align) const {
    return inside(offset, count, elem, align, data_begin_, data_end_);
  }

  bool header();
  bool tables();
  bool op(uint32_t k);
  bool extras();

 private:
  // Tensor t's record.
  const uint8_t* tensor(uint32_t t) const { return d_ + tensors_offset_ + t * b::kTensorBytes; }
  bool used(uint32_t t) const {
    return t < num_tensors_ && b::rd32(tensor(t) + b::at(b::kTensorArenaOffset)) != b::kUnused;
  }
  uint32_t offset(uint32_t t) const { return b::rd32(tensor(t) + b::at(b::kTensorArenaOffset)); }
  uint32_t bytes(uint32_t t) const { return b::rd32(tensor(t) + b::at(b::kTensorSize)); }
  uint32_t scale_bits(uint32_t t) const { return b::rd32(tensor(t) + b::at(b::kTensorScale)); }
  int32_t zero_point(uint32_t t) const { return b::rdi32(tensor(t) + b::at(b::kTensorZeroPoint)); }
  bool same_quantization(uint32_t t, uint32_t u) const {
    return scale_bits(t) == scale_bits(u) && zero_point(t) == zero_point(u);
  }
  // Two arena ranges: disjoint, or the very same bytes.
  bool disjoint(uint32_t off_a, uint32_t len_a, uint32_t off_b, uint32_t len_b) const {
    return static_cast<uint64_t>(off_a) + len_a <= off_b || static_cast<uint64_t>(off_b) + len_b <= off_a;
  }
  bool shape_is(const tinyml_rt_shape& s, uint32_t count) const;
  static bool shape_zero(const tinyml_rt_shape& s);
  bool weights(uint32_t k, const b::Op& o);
  bool kind_params(uint32_t k, const b::Op& o, const b::Params& p);

  const uint8_t* d_;
  uint32_t size_, body_end_;
  tinyml_rt_bundle* out_;
  uint32_t arena_ = 0, num_tensors_ = 0, tensors_offset_ = 0, data_begin_ = 0, data_end_ = 0;
};

bool Checker::header() {
  for (uint32_t i = 0; i < 8; ++i)
    if (d_[i] != b::kMagic[i]) return fail("not a bundle (magic)");
  if (u32(b::at(b::kTotalBytes)) != size_) return fail("the length is not the bundle's (cut or extended)");
  if (tinyml_rt_crc32(0, d_, body_end_) != u32(body_end_)) return fail("CRC-32 mismatch");
  return true;
}

bool Checker::tables() {
  if (u32(b::at(b::kHeaderSize)) != b::kHeaderBytes) return fail("header size");
  for (uint32_t pos = b::at(b::kReservedBegin); pos < b::kHeaderBytes; pos += 4)
    if (u32(pos) != 0) return fail("reserved header bytes are not zero", pos);
  arena_ = u32(b::at(b::kArenaBytes));
  num_tensors_ = u32(b::at(b::kNumTensors));
  tensors_offset_ = u32(b::at(b::kTensorsOffset));
  if (num_tensors_ < 1 || num_tensors_ > 65535 || !in_body(tensors_offset_, num_tensors_, b::kTensorBytes, 4))
    return fail("tensor table out of bounds");
  for (uint32_t t = 0; t < num_tensors_; ++t) {
    const uint32_t n = bytes(t), at = offset(t);
    if (n < 1 || n > static_cast<uint32_t>(tinyml_rt::kInt32Max)) return fail("tensor: size", t);
    if (at != b::kUnused && !inside(at, n, 1, 1, 0, arena_)) return fail("tensor: runs past the arena", t);
    if (!positive_finite_bits(scale_bits(t))) return fail("tensor: scale is not positive and finite", t);
    if (!is_int8(zero_point(t))) return fail("tensor: zero point outside int8", t);
  }
  const uint32_t in = u32(b::at(b::kInputTensor)), out = u32(b::at(b::kOutputTensor));
  if (!used(in) || !used(out)) return fail("the model input or output is not a tensor in the arena");
  data_begin_ = u32(b::at(b::kDataOffset));
  const uint32_t data_bytes = u32(b::at(b::kDataBytes));
  if (!in_body(data_begin_, data_bytes, 1, 4)) return fail("data area out of bounds");
  data_end_ = data_begin_ + data_bytes;
  out_->arena_bytes = arena_;
  out_->num_tensors = num_tensors_;
  out_->input_bytes = bytes(in);
  out_->output_bytes = bytes(out);
  out_->input_scale = bits_to_float(scale_bits(in));
  out_->input_zero_point = zero_point(in);
  out_->output_scale = bits_to_float(scale_bits(out));
  out_->output_zero_point = zero_point(out);
  return true;
}

bool Checker::shape_is(const tinyml_rt_shape& s, uint32_t count) const {
  int32_t n = 0;
  if (!tinyml_rt::shape_count(&s, &n) || static_cast<uint32_t>(n) != count) return false;
  for (int32_t d = s.rank; d < TINYML_RT_MAX_RANK; ++d)
    if (s.dims[d] != 0) return false;
  return true;
}

bool Checker::shape_zero(const tinyml_rt_shape& s) {
  if (s.rank != 0) return false;
  for (int32_t d = 0; d < TINYML_RT_MAX_RANK; ++d)
    if (s.dims[d] != 0) return false;
  return true;
}

// The weights, biases, multipliers and shifts of a weight layer.
bool Checker::weights(uint32_t k, const b::Op& o) {
  const tinyml_rt_shape& f = o.filter;
  int32_t n = 0;
  if (!tinyml_rt::shape_count(&f, &n) || !shape_is(f, static_cast<uint32_t>(n)))
    return fail("operation: weight shape", k);
  const bool fc = o.kind == b::kFullyConnected;
  if (f.rank != (fc ? 2 : 4)) return fail("operation: weight shape rank", k);
  if (fc && f.dims[1] > tinyml_rt::kMaxAccumulationTerms)
    return fail("operation: fully connected depth above the runtime's limit", k);
  const uint32_t channels = static_cast<uint32_t>(o.kind == b::kDepthwiseConv2D ? f.dims[3] : f.dims[0]);
  if (o.channels != channels) return fail("operation: channel count does not match the weights", k);
  if (o.encoding != b::kDense && !(fc && o.encoding == b::kBitmaskRows))
    return fail("operation: unknown weight encoding", k);
  if (!in_data(o.weights_offset, o.weights_bytes, 1, 1)) return fail("operation: weights out of bounds", k);
  if (o.encoding == b::kDense && o.weights_bytes != static_cast<uint32_t>(n))
    return fail("operation: weight bytes do not fill the weight shape", k);
  if (o.encoding == b::kBitmaskRows &&
      !tinyml_rt::sparse_rows_fit(d_ + o.weights_offset, o.weights_bytes, f.dims[0], f.dims[1]))
    return fail("operation: sparse rows do not match the weight shape", k);
  const uint32_t requant = fc && o.p[2] == 0 ? 1 : channels;  // per-tensor fully connected: one
  if (!in_data(o.bias_offset, channels, 4, 4) || !in_data(o.multipliers_offset, requant, 4, 4) ||
      !in_data(o.shifts_offset, requant, 4, 4))
    return fail("operation: bias, multipliers or shifts out of bounds", k);
  for (uint32_t c = 0; c < requant; ++c) {
    if (!valid_multiplier(b::rdi32(d_ + o.multipliers_offset + 4 * c)))
      return fail("operation: multiplier outside [2^30, 2^31)", k);
    if (!tinyml_rt::valid_shift(b::rdi32(d_ + o.shifts_offset + 4 * c)))
      return fail("operation: shift outside [-31, 30]", k);
  }
  return true;
}

// The parameters and shapes as the operation's kernel needs them.
bool Checker::kind_params(uint32_t k, const b::Op& o, const b::Params& p) {
  const tinyml_rt_shape &in = o.in, &out = o.out, &f = o.filter;
  const int32_t* q = o.p;
  const int32_t zp_in = zero_point(o.input), zp_out = zero_point(o.output);
  switch (o.kind) {
    case b::kConv2D:
    case b::kDepthwiseConv2D: {
      const bool conv = o.kind == b::kConv2D;
      if (!tinyml_rt::is_rank4(&in) || !tinyml_rt::is_rank4(&out) || in.dims[0] != out.dims[0] ||
          out.dims[3] != static_cast<int32_t>(o.channels))
        return fail("operation: convolution shapes", k);
      if (conv ? in.dims[3] != f.dims[3]
               : (f.dims[0] != 1 || q[10] < 1 || static_cast<int64_t>(in.dims[3]) * q[10] != f.dims[3]))
        return fail("operation: input channels do not match the weights", k);
      const int64_t terms = static_cast<int64_t>(f.dims[1]) * f.dims[2] * (conv ? f.dims[3] : 1);
      const tinyml_rt_status st = conv ? tinyml_rt::check_conv_params(p.conv, terms, out.dims[3])
                                       : tinyml_rt::check_conv_params(p.depthwise, terms, out.dims[3]);
      if (st != TINYML_RT_OK) return fail("operation: convolution parameters", k);
      if (q[6] != zp_in || q[7] != zp_out) return fail("operation: zero points differ from the tensors'", k);
      return true;
    }
    case b::kFullyConnected: {
      int32_t batches = 0;
      if (tinyml_rt::check_fully_connected(&p.fc, &in, &f, &out, &batches) != TINYML_RT_OK)
        return fail("operation: fully connected shapes or parameters", k);
      if (o.encoding == b::kBitmaskRows && q[1] != 0) return fail("operation: sparse weights with a zero point", k);
      if (q[0] != zp_in || q[3] != zp_out) return fail("operation: zero points differ from the tensors'", k);
      return true;
    }
    case b::kMaxPool:
    case b::kAveragePool:
      if (tinyml_rt::check_pool(&p.pool, &in, &out) != TINYML_RT_OK) return fail("operation: pooling", k);
      if (!same_quantization(o.input, o.output)) return fail("operation: pooling changes the quantization", k);
      return true;
    case b::kMean: {
      int32_t n = 0;
      if (!tinyml_rt::is_rank4(&in) || !tinyml_rt::shape_count(&out, &n) || n != in.dims[0] * in.dims[3] ||
          out.dims[out.rank - 1] != in.dims[3] || static_cast<int64_t>(in.dims[1]) * in.dims[2] > (int64_t{1} << 23))
        return fail("operation: mean shapes", k);
      if (q[0] != zp_in || q[1] != zp_out || !valid_multiplier(q[2]) || !tinyml_rt::valid_shift(q[3]))
        return fail("operation: mean parameters", k);
      return true;
    }
    case b::kAdd: {
      const tinyml_rt_shape& in2 = o.in2;
      if (in.rank != out.rank || in2.rank != out.rank) return fail("operation: add ranks", k);
      for (int32_t d = 0; d < out.rank; ++d)
        if ((in.dims[d] != out.dims[d] && in.dims[d] != 1) || (in2.dims[d] != out.dims[d] && in2.dims[d] != 1))
          return fail("operation: add shapes do not broadcast", k);
      const bool shifts = q[5] <= 0 && q[5] >= -31 && q[7] <= 0 && q[7] >= -31 && q[9] <= 0 && q[9] >= -31;
      if (q[0] != zp_in || q[1] != zero_point(o.input2) || q[2] != zp_out || q[3] < 0 || q[3] > 22 || !shifts ||
          !valid_multiplier(q[4]) || !valid_multiplier(q[6]) || !valid_multiplier(q[8]) ||
          !tinyml_rt::valid_act(q[10], q[11]))
        return fail("operation: add parameters", k);
      return true;
    }
    case b::kReshape:
      if (bytes(o.input) != bytes(o.output)) return fail("operation: reshape changes the size", k);
      if (!same_quantization(o.input, o.output)) return fail("operation: reshape changes the quantization", k);
      return true;
    case b::kLogistic:
    case b::kTanh: {
      // The kernels' fixed output quantization: 1/256 and -128, or 1/128 and 0.
      const bool logistic = o.kind == b::kLogistic;
      if (!tinyml_rt::same_shape(&in, &out)) return fail("operation: activation shapes", k);
      if (scale_bits(o.output) != (logistic ? 0x3B800000u : 0x3C000000u) || zp_out != (logistic ? -128 : 0))
        return fail("operation: activation output quantization", k);
      if (q[0] != zp_in || q[1] < 0 || !valid_multiplier(q[2]) || !tinyml_rt::valid_shift(q[3]))
        return fail("operation: activation parameters", k);
      return true;
    }
    default:
      return fail("operation: unknown kind", k);
  }
}

bool Checker::op(uint32_t k) {
  const b::Op o = b::read_op(d_, u32(b::at(b::kOpsOffset)), k);
  if (o.kind < b::kConv2D || o.kind > b::kTanh) return fail("operation: unknown kind", k);
  const bool add = o.kind == b::kAdd;
  const bool weighted = o.kind == b::kConv2D || o.kind == b::kDepthwiseConv2D || o.kind == b::kFullyConnected;
  if (!used(o.input) || !used(o.output) || (add ? !used(o.input2) : o.input2 != b::kUnused))
    return fail("operation: names a tensor that is not in the arena", k);
  if (!shape_is(o.in, bytes(o.input)) || !shape_is(o.out, bytes(o.output)) ||
      (add ? !shape_is(o.in2, bytes(o.input2)) : !shape_zero(o.in2)))
    return fail("operation: a shape does not match its tensor", k);
  for (uint32_t i = params_used(o.kind); i < b::kNumParams; ++i)
    if (o.p[i] != 0) return fail("operation: unused parameters are not zero", k);
  if (weighted) {
    if (!weights(k, o)) return false;
  } else if (!shape_zero(o.filter) || o.weights_offset || o.weights_bytes || o.encoding || o.channels ||
             o.bias_offset || o.multipliers_offset || o.shifts_offset) {
    return fail("operation: weights where the kind has none", k);
  }
  // The output is written while the inputs are read: disjoint bytes, except the same
  // bytes for a reshape and for the element-wise kernels, which read element i before
  // writing it.
  const bool in_place_ok = o.kind == b::kReshape || add || o.kind == b::kLogistic || o.kind == b::kTanh;
  const uint32_t out_at = offset(o.output), out_n = bytes(o.output);
  const uint32_t inputs[2] = {o.input, o.input2};
  for (uint32_t t : inputs) {
    if (t == b::kUnused) continue;
    const bool same = offset(t) == out_at && bytes(t) == out_n;
    if (!disjoint(offset(t), bytes(t), out_at, out_n) && !(same && in_place_ok))
      return fail("operation: output overlaps an input", k);
  }
  const b::Params p = b::make_params(d_, o);
  if (!kind_params(k, o, p)) return false;
  if (o.scratch_bytes != b::scratch_size(o, p)) return fail("operation: scratch size is not the kernel's", k);
  if (o.scratch_bytes > 0) {
    if (!inside(o.scratch_offset, o.scratch_bytes, 1, 4, 0, arena_)) return fail("operation: scratch out of the arena", k);
    const uint32_t tensors[3] = {o.input, o.input2, o.output};
    for (uint32_t t : tensors)
      if (t != b::kUnused && !disjoint(offset(t), bytes(t), o.scratch_offset, o.scratch_bytes))
        return fail("operation: scratch overlaps a tensor of the operation", k);
  } else if (o.scratch_offset != 0) {
    return fail("operation: scratch offset without scratch", k);
  }
  return true;
}

bool Checker::extras() {
  // The input quantization: per channel an offset, then per channel a multiplier.
  const uint32_t channels = u32(b::at(b::kInputChannels)), quant = u32(b::at(b::kInputQuantOffset));
  if (channels < 1 || channels > out_->input_bytes || out_->input_bytes % channels != 0)
    return fail("input quantization channels do not divide the input");
  if (!in_body(quant, channels, 8, 4)) return fail("input quantization out of bounds");
  for (uint32_t c = 0; c < channels; ++c) {
    if (!finite_bits(u32(quant + 4 * c))) return fail("input quantization: offset is not finite", c);
    if (!positive_finite_bits(u32(quant + 4 * (channels + c))))
      return fail("input quantization: multiplier is not positive and finite", c);
  }
  const float* offsets = static_cast<const float*>(static_cast<const void*>(d_ + quant));
  out_->input_quantization = {offsets, offsets + channels, static_cast<int32_t>(channels), out_->input_zero_point};
  const uint32_t thresholds = u32(b::at(b::kNumThresholds)), th = u32(b::at(b::kThresholdsOffset));
  if (thresholds == 0 ? th != 0 : !in_body(th, thresholds, 4, 4)) return fail("thresholds out of bounds");
  for (uint32_t i = 0; i < thresholds; ++i)
    if (!finite_bits(u32(th + 4 * i))) return fail("threshold is not finite", i);
  out_->num_thresholds = thresholds;
  if (thresholds) out_->thresholds = static_cast<const float*>(static_cast<const void*>(d_ + th));
  // Class names: exactly num_classes NUL-terminated strings.
  const uint32_t classes = u32(b::at(b::kNumClasses)), names = u32(b::at(b::kClassesOffset)), names_bytes = u32(b::at(b::kClassesBytes));
  if (classes == 0 ? (names != 0 || names_bytes != 0) : !in_body(names, names_bytes, 1, 1))
    return fail("class names out of bounds");
  uint32_t nuls = 0;
  for (uint32_t i = 0; i < names_bytes; ++i) nuls += d_[names + i] == 0;
  if (nuls != classes || (names_bytes > 0 && d_[names + names_bytes - 1] != 0))
    return fail("class names are not num_classes NUL-terminated strings");
  out_->num_classes = classes;
  if (classes) out_->class_names = static_cast<const char*>(static_cast<const void*>(d_ + names));
  // The self-test: one input and its expected output.
  const uint32_t ti = u32(b::at(b::kSelfTestInputOffset)), to = u32(b::at(b::kSelfTestOutputOffset));
  if (!in_body(ti, out_->input_bytes, 1, 1) || !in_body(to, out_->output_bytes, 1, 1))
    return fail("self-test out of bounds");
  out_->self_test_input = static_cast<const int8_t*>(static_cast<const void*>(d_ + ti));
  out_->self_test_output = static_cast<const int8_t*>(static_cast<const void*>(d_ + to));
  return true;
}

}  // namespace

extern "C" {

tinyml_rt_status tinyml_rt_bundle_check(const void* data, size_t size, tinyml_rt_bundle* bundle) {
  if (bundle == nullptr) return TINYML_RT_NULL_POINTER;
  *bundle = tinyml_rt_bundle{};
  if (data == nullptr) return TINYML_RT_NULL_POINTER;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  bundle->problem = "the runtime reads bundles in place on little-endian machines only";
  return TINYML_RT_UNSUPPORTED;
#endif
  if ((reinterpret_cast<uintptr_t>(data) & 3u) != 0) {
    bundle->problem = "the bundle is not 4-byte aligned";
    return TINYML_RT_BAD_BUNDLE;
  }
  if (size < b::kHeaderBytes + 4 || size > 0xFFFFFFF0u) {
    bundle->problem = "the length is not a bundle's";
    return TINYML_RT_BAD_BUNDLE;
  }
  const uint8_t* d = static_cast<const uint8_t*>(data);
  Checker c(d, static_cast<uint32_t>(size), bundle);
  if (!c.header()) return TINYML_RT_BAD_BUNDLE;
  bundle->format_version = c.u32(b::at(b::kFormatVersion));
  bundle->runtime_compat = c.u32(b::at(b::kRuntimeCompat));
  bundle->model_version = c.u32(b::at(b::kModelVersion));
  if (bundle->format_version != TINYML_RT_BUNDLE_FORMAT_VERSION) {
    bundle->problem = "another bundle format version";
    return TINYML_RT_INCOMPATIBLE;
  }
  if (bundle->runtime_compat < 1 || bundle->runtime_compat > TINYML_RT_COMPAT_VERSION) {
    bundle->problem = "the bundle needs a newer runtime";
    return TINYML_RT_INCOMPATIBLE;
  }
  if (!c.tables()) return TINYML_RT_BAD_BUNDLE;
  const uint32_t num_ops = c.u32(b::at(b::kNumOps));
  if (num_ops < 1 || num_ops > 65535 || !c.in_body(c.u32(b::at(b::kOpsOffset)), num_ops, b::kOpBytes, 4)) {
    c.fail("operation table out of bounds");
    return TINYML_RT_BAD_BUNDLE;
  }
  for (uint32_t k = 0; k < num_ops; ++k)
    if (!c.op(k)) return TINYML_RT_BAD_BUNDLE;
  if (!c.extras()) return TINYML_RT_BAD_BUNDLE;
  bundle->data = d;
  bundle->size = static_cast<uint32_t>(size);
  bundle->num_ops = num_ops;
  return TINYML_RT_OK;
}

const char* tinyml_rt_bundle_class_name(const tinyml_rt_bundle* bundle, uint32_t k) {
  if (bundle == nullptr || bundle->class_names == nullptr || k >= bundle->num_classes) return nullptr;
  const char* name = bundle->class_names;
  for (uint32_t i = 0; i < k; ++i) {
    while (*name != 0) ++name;
    ++name;
  }
  return name;
}

}  // extern "C"
