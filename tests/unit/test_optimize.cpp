// Calibration and the int8 parameters of the quantization specification.
#include <gtest/gtest.h>

#include <cmath>

#include "tinyml/data/split.hpp"
#include "tinyml/error.hpp"
#include "tinyml/nn/spec.hpp"
#include "tinyml/optimize/calibrate.hpp"

using namespace tinyml;
using namespace tinyml::optimize;

TEST(Quantize, AsymmetricInt8ParametersHoldZeroExactly) {
  QParams a = asymmetric_int8(0.0f, 2.55f);  // ReLU output: zero at the bottom code
  EXPECT_FLOAT_EQ(a.scale, 0.01f);
  EXPECT_EQ(a.zero_point, -128);
  QParams b = asymmetric_int8(-2.55f, 0.0f);  // zero at the top code
  EXPECT_FLOAT_EQ(b.scale, 0.01f);
  EXPECT_EQ(b.zero_point, 127);
  QParams c = asymmetric_int8(-1.0f, 1.0f);  // -128 + 127.5 = -0.5, rounded away from zero
  EXPECT_FLOAT_EQ(c.scale, 2.0f / 255.0f);
  EXPECT_EQ(c.zero_point, -1);
  QParams d = asymmetric_int8(1.0f, 2.0f);  // widened to [0, 2]
  EXPECT_FLOAT_EQ(d.scale, 2.0f / 255.0f);
  EXPECT_EQ(d.zero_point, -128);
  QParams e = asymmetric_int8(0.0f, 0.0f);
  EXPECT_EQ(e.scale, 1.0f);
  EXPECT_EQ(e.zero_point, 0);
  EXPECT_THROW(asymmetric_int8(1.0f, -1.0f), InputError);
  EXPECT_THROW(asymmetric_int8(0.0f, INFINITY), InputError);
}

TEST(Quantize, SymmetricPerChannelWeightScales) {
  const std::vector<float> w = {1, -2, 0, 0, 0.5f, 0.25f};  // 3 channels of 2
  auto s = symmetric_weight_scales(w, 3);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_FLOAT_EQ(s[0], 2.0f / 127.0f);
  EXPECT_FLOAT_EQ(s[1], 1.0f);  // a channel of zeros
  EXPECT_FLOAT_EQ(s[2], 0.5f / 127.0f);
  auto t = symmetric_weight_scales(w, 2, true);  // channel = index % 2: {1, 0, 0.5} and {-2, 0, 0.25}
  EXPECT_FLOAT_EQ(t[0], 1.0f / 127.0f);
  EXPECT_FLOAT_EQ(t[1], 2.0f / 127.0f);
  EXPECT_THROW(symmetric_weight_scales(w, 4), InputError);
}

TEST(Calibrate, RangeMethodsAgainstAnOutlier) {
  // 10,000 values spread evenly over [-1, 1] and one outlier at 100.
  std::vector<float> v;
  for (int i = 0; i < 10000; ++i) v.push_back(-1.0f + 2.0f * static_cast<float>(i) / 9999.0f);
  v.push_back(100.0f);
  RangeObserver o;
  o.add_range(v);
  o.add_histogram(v);
  EXPECT_EQ(o.count(), v.size());
  auto mm = o.choose(RangeMethod::MinMax);
  EXPECT_FLOAT_EQ(mm.first, -1.0f);
  EXPECT_FLOAT_EQ(mm.second, 100.0f);
  // 99.9th percentile: the outlier (0.01% of the values) is cut; the ends land within a
  // bin (101 / 2048) of the bulk's edges.
  auto p = o.choose(RangeMethod::Percentile, 99.9);
  const float bin = 101.0f / RangeObserver::kBins;
  EXPECT_NEAR(p.first, -1.0f, bin);
  EXPECT_NEAR(p.second, 1.0f, bin + 0.002f);
  // MSE: one value at 100 among 10,000 in [-1, 1] is worth keeping (clipping it would cost
  // 99^2 = 9801, more than the coarser step costs all the others), so the MSE range runs
  // range up to (nearly) the outlier; by its own measure it beats the percentile range.
  auto e = o.choose(RangeMethod::Mse);
  EXPECT_GT(e.second, 95.0f);
  EXPECT_LE(o.expected_error(e.first, e.second), o.expected_error(p.first, p.second));
  // Hand check of the error measure: a range holding every value costs step^2 / 12.
  const double step = 101.0 / 255.0;
  EXPECT_NEAR(o.expected_error(-1.0f, 100.0f), step * step / 12.0, 1e-9);
  EXPECT_THROW(parse_range_method("kl"), InputError);
  EXPECT_EQ(parse_range_method("mse"), RangeMethod::Mse);
}

TEST(Calibrate, MseClipsLongTails) {
  // Laplace(0, 1) values: the tails are long, and the error-minimizing int8 range clips
  // them well inside min/max (for 8 bits the optimum is near +-10 b).
  data::Rng rng(3);
  std::vector<float> v;
  for (int i = 0; i < 200000; ++i) {
    double u = (static_cast<double>(rng.next() >> 11) + 0.5) / 9007199254740992.0;
    double x = -std::log(u);
    v.push_back(static_cast<float>(i % 2 ? x : -x));
  }
  RangeObserver o;
  o.add_range(v);
  o.add_histogram(v);
  auto mm = o.choose(RangeMethod::MinMax);
  auto e = o.choose(RangeMethod::Mse);
  EXPECT_GT(e.first, mm.first + 1.0f);
  EXPECT_LT(e.second, mm.second - 1.0f);
  EXPECT_GT(e.second, 6.0f);
  EXPECT_LT(e.second, 12.0f);
  EXPECT_LT(o.expected_error(e.first, e.second), 0.8 * o.expected_error(mm.first, mm.second));
}

TEST(Calibrate, ObservesEveryNodeOfAModel) {
  data::Dataset d;
  d.shape = {4};
  d.classes = {"a", "b"};
  data::Rng rng(7);
  for (int i = 0; i < 300; ++i) {
    for (int k = 0; k < 4; ++k) d.x.push_back(static_cast<float>(rng.below(1000)) / 100.0f - 5.0f);
    d.y.push_back(i % 2);
  }
  d.group.assign(300, 0);
  d.t_begin.assign(300, NAN);
  d.t_end.assign(300, NAN);
  nn::Model m = nn::make_model(nlohmann::json::parse(R"([{"type": "dense", "units": 3}, {"type": "relu"},
                                                         {"type": "dense", "units": 2}])"),
                               {4}, 1);
  auto obs = observe(m, d, 1000);
  ASSERT_EQ(obs.size(), 4u);
  EXPECT_FLOAT_EQ(obs[0].min(), *std::min_element(d.x.begin(), d.x.end()));
  EXPECT_FLOAT_EQ(obs[0].max(), *std::max_element(d.x.begin(), d.x.end()));
  EXPECT_EQ(obs[0].count(), d.x.size());
  EXPECT_GE(obs[2].min(), 0.0f);  // after ReLU
  EXPECT_EQ(obs[3].count(), 600u);
  // A subset is taken evenly: 100 samples.
  auto few = observe(m, d, 100);
  EXPECT_EQ(few[0].count(), 400u);
}

#include "tinyml/optimize/fold.hpp"

namespace {

void randomize(std::vector<float>& v, data::Rng& rng, float lo, float hi) {
  for (auto& x : v) x = lo + (hi - lo) * static_cast<float>(rng.below(10000)) / 10000.0f;
}

}  // namespace

TEST(Fold, PlanMergesBatchNormAndActivationsOnlyWhereSafe) {
  // conv, bn, relu | conv, relu6 | add(from the first block's output) , relu | dense
  auto layers = nlohmann::json::parse(R"([
    {"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "batchnorm"}, {"type": "relu"},
    {"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "relu6"},
    {"type": "add", "from": 3}, {"type": "relu"},
    {"type": "flatten"}, {"type": "dense", "units": 2}])");
  nn::Model m = nn::make_model(layers, {5, 5, 1}, 1);
  auto ops = plan_ops(m);
  ASSERT_EQ(ops.size(), 5u);
  EXPECT_EQ(ops[0].layer, 0u);
  EXPECT_EQ(ops[0].batchnorm, 1u);
  EXPECT_EQ(ops[0].activation, 2u);
  EXPECT_EQ(ops[0].fused, Fused::ReLU);
  EXPECT_EQ(ops[0].output_node, 3u);
  // The second conv's ReLU6 output is read twice (the add's two inputs are the relu6 and
  // the first block): the relu6 itself is read only by the add, so it fuses.
  EXPECT_EQ(ops[1].layer, 3u);
  EXPECT_EQ(ops[1].fused, Fused::ReLU6);
  EXPECT_EQ(ops[2].layer, 5u);  // add + relu
  EXPECT_EQ(ops[2].fused, Fused::ReLU);
  EXPECT_EQ(ops[3].layer, 7u);  // flatten
  EXPECT_EQ(ops[4].layer, 8u);  // dense
  EXPECT_FALSE(ops[4].batchnorm);

  // A conv whose raw output is also read elsewhere keeps its BatchNorm separate.
  auto shared = nlohmann::json::parse(R"([
    {"type": "conv2d", "filters": 2, "kernel": 1}, {"type": "batchnorm"}, {"type": "add", "from": 1}])");
  nn::Model s = nn::make_model(shared, {3, 3, 2}, 1);
  auto sops = plan_ops(s);
  ASSERT_EQ(sops.size(), 3u);
  EXPECT_FALSE(sops[0].batchnorm);
}

TEST(Fold, FoldedWeightsReproduceConvPlusBatchNorm) {
  for (const char* conv : {R"({"type": "conv2d", "filters": 3, "kernel": 3})",
                           R"({"type": "depthwise_conv2d", "kernel": 3, "depth_multiplier": 2})",
                           R"({"type": "dense", "units": 3})"}) {
    auto with_bn = nlohmann::json::array({nlohmann::json::parse(conv), {{"type", "batchnorm"}}});
    auto without = nlohmann::json::array({nlohmann::json::parse(conv)});
    nn::Model a = nn::make_model(with_bn, {4, 4, 2}, 3);
    nn::Model b = nn::make_model(without, {4, 4, 2}, 3);
    data::Rng rng(11);
    auto* bn = dynamic_cast<nn::BatchNorm*>(a.layers[1].get());
    ASSERT_NE(bn, nullptr);
    randomize(bn->running_mean, rng, -1, 1);
    randomize(bn->running_var, rng, 0.2f, 2);
    for (nn::Param* p : a.params()) randomize(p->w, rng, -1, 1);
    auto ops = plan_ops(a);
    ASSERT_EQ(ops.size(), 1u) << conv;
    FoldedWeights f = folded_weights(a, ops[0]);
    b.params()[0]->w = f.w;
    b.params()[1]->w = f.b;
    nn::Tensor x;
    x.resize(3, {4, 4, 2});
    randomize(x.v, rng, -2, 2);
    const auto ya = a.forward(x, false).v;
    const auto yb = b.forward(x, false).v;
    ASSERT_EQ(ya.size(), yb.size());
    for (std::size_t i = 0; i < ya.size(); ++i) EXPECT_NEAR(ya[i], yb[i], 1e-4) << conv << " value " << i;
  }
}

#include "tinyml/optimize/prune.hpp"
#include "digits.hpp"

namespace {

// The float model of the pruning tests, trained on the digits split.
void train_float(nn::Model& m, const std::array<data::Dataset, 3>& d) {
  nn::TrainConfig c;
  c.epochs = 12;
  c.optimizer.lr = 3e-3f;
  c.schedule = "cosine";
  nn::train_classifier(m, d[0], &d[1], c);
}

double test_accuracy(nn::Model& m, const data::Dataset& test) {
  auto p = nn::predict(m, test);
  std::size_t ok = 0;
  for (std::size_t i = 0; i < p.size(); ++i) ok += p[i] == test.y[i];
  return static_cast<double>(ok) / static_cast<double>(p.size());
}

}  // namespace

TEST(Prune, MasksKeepTheLargestWeightsPerTensor) {
  nn::Model m = nn::make_model(nlohmann::json::parse(R"([{"type": "dense", "units": 2}])"), {3}, 1);
  m.params()[0]->w = {0.5f, -0.1f, 0.3f, -0.9f, 0.2f, 0.05f};
  m.params()[1]->w = {0.01f, 0.02f};
  Masks k = magnitude_masks(m, 0.5);
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0], (std::vector<std::uint8_t>{1, 0, 1, 1, 0, 0}));
  EXPECT_TRUE(k[1].empty());  // biases are not pruned
  apply_masks(m, k);
  EXPECT_EQ(m.params()[0]->w, (std::vector<float>{0.5f, 0, 0.3f, -0.9f, 0, 0}));
  EXPECT_EQ(m.params()[1]->w, (std::vector<float>{0.01f, 0.02f}));
  EXPECT_THROW(magnitude_masks(m, 1.0), InputError);
}

TEST(Prune, CubicScheduleReachesTheTargetAndHoldsIt) {
  PruneOptions o;
  o.sparsity = 0.8;
  o.ramp = 0.5;
  o.train.epochs = 10;  // ramp over 5 epochs
  double last = 0;
  for (int e = 0; e < 10; ++e) {
    double s = sparsity_at(o, e);
    EXPECT_GE(s, last);
    last = s;
  }
  EXPECT_NEAR(sparsity_at(o, 0), 0.8 - 0.8 * std::pow(0.8, 3), 1e-12);
  EXPECT_DOUBLE_EQ(sparsity_at(o, 4), 0.8);
  EXPECT_DOUBLE_EQ(sparsity_at(o, 9), 0.8);
}

TEST(Prune, HalfTheDigitsCnnWeightsCostLittleAccuracy) {
  auto d = testdata::digits();
  nn::Model m = nn::make_model(nlohmann::json::parse(R"([
    {"type": "reshape", "shape": [8, 8, 1]}, {"type": "conv2d", "filters": 16, "kernel": 3}, {"type": "relu"},
    {"type": "max_pool2d"}, {"type": "conv2d", "filters": 32, "kernel": 3}, {"type": "relu"},
    {"type": "max_pool2d"}, {"type": "flatten"}, {"type": "dense", "units": 10}])"),
                               {8, 8}, 42);
  train_float(m, d);
  auto accuracy = [&](nn::Model& model) { return test_accuracy(model, d[2]); };
  const double before = accuracy(m);
  PruneOptions o;
  o.sparsity = 0.5;
  o.train.epochs = 4;
  o.train.optimizer.lr = 1e-3f;
  prune_and_finetune(m, d[0], &d[1], o);
  const double after = accuracy(m);
  std::printf("digits CNN: test accuracy %.4f dense, %.4f at 50%% sparsity\n", before, after);
  for (const auto& l : weight_sparsity(m)) {
    EXPECT_EQ(l.zeros, l.weights / 2) << l.layer;  // exactly floor(0.5 * size) zeros
  }
  EXPECT_GE(after, before - 0.01);
}

#include "tinyml/optimize/structured.hpp"

TEST(Structured, RemovingZeroFiltersLeavesTheOutputsUnchanged) {
  auto layers = nlohmann::json::parse(R"([
    {"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "relu"}, {"type": "max_pool2d"},
    {"type": "conv2d", "filters": 6, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
    {"type": "dense", "units": 5}, {"type": "relu"}, {"type": "dense", "units": 3}])");
  nn::Model m = nn::make_model(layers, {6, 6, 2}, 5);
  data::Rng rng(5);
  for (nn::Param* p : m.params()) randomize(p->w, rng, -1, 1);
  // Filters 1 and 3 of the first conv, filters 0, 2 and 5 of the second and unit 4 of the
  // first dense are zero (weights and bias): removing them cannot change the output.
  auto zero_filter = [&](std::size_t layer, std::size_t f) {
    auto ps = m.layers[layer]->params();
    const std::size_t per = ps[0]->w.size() / ps[1]->w.size();
    std::fill_n(ps[0]->w.begin() + static_cast<long>(f * per), per, 0.0f);
    ps[1]->w[f] = 0.0f;
  };
  for (std::size_t f : {1, 3}) zero_filter(0, f);
  for (std::size_t f : {0, 2, 5}) zero_filter(3, f);
  zero_filter(6, 4);
  StructuredResult r = prune_filters(layers, m, 0.5);
  EXPECT_EQ(r.layers[0]["filters"], 2);
  EXPECT_EQ(r.layers[3]["filters"], 3);
  EXPECT_EQ(r.layers[6]["units"], 3);  // floor(0.5 * 5) = 2 units removed: the zero one and the weakest
  EXPECT_EQ(r.layers[8]["units"], 3);  // the classes stay
  EXPECT_EQ(r.changes.size(), 3u);
  EXPECT_LT(r.model.macs(), m.macs());
  // Unit 4 and one more unit of the first dense layer were removed, so compare with that
  // other unit zeroed in the original too.
  nn::Tensor x;
  x.resize(4, {6, 6, 2});
  randomize(x.v, rng, -2, 2);
  std::vector<float> want;
  {
    // The kept units of layer 6 are the rows the pruned model holds; zero the others.
    auto ps = m.layers[6]->params();
    auto kept_bias = r.model.layers[6]->params()[1]->w;
    for (std::size_t u = 0; u < ps[1]->w.size(); ++u)
      if (std::find(kept_bias.begin(), kept_bias.end(), ps[1]->w[u]) == kept_bias.end()) zero_filter(6, u);
    want = m.forward(x, false).v;
  }
  const auto got = r.model.forward(x, false).v;
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

TEST(Structured, HalvingTheDigitsCnnMacsCostsLittleAccuracy) {
  auto d = testdata::digits();
  auto layers = nlohmann::json::parse(R"([
    {"type": "reshape", "shape": [8, 8, 1]}, {"type": "conv2d", "filters": 16, "kernel": 3}, {"type": "batchnorm"},
    {"type": "relu"}, {"type": "max_pool2d"}, {"type": "conv2d", "filters": 32, "kernel": 3}, {"type": "relu"},
    {"type": "max_pool2d"}, {"type": "flatten"}, {"type": "dense", "units": 10}])");
  nn::Model m = nn::make_model(layers, {8, 8}, 42);
  train_float(m, d);
  auto accuracy = [&](nn::Model& model) { return test_accuracy(model, d[2]); };
  const double before = accuracy(m);
  const double f = fraction_for_macs(layers, m, 0.5);
  ASSERT_GT(f, 0.0);
  StructuredResult r = prune_filters(layers, m, f);
  EXPECT_LE(r.model.macs(), m.macs() / 2);
  nn::TrainConfig ft;
  ft.epochs = 6;
  ft.optimizer.lr = 1e-3f;
  nn::train_classifier(r.model, d[0], &d[1], ft);
  const double after = accuracy(r.model);
  std::printf("digits CNN: %llu -> %llu MACs (filters cut by %.3f), test accuracy %.4f -> %.4f\n",
              static_cast<unsigned long long>(m.macs()), static_cast<unsigned long long>(r.model.macs()), f, before,
              after);
  EXPECT_GE(after, before - 0.015);
}

#include "tinyml/optimize/sparse.hpp"

TEST(Sparse, BitmaskEncodingByHandAndRoundTrip) {
  // Two rows of 10 columns: 2 mask bytes per row, then the non-zeros.
  const std::vector<std::int8_t> w = {0, 5, 0, 0, 0, 0, 0, 0, -3, 0,   // row 0: columns 1 and 8
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // row 1: nothing
  auto bytes = encode_bitmask(w, 2);
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0x02, 0x01, 5, 0xFD, 0x00, 0x00}));
  EXPECT_EQ(bitmask_bytes(w, 2), 6u);
  EXPECT_EQ(decode_bitmask(bytes, 2, 10), w);
  EXPECT_EQ(choose_encoding(w, 2), WeightEncoding::Bitmask);
  const std::vector<std::int8_t> full(16, 1);
  EXPECT_EQ(choose_encoding(full, 2), WeightEncoding::Dense);  // 2 + 2 * 8 > 16
  // Half zeros save 37.5% whatever the pattern: c / 8 + c / 2 bytes a row instead of c.
  std::vector<std::int8_t> half(64 * 144);
  data::Rng rng(9);
  for (std::size_t i = 0; i < half.size(); ++i) half[i] = static_cast<std::int8_t>(i % 2 ? 0 : 1 + rng.below(100));
  EXPECT_EQ(bitmask_bytes(half, 64), 64 * (18 + 72));
  EXPECT_EQ(decode_bitmask(encode_bitmask(half, 64), 64, 144), half);
}

TEST(Sparse, DecoderRefusesMalformedBytes) {
  const std::vector<std::int8_t> w = {1, 0, 2, 0, 0, 3};
  auto bytes = encode_bitmask(w, 2);  // rows of 3: {0x05, 1, 2}, {0x04, 3}
  auto cut = bytes;
  cut.pop_back();
  EXPECT_THROW(decode_bitmask(cut, 2, 3), InputError);
  auto extra = bytes;
  extra.push_back(7);
  EXPECT_THROW(decode_bitmask(extra, 2, 3), InputError);
  auto stray = bytes;
  stray[0] |= 0x80;  // a column past the third
  EXPECT_THROW(decode_bitmask(stray, 2, 3), InputError);
  EXPECT_THROW(encode_bitmask(w, 4), InputError);
}

TEST(Quantize, WeightsPerChannelAndBiasInInt32) {
  const std::vector<float> w = {1.0f, -0.5f, 0.25f, 0.0f, 0.0f, 0.0f, -2.0f, 1.0f, 0.5f};  // 3 channels
  auto q = quantize_weights(w, 3);
  EXPECT_EQ(q.q, (std::vector<std::int8_t>{127, -64, 32, 0, 0, 0, -127, 64, 32}));  // 63.5 and 31.75 round away
  EXPECT_FLOAT_EQ(q.scales[2], 2.0f / 127.0f);
  // Bias 0.1 at input scale 0.5 and weight scale 1/127: 0.1 / (0.5 / 127) = 25.4 -> 25.
  auto b = quantize_bias(std::vector<float>{0.1f, -0.1f, 1e12f}, 0.5f, q.scales);
  EXPECT_EQ(b[0], 25);
  EXPECT_EQ(b[1], 0);  // channel 1 (all zeros) has weight scale 1: -0.1 / 0.5 = -0.2 rounds to 0
  EXPECT_EQ(b[2], INT32_MAX);  // saturated
  EXPECT_THROW(quantize_bias(std::vector<float>{1.0f}, 0.5f, q.scales), InputError);
}

#include "tinyml/optimize/qat.hpp"

TEST(Qat, FakeQuantRoundsForwardAndClipsTheGradient) {
  nn::Model m = nn::make_model(nlohmann::json::parse(R"([{"type": "dense", "units": 2}])"), {2}, 1);
  m.params()[0]->w = {1, 0, 0, 1};  // identity
  m.params()[1]->w = {0, 0};
  m.fake_quant.resize(2);
  m.fake_quant[1] = nn::Model::FakeQuant{0.5f, 0};  // grid: -64 .. 63.5 in steps of 0.5
  nn::Tensor x;
  x.resize(1, {2});
  x.v = {0.3f, 100.0f};
  const auto y = m.forward(x, true).v;
  EXPECT_FLOAT_EQ(y[0], 0.5f);   // 0.6 steps rounds to 1
  EXPECT_FLOAT_EQ(y[1], 63.5f);  // clamped to code 127
  nn::Tensor dy;
  dy.resize(1, {2});
  dy.v = {1.0f, 1.0f};
  m.zero_grad();
  const auto dx = m.backward(dy).v;
  EXPECT_FLOAT_EQ(dx[0], 1.0f);  // inside the grid: passed straight through
  EXPECT_FLOAT_EQ(dx[1], 0.0f);  // outside: clipped
}

TEST(Qat, FineTuningKeepsTheSimulatedInt8ModelClose) {
  auto d = testdata::digits();
  auto layers = nlohmann::json::parse(R"([
    {"type": "reshape", "shape": [8, 8, 1]}, {"type": "conv2d", "filters": 8, "kernel": 3}, {"type": "relu"},
    {"type": "max_pool2d"}, {"type": "flatten"}, {"type": "dense", "units": 10}])");
  nn::Model m = nn::make_model(layers, {8, 8}, 42);
  train_float(m, d);
  const double fp = test_accuracy(m, d[2]);
  auto obs = observe(m, d[0], 500);
  std::vector<std::size_t> nodes = {0};
  for (const PlannedOp& op : plan_ops(m)) nodes.push_back(op.output_node);
  // The int8 simulation: activations on their grids, weights on theirs.
  auto simulate = [&](nn::Model& model) {
    std::vector<std::vector<float>> keep;
    for (nn::Param* p : model.params()) keep.push_back(p->w);
    fake_quantize_weights(model);
    const double a = test_accuracy(model, d[2]);
    auto ps = model.params();
    for (std::size_t i = 0; i < ps.size(); ++i) ps[i]->w = keep[i];
    return a;
  };
  m.fake_quant = activation_grids(obs, nodes, RangeMethod::MinMax);
  const double ptq = simulate(m);
  nn::TrainConfig c;
  c.epochs = 2;
  c.optimizer.lr = 5e-4f;
  qat_finetune(m, m.fake_quant, d[0], &d[1], c);
  const double qat = simulate(m);
  std::printf("digits CNN: float %.4f, int8 simulated after calibration %.4f, after QAT %.4f\n", fp, ptq, qat);
  EXPECT_GE(ptq, fp - 0.02);
  EXPECT_GE(qat, fp - 0.01);
}

#include "tinyml/optimize/int8_model.hpp"

namespace {

struct Int8Check {
  double float_accuracy = 0, int8_accuracy = 0, agreement = 0;
};

// Trains the declared model on digits, converts it with `method` and runs the test split
// through the runtime's kernels.
Int8Check check_int8(const char* declaration, RangeMethod method, std::size_t expected_ops) {
  auto d = testdata::digits();
  nn::Model m = nn::make_model(nlohmann::json::parse(declaration), {8, 8}, 42);
  train_float(m, d);
  Int8Check r;
  r.float_accuracy = test_accuracy(m, d[2]);
  Int8Model q = quantize_model(m, observe(m, d[0], 1000), method, d[0].norm);
  EXPECT_EQ(q.ops.size(), expected_ops);
  auto p = predict_int8(q, d[2]);
  auto pf = nn::predict(m, d[2]);
  std::size_t ok = 0, same = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    ok += p[i] == d[2].y[i];
    same += p[i] == pf[i];
  }
  r.int8_accuracy = static_cast<double>(ok) / static_cast<double>(p.size());
  r.agreement = static_cast<double>(same) / static_cast<double>(p.size());
  std::printf("float %.4f, int8 %.4f (%s), %.1f%% of predictions agree, %zu weight bytes\n", r.float_accuracy,
              r.int8_accuracy, std::string(to_string(method)).c_str(), 100 * r.agreement, q.weight_bytes());
  return r;
}

}  // namespace

TEST(Int8, DigitsCnnOnTheRuntimeKernelsIsWithinHalfAPointOfFloat) {
  // conv + batchnorm + relu, pool, conv + relu, pool, flatten, dense: 6 operations.
  Int8Check r = check_int8(R"([
    {"type": "reshape", "shape": [8, 8, 1]}, {"type": "conv2d", "filters": 16, "kernel": 3}, {"type": "batchnorm"},
    {"type": "relu"}, {"type": "max_pool2d"}, {"type": "conv2d", "filters": 32, "kernel": 3}, {"type": "relu"},
    {"type": "max_pool2d"}, {"type": "flatten"}, {"type": "dense", "units": 10}])",
                           RangeMethod::Mse, 7);
  EXPECT_GE(r.int8_accuracy, r.float_accuracy - 0.005);
}

TEST(Int8, DepthwiseMeanAndAddRunOnTheRuntime) {
  // depthwise + relu6, 1x1 conv, a residual add + relu, global average (mean), dense.
  Int8Check r = check_int8(R"([
    {"type": "reshape", "shape": [8, 8, 1]}, {"type": "conv2d", "filters": 16, "kernel": 3}, {"type": "relu"},
    {"type": "depthwise_conv2d", "kernel": 3}, {"type": "relu6"}, {"type": "conv2d", "filters": 16, "kernel": 1},
    {"type": "add", "from": 3}, {"type": "relu"}, {"type": "average_pool2d", "pool": 2},
    {"type": "global_average_pool"}, {"type": "dense", "units": 10}])",
                           RangeMethod::Mse, 8);
  EXPECT_GE(r.agreement, 0.95);
  EXPECT_GE(r.int8_accuracy, r.float_accuracy - 0.02);
}

TEST(Int8, LayersTheRuntimeCannotRunAreNamed) {
  nn::Model m = nn::make_model(nlohmann::json::parse(R"([{"type": "flatten"}, {"type": "relu"}, {"type": "dense", "units": 2}])"),
                               {2, 2}, 1);
  data::Dataset d;
  d.shape = {2, 2};
  d.x = {1, -1, 2, -2};
  d.y = {0};
  d.group = {0};
  d.t_begin = d.t_end = {NAN};
  auto obs = observe(m, d, 10);
  try {
    quantize_model(m, obs, RangeMethod::MinMax, d.norm);
    FAIL() << "a lone relu was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 2 (relu)"), std::string::npos) << e.what();
  }
}

#include "tinyml/io.hpp"
#include "tinyml/optimize/int8_file.hpp"

namespace {

Int8File small_int8_file() {
  auto d = testdata::digits();
  nn::Model m = nn::make_model(nlohmann::json::parse(R"([
    {"type": "reshape", "shape": [8, 8, 1]}, {"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "relu"},
    {"type": "max_pool2d"}, {"type": "flatten"}, {"type": "dense", "units": 10}])"),
                               {8, 8}, 3);
  Int8File f;
  f.model = quantize_model(m, observe(m, d[0], 200), RangeMethod::MinMax, d[0].norm);
  f.normalization = d[0].norm;
  f.classes = d[0].classes;
  return f;
}

// The file with its header rewritten by `edit` (and the checksum made good again), so the
// loader's own checks are what refuse it.
std::string with_header(const std::string& bytes, const std::function<void(nlohmann::json&)>& edit) {
  static constexpr char kMagic[9] = "TMLINT8";  // 7 letters and a NUL: the file's 8 bytes
  Container box = open_container(bytes, kMagic, kInt8FormatVersion, "t", "int8 model");
  nlohmann::json h = nlohmann::json::parse(box.header);
  edit(h);
  std::string out = begin_container(kMagic, kInt8FormatVersion, h.dump());
  out.append(box.body);
  seal_container(out);
  return out;
}

}  // namespace

TEST(Int8File, RoundTripsAndRunsTheSame) {
  Int8File f = small_int8_file();
  const std::string bytes = serialize(f);
  EXPECT_TRUE(is_int8_model(bytes));
  Int8File g = deserialize_int8(bytes, "t.tmq");
  ASSERT_EQ(g.model.ops.size(), f.model.ops.size());
  EXPECT_EQ(serialize(g), bytes);
  auto d = testdata::digits();
  EXPECT_EQ(predict_int8(g.model, d[2]), predict_int8(f.model, d[2]));
}

TEST(Int8File, ImpossibleQuantizationIsRefusedByName) {
  const std::string bytes = serialize(small_int8_file());
  auto refused = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& says) {
    try {
      deserialize_int8(with_header(bytes, edit), "bad.tmq");
      ADD_FAILURE() << "accepted; expected: " << says;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  refused([](nlohmann::json& h) { h["tensors"][2]["scale"] = 0.0; }, "bad.tmq: tensor 2: scale 0 is not a positive");
  refused([](nlohmann::json& h) { h["tensors"][1]["scale"] = -0.5; }, "tensor 1: scale -0.5");
  refused([](nlohmann::json& h) { h["tensors"][0]["zero_point"] = 200; }, "tensor 0: zero point 200");
  refused([](nlohmann::json& h) { h["ops"][1]["act"] = {10, 5}; }, "operation 1 (conv2d): activation clamp");
  refused([](nlohmann::json& h) { h["ops"][1]["weight_shape"] = {4, 3, 3, 2}; },
          "operation 1 (conv2d): 36 weights do not fill the weight shape");
  refused([](nlohmann::json& h) { h["ops"][1]["weight_scales"][0] = 0.0; }, "channel 0: weight scale 0");
  refused(
      [](nlohmann::json& h) {
        h["normalization"] = {{"method", "zscore"}, {"features", {"a", "b"}}, {"offset", {0.0, 1.0}}, {"scale", {1.0, 0.0}}};
      },
      "bad.tmq: normalization of feature 'b': scale 0");
  refused(
      [](nlohmann::json& h) {
        h["normalization"] = {{"method", "zscore"}, {"features", {"a", "b", "c"}}, {"offset", {0, 0, 0}}, {"scale", {1, 1, 1}}};
      },
      "the normalization has 3 features, which do not divide the model's 64 input values");
  refused([](nlohmann::json& h) { h["ops"][1]["output"] = 99; }, "names a tensor that does not exist");
  refused([](nlohmann::json& h) { h["ops"][1]["kind"] = "lstm"; }, "unknown kind 'lstm'");
  // A multiplier outside [2^30, 2^31): written into the body.
  Int8File f = small_int8_file();
  f.model.ops[1].multipliers[2] = 12345;
  try {
    deserialize_int8(serialize(f), "bad.tmq");
    ADD_FAILURE() << "a multiplier of 12345 was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("channel 2: multiplier 12345 is outside [2^30, 2^31)"), std::string::npos)
        << e.what();
  }
  f = small_int8_file();
  f.model.ops[1].shifts[0] = 40;
  EXPECT_THROW(deserialize_int8(serialize(f), "bad.tmq"), InputError);
  // Truncated: the container's checksum catches it before the header is read.
  EXPECT_THROW(deserialize_int8(bytes.substr(0, bytes.size() / 2), "cut.tmq"), InputError);
}

#include "tinyml_rt.h"

TEST(Sparse, RuntimeKernelSkipsZerosAndMatchesTheDenseOneBitForBit) {
  data::Rng rng(21);
  for (int trial = 0; trial < 40; ++trial) {
    const int outs = 1 + static_cast<int>(rng.below(20)), depth = 1 + static_cast<int>(rng.below(70));
    const int batches = 1 + static_cast<int>(rng.below(3));
    std::vector<std::int8_t> w(static_cast<std::size_t>(outs * depth)), in(static_cast<std::size_t>(batches * depth));
    for (auto& v : w) v = rng.below(100) < 60 ? 0 : static_cast<std::int8_t>(static_cast<int>(rng.below(255)) - 127);
    for (auto& v : in) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
    std::vector<std::int32_t> bias(static_cast<std::size_t>(outs)), mul(static_cast<std::size_t>(outs)),
        shift(static_cast<std::size_t>(outs));
    for (int o = 0; o < outs; ++o) {
      bias[static_cast<std::size_t>(o)] = static_cast<std::int32_t>(rng.below(2000)) - 1000;
      mul[static_cast<std::size_t>(o)] = (1 << 30) + static_cast<std::int32_t>(rng.below(1 << 30));
      shift[static_cast<std::size_t>(o)] = -static_cast<std::int32_t>(rng.below(12));
    }
    tinyml_rt_fully_connected_params p{};
    p.input_zero_point = static_cast<std::int32_t>(rng.below(256)) - 128;
    p.per_channel = 1;
    p.out = {mul.data(), shift.data(), 3, -128, 127};
    tinyml_rt_shape is{2, {batches, depth, 0, 0}}, fs{2, {outs, depth, 0, 0}}, os{2, {batches, outs, 0, 0}};
    std::vector<std::int8_t> dense(static_cast<std::size_t>(batches * outs)), sparse(dense.size(), 77);
    ASSERT_EQ(tinyml_rt_fully_connected_s8(&p, &is, in.data(), &fs, w.data(), bias.data(), &os, dense.data()),
              TINYML_RT_OK);
    const auto enc = encode_bitmask(w, static_cast<std::size_t>(outs));
    ASSERT_EQ(tinyml_rt_fully_connected_sparse_s8(&p, &is, in.data(), &fs, enc.data(), enc.size(), bias.data(), &os,
                                                  sparse.data()),
              TINYML_RT_OK);
    EXPECT_EQ(sparse, dense) << "trial " << trial;
    // An encoding one byte short, or one byte long, is refused with the output untouched.
    std::vector<std::int8_t> untouched(dense.size(), 5);
    EXPECT_EQ(tinyml_rt_fully_connected_sparse_s8(&p, &is, in.data(), &fs, enc.data(), enc.size() - 1, bias.data(), &os,
                                                  untouched.data()),
              TINYML_RT_BAD_PARAM);
    auto longer = enc;
    longer.push_back(1);
    EXPECT_EQ(tinyml_rt_fully_connected_sparse_s8(&p, &is, in.data(), &fs, longer.data(), longer.size(), bias.data(),
                                                  &os, untouched.data()),
              TINYML_RT_BAD_PARAM);
    EXPECT_EQ(untouched, std::vector<std::int8_t>(dense.size(), 5));
  }
}

TEST(Int8File, SparseFullyConnectedRowsRoundTripAndPredictAsDense) {
  Int8File f = small_int8_file();
  Int8Op& fc = f.model.ops.back();
  ASSERT_EQ(fc.kind, OpKind::FullyConnected);
  for (std::size_t i = 0; i < fc.weights.size(); ++i)
    if (i % 10 < 7) fc.weights[i] = 0;
  auto d = testdata::digits();
  const auto dense = predict_int8(f.model, d[2]);
  fc.sparse_weights = encode_bitmask(fc.weights, static_cast<std::size_t>(fc.weight_shape[0]));
  EXPECT_LT(fc.stored_weight_bytes(), fc.weights.size());
  Int8File g = deserialize_int8(serialize(f), "sparse.tmq");
  EXPECT_FALSE(g.model.ops.back().sparse_weights.empty());
  EXPECT_EQ(g.model.ops.back().weights, fc.weights);
  EXPECT_EQ(predict_int8(g.model, d[2]), dense);
  EXPECT_EQ(g.model.weight_bytes(), f.model.weight_bytes());
}
