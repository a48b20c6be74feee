// Training a classifier model on Datasets: mini-batches, class weights, label smoothing,
// learning-rate schedules, time-series augmentation, early stopping on validation loss
// and the best checkpoint kept. Deterministic: same data and seed give the same weights,
// bit for bit, on any number of threads.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tinyml/data/dataset.hpp"
#include "tinyml/nn/model.hpp"

namespace tinyml::nn {

struct TrainConfig {
  int epochs = 20;
  int batch_size = 32;
  std::uint64_t seed = 42;
  OptimizerConfig optimizer;
  std::string schedule = "constant";  // constant | step | cosine
  int step_every = 10;                // step: multiply the rate by step_gamma every N epochs
  float step_gamma = 0.1f;
  int warmup_epochs = 0;              // linear warm-up from lr / 10
  int patience = 0;                   // early stopping after N epochs without a better
                                      // validation loss; 0 = off
  bool keep_best = true;              // restore the weights of the best validation epoch
  std::string class_weights = "none";  // none | balanced
  float label_smoothing = 0.0f;
  // Time-series augmentation of training windows ([length, features] samples).
  int augment_shift = 0;        // roll each window by up to +-N steps
  float augment_scale = 0.0f;   // multiply by 1 + U(-s, s)
  float augment_noise = 0.0f;   // add U(-a, a) noise (uniform, deterministic)
  // Called before each batch's forward pass and before its optimizer step (quantization-
  // aware training swaps fake-quantized weights in and the float weights back); may be
  // empty.
  std::function<void(Model&)> before_forward, before_step;
};

struct EpochLog {
  int epoch = 0;
  float lr = 0, loss = 0, accuracy = 0;
  float val_loss = 0, val_accuracy = 0;
  bool has_val = false;
  double seconds = 0;
};

struct TrainResult {
  std::vector<EpochLog> history;
  int best_epoch = 0;
  bool stopped_early = false;
};

// Called after every epoch (for progress display); may be empty.
using EpochCallback = std::function<void(const EpochLog&, int epochs)>;
// Called after every batch with the batch number, the batches per epoch, and the epoch's
// running loss and accuracy so far.
using BatchCallback = std::function<void(int epoch, int batch, int batches, float loss, float accuracy)>;

TrainResult train_classifier(Model& m, const data::Dataset& train, const data::Dataset* val,
                             const TrainConfig& cfg, const EpochCallback& on_epoch = {},
                             const BatchCallback& on_batch = {});

// Class probabilities per sample (softmax of the model output), [n][classes].
std::vector<float> predict_proba(Model& m, const data::Dataset& d, int batch_size = 256);
std::vector<std::int32_t> predict(Model& m, const data::Dataset& d, int batch_size = 256);

// The model's input shape for a dataset's sample shape: [length, features] windows are
// 1-D signals; [h, w] images get one channel.
Shape input_shape_for(const data::Dataset& d);

}  // namespace tinyml::nn
