#include <gtest/gtest.h>

#include "tinyml/error.hpp"
#include "tinyml/nn/spec.hpp"

using namespace tinyml;
using namespace tinyml::nn;
using nlohmann::json;

namespace {
std::string error_of(const json& layers, const Shape& in) {
  try {
    make_model(layers, in, 1);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(NnSpec, PresetsBuildForTheirInputs) {
  struct Case {
    const char* name;
    Shape in;
    int classes;
  } cases[] = {{"mlp", {4}, 3},         {"cnn1d", {12, 2}, 2},  {"cnn2d", {28, 28}, 10},
               {"ds-cnn", {49, 10}, 12}, {"resnet8", {32, 32, 3}, 10}, {"autoencoder", {12, 2}, 0}};
  for (const auto& c : cases) {
    Model m = make_model(preset_layers(c.name, c.in, c.classes), c.in, 7);
    Shape want = std::string(c.name) == "autoencoder" ? Shape{24} : Shape{c.classes};
    EXPECT_EQ(m.output_shape(), want) << c.name;
    EXPECT_GT(m.parameter_count(), 0u) << c.name;
  }
  // ResNet-8 as in MLPerf Tiny's image classification: 78k parameters, ~12.5M MACs.
  Model r = make_model(preset_layers("resnet8", {32, 32, 3}, 10), {32, 32, 3}, 1);
  EXPECT_NEAR(static_cast<double>(r.parameter_count()), 78000, 2000);
  EXPECT_NEAR(static_cast<double>(r.macs()), 12.5e6, 0.3e6);
}

TEST(NnSpec, ResidualPresetRunsForwardAndBackward) {
  Model m = make_model(preset_layers("resnet8", {8, 8, 3}, 4, 0.25), {8, 8, 3}, 3);
  Tensor x;
  x.resize(2, {8, 8, 3});
  for (std::size_t i = 0; i < x.v.size(); ++i) x.v[i] = static_cast<float>(i % 7) * 0.1f;
  const Tensor& y = m.forward(x, true);
  EXPECT_EQ(y.shape, (Shape{4}));
  Tensor dy = y;
  for (auto& v : dy.v) v = 1.0f;
  const Tensor& dx = m.backward(dy);
  EXPECT_EQ(dx.v.size(), x.v.size());
}

TEST(NnSpec, DeclarationsThatCannotWorkNameTheLayerAndReason) {
  EXPECT_EQ(error_of(json::parse(R"([{"type": "dense", "units": 0}])"), {4}),
            "model.layers[1] (dense): 'units' = 0 is out of range [1, 1000000]");
  EXPECT_EQ(error_of(json::parse(R"([{"type": "conv3d", "filters": 2}])"), {4}).rfind(
                "model.layers[1] (conv3d): unknown layer type 'conv3d'", 0),
            0u);
  EXPECT_EQ(error_of(json::parse(R"([{"type": "conv1d", "filters": 4, "kernal": 3}])"), {8, 2}).rfind(
                "model.layers[1] (conv1d): unknown key 'kernal'", 0),
            0u);
  EXPECT_EQ(error_of(json::parse(R"([{"type": "conv1d", "filters": 4}])"), {8, 2}),
            "model.layers[1] (conv1d): 'kernel' is required");
  EXPECT_EQ(error_of(json::parse(R"([{"type": "conv1d", "filters": 4, "kernel": 9, "padding": "valid"}])"), {8, 2}),
            "model: layer 1 (conv1d): kernel 1x9 (dilation 1) does not fit the input [8, 2] with 'valid' padding");
  EXPECT_EQ(error_of(json::parse(R"([{"type": "conv2d", "filters": 4, "kernel": 3}])"), {8, 2}),
            "model: layer 1 (conv2d): input shape [8, 2] does not fit: expected [height, width, channels]");
  EXPECT_EQ(error_of(json::parse(R"([{"type": "dense", "units": 3}, {"type": "add", "from": 0}])"), {4}),
            "model: layer 2 (add): the shapes differ: [4] from layer -1 and [3] from the previous layer");
}
