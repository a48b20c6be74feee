// Structured pruning: whole filters of convolution (and units of dense) layers are
// removed, smallest L1 norm first, and the layers that read them lose the matching input
// channels, so the model itself gets smaller: fewer parameters, fewer MACs, less flash.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/nn/model.hpp"

namespace tinyml::optimize {

struct StructuredResult {
  nlohmann::json layers;  // the smaller model's declaration
  nn::Model model;        // built from it, holding the kept weights
  std::vector<std::string> changes;  // "layer 2 conv2d: 16 -> 11 filters"
};

// Removes floor(fraction * filters) filters (at least one is kept) from every conv2d,
// conv1d and dense layer whose output reaches the next weight layer only through layers
// that keep channels apart (batchnorm, activations, pooling, dropout, global average pool,
// flatten into a dense layer). The last weight layer (the classes) and layers read by an
// add or an explicit `input` are left whole. `layers` is the model's declaration (the
// .tmm header's list); the model must be built from it.
StructuredResult prune_filters(const nlohmann::json& layers, nn::Model& m, double fraction);

// The fraction prune_filters needs for the model's MACs to fall to at most `target` times
// their count (searched in steps of 1/64); 0 when even the largest fraction cannot.
double fraction_for_macs(const nlohmann::json& layers, nn::Model& m, double target);

}  // namespace tinyml::optimize
