// Reshape, Pad and Concatenation (copying and requantizing).
#include "rt_test_util.hpp"

namespace {

using rt_test::count;
using rt_test::Rng;
using rt_test::shape;

TEST(RuntimeReshape, CopiesAndAllowsInPlace) {
  const std::vector<int8_t> in = {1, 2, 3, 4, 5, 6};
  const auto is = shape({1, 2, 3, 1}), os = shape({6}), bad = shape({5});
  std::vector<int8_t> out(6);
  ASSERT_EQ(tinyml_rt_reshape_s8_scratch_size(&is, &os), 0u);
  ASSERT_EQ(tinyml_rt_reshape_s8(&is, in.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, in);
  ASSERT_EQ(tinyml_rt_reshape_s8(&is, out.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, in);
  EXPECT_EQ(tinyml_rt_reshape_s8(&is, in.data(), &bad, out.data()), TINYML_RT_BAD_SHAPE);
  EXPECT_EQ(tinyml_rt_reshape_s8(&is, out.data(), &os, out.data() + 1), TINYML_RT_BAD_PARAM);
}

TEST(RuntimePad, HandWorked) {
  // [2, 2] padded one row before, one column after, with -5:
  //   -5 -5 -5 / 1 2 -5 / 3 4 -5
  const std::vector<int8_t> in = {1, 2, 3, 4};
  tinyml_rt_pad_params p{{1, 0}, {0, 1}, -5};
  const auto is = shape({2, 2}), os = shape({3, 3});
  std::vector<int8_t> out(9);
  ASSERT_EQ(tinyml_rt_pad_s8(&p, &is, in.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{-5, -5, -5, 1, 2, -5, 3, 4, -5}));
  const auto wrong = shape({3, 4});
  EXPECT_EQ(tinyml_rt_pad_s8(&p, &is, in.data(), &wrong, out.data()), TINYML_RT_BAD_SHAPE);
}

TEST(RuntimePad, RandomShapesMatchIndexReference) {
  Rng rng(12);
  for (int iter = 0; iter < 100; ++iter) {
    const int32_t rank = rng.uniform(1, 4);
    tinyml_rt_pad_params p{};
    p.pad_value = rng.uniform(-128, 127);
    tinyml_rt_shape is{rank, {1, 1, 1, 1}}, os = is;
    for (int32_t d = 0; d < rank; ++d) {
      is.dims[d] = rng.uniform(1, 4);
      p.before[d] = rng.uniform(0, 2);
      p.after[d] = rng.uniform(0, 2);
      os.dims[d] = p.before[d] + is.dims[d] + p.after[d];
    }
    const auto in = rng.int8s(count(is));
    std::vector<int8_t> out(count(os));
    ASSERT_EQ(tinyml_rt_pad_s8_scratch_size(&p, &is, &os), 0u);
    ASSERT_EQ(tinyml_rt_pad_s8(&p, &is, in.data(), &os, out.data()), TINYML_RT_OK);
    // Walk the output's index space; inside positions map back to the input.
    for (size_t o = 0; o < out.size(); ++o) {
      size_t rest = o, in_index = 0, in_stride = 1;
      bool inside = true;
      for (int32_t d = rank - 1; d >= 0; --d) {
        const auto od = static_cast<int32_t>(rest % static_cast<size_t>(os.dims[d]));
        rest /= static_cast<size_t>(os.dims[d]);
        const int32_t id = od - p.before[d];
        if (id < 0 || id >= is.dims[d]) inside = false;
        in_index += static_cast<size_t>(std::max(id, 0)) * in_stride;
        in_stride *= static_cast<size_t>(is.dims[d]);
      }
      ASSERT_EQ(out[o], inside ? in[in_index] : p.pad_value) << "output index " << o;
    }
  }
}

TEST(RuntimeConcatenation, HandWorkedCopyAndRequantize) {
  // [2, 1] and [2, 2] along axis 1: rows (a0, b00, b01), (a1, b10, b11).
  const std::vector<int8_t> a = {1, 2}, b = {10, 11, 12, 13};
  tinyml_rt_concat_input in[2] = {{a.data(), shape({2, 1}), 0, 0, 0},
                                  {b.data(), shape({2, 2}), 0, 0, 0}};
  tinyml_rt_concat_params p{1, 0, 0};
  const auto os = shape({2, 3});
  std::vector<int8_t> out(6);
  ASSERT_EQ(tinyml_rt_concatenation_s8_scratch_size(&p, in, 2, &os), 0u);
  ASSERT_EQ(tinyml_rt_concatenation_s8(&p, in, 2, &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{1, 10, 11, 2, 12, 13}));
  // Requantized: input a at twice the output's scale with zero point 1, b at half the
  // scale with zero point 0; output zero point -1.
  //   a: (1-1)*2 - 1 = -1, (2-1)*2 - 1 = 1;  b: 10*0.5 - 1 = 4, 5.5 -> 6 -> 5, 6 - 1 = 5,
  //   6.5 -> 7 -> 6.
  in[0].zero_point = 1;
  in[0].multiplier = 1 << 30;
  in[0].shift = 2;
  in[1].multiplier = 1 << 30;
  in[1].shift = 0;
  p = {1, 1, -1};
  ASSERT_EQ(tinyml_rt_concatenation_s8(&p, in, 2, &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{-1, 4, 5, 1, 5, 6}));
  const auto wrong = shape({2, 4});
  EXPECT_EQ(tinyml_rt_concatenation_s8(&p, in, 2, &wrong, out.data()), TINYML_RT_BAD_SHAPE);
}

TEST(RuntimeConcatenation, RandomShapesAgreeWithReference) {
  Rng rng(13);
  for (int iter = 0; iter < 100; ++iter) {
    const int32_t rank = rng.uniform(1, 4), axis = rng.uniform(0, rank - 1);
    const int32_t num = rng.uniform(1, 4);
    tinyml_rt_shape os{rank, {1, 1, 1, 1}};
    for (int32_t d = 0; d < rank; ++d) os.dims[d] = rng.uniform(1, 4);
    os.dims[axis] = 0;
    std::vector<std::vector<int8_t>> data;
    std::vector<tinyml_rt_concat_input> inputs;
    std::vector<float> scales;
    const bool requantize = rng.uniform(0, 1) == 1;
    const float out_scale = rng.scale(0.02f, 0.05f);
    const int32_t out_zp = rng.uniform(-10, 10);
    for (int32_t i = 0; i < num; ++i) {
      tinyml_rt_shape s = os;
      s.dims[axis] = rng.uniform(1, 3);
      os.dims[axis] += s.dims[axis];
      data.push_back(rng.int8s(count(s)));
      tinyml_rt_concat_input in{nullptr, s, rng.uniform(-20, 20), 0, 0};
      scales.push_back(rng.scale(0.01f, 0.06f));
      ASSERT_EQ(tinyml_rt_quantize_multiplier(double{scales.back()} / out_scale, &in.multiplier,
                                              &in.shift),
                TINYML_RT_OK);
      inputs.push_back(in);
    }
    for (int32_t i = 0; i < num; ++i) inputs[static_cast<size_t>(i)].data = data[static_cast<size_t>(i)].data();
    // Reference: outer blocks, then each input's slab in order.
    int32_t outer = 1, inner = 1;
    for (int32_t d = 0; d < axis; ++d) outer *= os.dims[d];
    for (int32_t d = axis + 1; d < rank; ++d) inner *= os.dims[d];
    std::vector<int32_t> want;
    for (int32_t o = 0; o < outer; ++o)
      for (int32_t i = 0; i < num; ++i) {
        const auto& in = inputs[static_cast<size_t>(i)];
        const int32_t chunk = in.shape.dims[axis] * inner;
        for (int32_t j = 0; j < chunk; ++j) {
          const int32_t q = in.data[o * chunk + j];
          want.push_back(requantize ? rt_test::quantize_ref(
                                          rt_test::dequantize_ref(q, scales[static_cast<size_t>(i)], in.zero_point),
                                          out_scale, out_zp)
                                    : q);
        }
      }
    const tinyml_rt_concat_params p{axis, requantize ? 1 : 0, out_zp};
    std::vector<int8_t> out(count(os));
    ASSERT_EQ(tinyml_rt_concatenation_s8(&p, inputs.data(), num, &os, out.data()), TINYML_RT_OK);
    if (requantize) {
      rt_test::expect_within_one(out, want);
    } else {
      EXPECT_EQ(std::vector<int32_t>(out.begin(), out.end()), want);
    }
  }
}

}  // namespace
