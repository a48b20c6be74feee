// Training an autoencoder on Datasets: the model learns to reproduce its input (every value
// of a sample, flattened), with the mean squared error as the loss. Its reconstruction
// error scores anomalies: samples unlike the (normal) training data reconstruct badly.
#pragma once

#include <cstdint>
#include <vector>

#include "tinyml/data/dataset.hpp"
#include "tinyml/nn/model.hpp"
#include "tinyml/nn/train.hpp"

namespace tinyml::nn {

struct AutoencoderConfig {
  int epochs = 30;
  int batch_size = 32;
  std::uint64_t seed = 42;  // the shuffling of every epoch (the weights are seeded by make_model)
  OptimizerConfig optimizer;
  bool keep_best = true;  // restore the weights of the epoch with the lowest validation loss
};

// Trains `m` (whose output has as many values as a sample) to reconstruct the samples of
// `train`; `val`, when given and not empty, is measured after every epoch. Labels are not
// read. An EpochLog's loss is the mean squared error; its accuracy fields stay 0.
// Deterministic for a given seed. InputError for an empty training set, bad epochs or
// batch size, or an output that is not the size of a sample.
TrainResult train_autoencoder(Model& m, const data::Dataset& train, const data::Dataset* val,
                              const AutoencoderConfig& cfg, const EpochCallback& on_epoch = {});

// Each sample's mean squared reconstruction error (over its values), in sample order.
std::vector<double> reconstruction_errors(Model& m, const data::Dataset& d, int batch_size = 256);

}  // namespace tinyml::nn
