#include "tinyml/nn/autoencoder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "tinyml/error.hpp"

namespace tinyml::nn {

namespace {

// Samples b..e of `order` as a batch of model inputs; `target` gets the same values flat.
void gather(const data::Dataset& d, const std::vector<std::size_t>& order, std::size_t b, std::size_t e,
            const Shape& shape, Tensor& x, std::vector<float>& target) {
  const std::size_t ss = d.sample_size();
  x.resize(static_cast<int>(e - b), shape);
  for (std::size_t i = b; i < e; ++i)
    std::copy_n(d.x.begin() + static_cast<std::ptrdiff_t>(order[i] * ss), ss,
                x.v.begin() + static_cast<std::ptrdiff_t>((i - b) * ss));
  target = x.v;
}

void check_shapes(const Model& m, const data::Dataset& d) {
  if (numel(m.input_shape) != d.sample_size())
    input_error("autoencoder: the model takes {} values per sample, the data has {}", numel(m.input_shape),
                d.sample_size());
  if (numel(m.output_shape()) != d.sample_size())
    input_error("autoencoder: the model's output {} must hold the {} values of a sample", to_string(m.output_shape()),
                d.sample_size());
}

// Runs `fn(first sample, output tensor)` over `d` in batches, in inference mode.
template <typename F>
void over_batches(Model& m, const data::Dataset& d, int batch_size, F fn) {
  std::vector<std::size_t> order(d.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto bs = static_cast<std::size_t>(std::max(batch_size, 1));
  Tensor x;
  std::vector<float> target;
  for (std::size_t b = 0; b < d.size(); b += bs) {
    const std::size_t e = std::min(d.size(), b + bs);
    gather(d, order, b, e, m.input_shape, x, target);
    fn(b, m.forward(x, false), target);
  }
}

// Every array that training changes and inference reads: the parameters and the
// BatchNorm running statistics (for keeping the best epoch's state).
std::vector<std::vector<float>*> state(Model& m) {
  std::vector<std::vector<float>*> out;
  for (Param* p : m.params()) out.push_back(&p->w);
  for (auto& l : m.layers)
    if (auto* bn = dynamic_cast<BatchNorm*>(l.get())) {
      out.push_back(&bn->running_mean);
      out.push_back(&bn->running_var);
    }
  return out;
}

double mean_loss(Model& m, const data::Dataset& d) {
  double sum = 0;
  std::size_t values = 0;
  over_batches(m, d, 256, [&](std::size_t, const Tensor& y, const std::vector<float>& target) {
    for (std::size_t i = 0; i < target.size(); ++i) {
      const double e = static_cast<double>(y.v[i]) - target[i];
      sum += e * e;
    }
    values += target.size();
  });
  return values ? sum / static_cast<double>(values) : 0.0;
}

}  // namespace

TrainResult train_autoencoder(Model& m, const data::Dataset& train, const data::Dataset* val,
                              const AutoencoderConfig& c, const EpochCallback& on_epoch) {
  if (train.size() == 0) input_error("autoencoder: the training set is empty");
  if (c.epochs <= 0) input_error("autoencoder: epochs must be at least 1");
  if (c.batch_size <= 0) input_error("autoencoder: batch_size must be at least 1");
  check_shapes(m, train);
  const bool has_val = val && val->size() > 0;
  if (has_val) check_shapes(m, *val);

  Optimizer opt(c.optimizer);
  TrainResult res;
  std::vector<std::vector<float>> best;
  double best_loss = INFINITY;
  std::vector<std::size_t> order(train.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  Tensor x, dy;
  std::vector<float> target;
  const auto bs = static_cast<std::size_t>(c.batch_size);
  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    data::Rng rng(c.seed + static_cast<std::uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL);
    rng.shuffle(order);
    double sum = 0;
    for (std::size_t b = 0; b < train.size(); b += bs) {
      const std::size_t e = std::min(train.size(), b + bs);
      gather(train, order, b, e, m.input_shape, x, target);
      m.zero_grad();
      const Tensor& y = m.forward(x, true);
      sum += static_cast<double>(mean_squared_error(y, target, dy)) * static_cast<double>(e - b);
      m.backward(dy);
      opt.step(m.params(), c.optimizer.lr);
    }
    EpochLog log;
    log.epoch = epoch + 1;
    log.lr = c.optimizer.lr;
    log.loss = static_cast<float>(sum / static_cast<double>(train.size()));
    if (has_val) {
      log.has_val = true;
      log.val_loss = static_cast<float>(mean_loss(m, *val));
    }
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.history.push_back(log);
    if (on_epoch) on_epoch(log, c.epochs);
    const double monitored = has_val ? log.val_loss : log.loss;
    if (monitored < best_loss) {
      best_loss = monitored;
      res.best_epoch = epoch + 1;
      if (c.keep_best) {
        best.clear();
        for (auto* v : state(m)) best.push_back(*v);
      }
    }
  }
  if (c.keep_best && !best.empty()) {
    auto st = state(m);
    for (std::size_t i = 0; i < st.size(); ++i) *st[i] = best[i];
  }
  return res;
}

std::vector<double> reconstruction_errors(Model& m, const data::Dataset& d, int batch_size) {
  check_shapes(m, d);
  const std::size_t ss = d.sample_size();
  std::vector<double> out(d.size());
  over_batches(m, d, batch_size, [&](std::size_t first, const Tensor& y, const std::vector<float>& target) {
    for (std::size_t i = 0; i < target.size() / ss; ++i) {
      double sum = 0;
      for (std::size_t k = i * ss; k < (i + 1) * ss; ++k) {
        const double e = static_cast<double>(y.v[k]) - target[k];
        sum += e * e;
      }
      out[first + i] = sum / static_cast<double>(ss);
    }
  });
  return out;
}

}  // namespace tinyml::nn
