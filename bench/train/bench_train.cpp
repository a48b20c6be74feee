// The tinyml side of the training benchmark (bench/train/run.sh): trains one model on a
// data-stage dataset, timing the training loop only (data already in memory), then
// prints a RESULT line with the time and the test accuracy. With --layers-out it also
// writes the resolved layer list, which the PyTorch side builds the same model from.
//
//   bench_train --job NAME --train train.tds --test test.tds (--preset P [--width W] | --layers F)
//               [--epochs 5] [--batch 64] [--lr 0.001] [--seed 42] [--threads 2]
//               [--class-weights none|balanced] [--layers-out F] [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "tinyml/data/dataset.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/parallel.hpp"
#include "tinyml/nn/spec.hpp"
#include "tinyml/nn/train.hpp"

using namespace tinyml;

int main(int argc, char** argv) {
  std::string job = "job", train_path, test_path, preset, layers_path, layers_out, class_weights = "none";
  double width = 1.0, lr = 1e-3;
  int epochs = 5, batch = 64, threads = 2, runs = 1;
  std::uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_train: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--job") job = next();
    else if (a == "--train") train_path = next();
    else if (a == "--test") test_path = next();
    else if (a == "--preset") preset = next();
    else if (a == "--width") width = std::stod(next());
    else if (a == "--layers") layers_path = next();
    else if (a == "--layers-out") layers_out = next();
    else if (a == "--epochs") epochs = std::stoi(next());
    else if (a == "--batch") batch = std::stoi(next());
    else if (a == "--lr") lr = std::stod(next());
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--runs") runs = std::max(1, std::stoi(next()));
    else if (a == "--class-weights") class_weights = next();
    else {
      std::fprintf(stderr, "bench_train: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  try {
    data::Dataset train = data::load_dataset(train_path), test = data::load_dataset(test_path);
    const nn::Shape input = nn::input_shape_for(train);
    nlohmann::json layers = layers_path.empty()
                                ? nn::preset_layers(preset, input, static_cast<int>(train.classes.size()), width)
                                : nlohmann::json::parse(read_file(layers_path));
    if (!layers_out.empty()) write_file_atomic(layers_out, layers.dump(1) + "\n");
    nn::set_threads(threads);
    nn::TrainConfig c;
    c.epochs = epochs;
    c.batch_size = batch;
    c.seed = seed;
    c.optimizer.kind = "adam";
    c.optimizer.lr = static_cast<float>(lr);
    c.class_weights = class_weights;
    c.keep_best = false;
    // Each run trains a fresh model from the same seed (so the same weights); the fastest
    // run's time is reported.
    double best = 1e300;
    nn::Model m;
    nn::TrainResult r;
    for (int run = 0; run < runs; ++run) {
      m = nn::make_model(layers, input, seed);
      auto t0 = std::chrono::steady_clock::now();
      r = nn::train_classifier(m, train, nullptr, c);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::vector<std::int32_t> pred = nn::predict(m, test);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == test.y[i];
    double acc = test.size() ? static_cast<double>(correct) / static_cast<double>(test.size()) : 0.0;
    fmt::print("RESULT side=tinyml job={} seconds={:.3f} accuracy={:.4f} final_loss={:.4f} params={} threads={} "
               "epochs={} runs={}\n",
               job, best, acc, r.history.back().loss, m.parameter_count(), threads, epochs, runs);
  } catch (const InputError& e) {
    std::fprintf(stderr, "bench_train: %s\n", e.what());
    return 2;
  }
  return 0;
}
