// Model declarations: a layer list (from tinyml.toml or a model file) as JSON objects,
// e.g. {"type": "conv1d", "filters": 8, "kernel": 3}, and the named presets users reach
// for. Mistakes are InputErrors naming the layer ("model.layers[2] (conv1d): ...").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tinyml/nn/model.hpp"

namespace tinyml::nn {

// Builds a model from a layer list for a per-sample input shape; checks every key and
// every shape before any training.
Model make_model(const nlohmann::json& layers, const Shape& input, std::uint64_t seed);

// A preset's layer list: mlp, cnn1d, cnn2d, ds-cnn, resnet8, autoencoder. `width` scales
// the number of filters/units (1 = the default size).
nlohmann::json preset_layers(const std::string& name, const Shape& input, int classes, double width = 1.0);

// The accepted layer types and their keys, for --help and error messages.
std::string layer_reference();

}  // namespace tinyml::nn
