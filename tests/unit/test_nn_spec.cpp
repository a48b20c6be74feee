#include <cstring>

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

#include "tinyml/io.hpp"
#include "tinyml/nn/model_file.hpp"

TEST(NnModelFile, SaveLoadRoundTripExactly) {
  ModelFile f;
  f.layers = preset_layers("resnet8", {8, 8, 3}, 3, 0.25);
  f.model = make_model(f.layers, {8, 8, 3}, 5);
  f.classes = {"a", "b", "c"};
  f.normalization.method = "zscore";
  f.normalization.features = {"x"};
  f.normalization.offset = {1.5};
  f.normalization.scale = {2};
  // Make BatchNorm statistics non-trivial.
  Tensor x;
  x.resize(4, {8, 8, 3});
  for (std::size_t i = 0; i < x.v.size(); ++i) x.v[i] = static_cast<float>(i % 11) * 0.3f;
  f.model.forward(x, true);
  std::string bytes = serialize(f);
  ModelFile g = deserialize_model(bytes, "m.tmm");
  EXPECT_EQ(g.classes, f.classes);
  EXPECT_EQ(g.normalization.offset, f.normalization.offset);
  EXPECT_EQ(serialize(g), bytes);
  EXPECT_EQ(g.model.forward(x, false).v, f.model.forward(x, false).v);
}

TEST(NnModelFile, TruncatedCorruptedNewerRefused) {
  ModelFile f;
  f.layers = preset_layers("mlp", {4}, 2);
  f.model = make_model(f.layers, {4}, 5);
  f.classes = {"a", "b"};
  std::string b = serialize(f);
  auto err = [](std::string_view bytes) {
    try {
      deserialize_model(bytes, "m.tmm");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(err(b.substr(0, b.size() - 10)).find("checksum mismatch"), std::string::npos);
  std::string c = b;
  c[c.size() - 40] ^= 1;
  EXPECT_NE(err(c).find("checksum mismatch"), std::string::npos);
  std::string v = b;
  v[8] = 2;
  std::uint32_t crc = crc32(std::string_view(v).substr(0, v.size() - 4));
  std::memcpy(v.data() + v.size() - 4, &crc, 4);
  EXPECT_NE(err(v).find("version 2 is newer"), std::string::npos);
  EXPECT_NE(err("TMLDATA\0xxxxxxxxxxxxxxxxxx").find("bad magic"), std::string::npos);
}

TEST(NnModelFile, HeaderWithoutWeightListIsRefused) {
  // Found by fuzzing: a valid header lacking "blobs" escaped as an uncaught exception.
  ModelFile f;
  f.layers = preset_layers("mlp", {4}, 2);
  f.model = make_model(f.layers, {4}, 5);
  f.classes = {"a", "b"};
  nlohmann::json h = {{"format", "tinyml-model"}, {"input_shape", {4}}, {"layers", f.layers},
                      {"classes", f.classes}, {"normalization", f.normalization.json()}};
  std::string b = begin_container("TMLMODEL", kModelFormatVersion, h.dump());
  seal_container(b);
  EXPECT_THROW(deserialize_model(b, "m.tmm"), InputError);
}
