#include "tinyml/nn/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "tinyml/error.hpp"

namespace tinyml::nn {

Shape input_shape_for(const data::Dataset& d) {
  Shape s(d.shape.begin(), d.shape.end());
  return s;
}

namespace {

void fill_batch(const data::Dataset& d, const std::vector<std::size_t>& idx, std::size_t b, std::size_t e,
                const Shape& shape, Tensor& x, std::vector<std::int32_t>& y) {
  const std::size_t ss = d.sample_size();
  x.resize(static_cast<int>(e - b), shape);
  y.resize(e - b);
  for (std::size_t i = b; i < e; ++i) {
    std::copy_n(d.x.begin() + static_cast<long>(idx[i] * ss), ss, x.v.begin() + static_cast<long>((i - b) * ss));
    y[i - b] = d.y[idx[i]];
  }
}

float unit(data::Rng& r) {  // U(-1, 1)
  return static_cast<float>(static_cast<double>(r.next() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

void augment(Tensor& x, const TrainConfig& c, data::Rng& rng) {
  if (c.augment_shift == 0 && c.augment_scale == 0 && c.augment_noise == 0) return;
  const std::size_t ss = x.sample_size();
  const std::size_t len = x.shape.size() >= 2 ? static_cast<std::size_t>(x.shape[0]) : 1;
  const std::size_t feat = ss / len;
  std::vector<float> tmp(ss);
  for (int n = 0; n < x.n; ++n) {
    float* s = &x.v[static_cast<std::size_t>(n) * ss];
    if (c.augment_shift > 0 && len > 1) {
      auto shift = static_cast<long>(rng.below(static_cast<std::uint64_t>(2 * c.augment_shift + 1))) - c.augment_shift;
      for (std::size_t t = 0; t < len; ++t) {
        // Roll with edge clamping: steps shifted in from outside repeat the edge value.
        long src = std::clamp(static_cast<long>(t) - shift, 0L, static_cast<long>(len) - 1);
        std::copy_n(s + static_cast<std::size_t>(src) * feat, feat, tmp.begin() + static_cast<long>(t * feat));
      }
      std::copy(tmp.begin(), tmp.end(), s);
    }
    if (c.augment_scale > 0) {
      float k = 1.0f + c.augment_scale * unit(rng);
      for (std::size_t i = 0; i < ss; ++i) s[i] *= k;
    }
    if (c.augment_noise > 0)
      for (std::size_t i = 0; i < ss; ++i) s[i] += c.augment_noise * unit(rng);
  }
}

float rate_at(const TrainConfig& c, int epoch) {  // epoch from 0
  float lr = c.optimizer.lr;
  if (c.schedule == "step") {
    lr *= std::pow(c.step_gamma, static_cast<float>(epoch / std::max(c.step_every, 1)));
  } else if (c.schedule == "cosine") {
    // Half a cosine over the run, sampled at each epoch's start: the last epoch still
    // learns (at a small rate) instead of running with a rate of zero.
    float t = static_cast<float>(epoch) / static_cast<float>(std::max(c.epochs, 1));
    lr *= 0.5f * (1.0f + std::cos(3.14159265358979f * t));
  } else if (c.schedule != "constant") {
    input_error("train.schedule: '{}' is not valid: expected constant, step or cosine", c.schedule);
  }
  if (epoch < c.warmup_epochs)
    lr *= 0.1f + 0.9f * static_cast<float>(epoch) / static_cast<float>(c.warmup_epochs);
  return lr;
}

struct Snapshot {
  std::vector<std::vector<float>> weights;
  std::vector<std::vector<float>> bn_mean, bn_var;
};

Snapshot take(Model& m) {
  Snapshot s;
  for (Param* p : m.params()) s.weights.push_back(p->w);
  for (auto& l : m.layers)
    if (auto* bn = dynamic_cast<BatchNorm*>(l.get())) {
      s.bn_mean.push_back(bn->running_mean);
      s.bn_var.push_back(bn->running_var);
    }
  return s;
}

void restore(Model& m, const Snapshot& s) {
  auto ps = m.params();
  for (std::size_t i = 0; i < ps.size(); ++i) ps[i]->w = s.weights[i];
  std::size_t k = 0;
  for (auto& l : m.layers)
    if (auto* bn = dynamic_cast<BatchNorm*>(l.get())) {
      bn->running_mean = s.bn_mean[k];
      bn->running_var = s.bn_var[k++];
    }
}

// Loss and accuracy of the model on a dataset, in inference mode.
void evaluate(Model& m, const data::Dataset& d, const Shape& shape, const std::vector<float>& cw, float& loss,
              float& acc) {
  std::vector<std::size_t> idx(d.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  double l = 0;
  std::size_t correct = 0;
  Tensor x, dl;
  std::vector<std::int32_t> y;
  for (std::size_t b = 0; b < d.size(); b += 256) {
    std::size_t e = std::min(d.size(), b + 256);
    fill_batch(d, idx, b, e, shape, x, y);
    const Tensor& out = m.forward(x, false);
    l += softmax_cross_entropy(out, y, cw, 0.0f, dl) * static_cast<double>(e - b);
    const std::size_t K = static_cast<std::size_t>(out.shape.back());
    for (std::size_t i = 0; i < e - b; ++i) {
      const float* z = &out.v[i * K];
      if (std::max_element(z, z + K) - z == y[i]) ++correct;
    }
  }
  loss = d.size() ? static_cast<float>(l / static_cast<double>(d.size())) : 0.0f;
  acc = d.size() ? static_cast<float>(correct) / static_cast<float>(d.size()) : 0.0f;
}

}  // namespace

TrainResult train_classifier(Model& m, const data::Dataset& train, const data::Dataset* val, const TrainConfig& c,
                             const EpochCallback& on_epoch, const BatchCallback& on_batch) {
  if (train.size() == 0) input_error("train: the training set is empty");
  if (c.epochs <= 0) input_error("train.epochs must be at least 1");
  if (c.batch_size <= 0) input_error("train.batch_size must be at least 1");
  const Shape shape = m.input_shape;
  if (numel(shape) != train.sample_size())
    input_error("model input {} does not match the dataset's samples of {} values", to_string(shape),
                train.sample_size());
  const std::size_t K = train.classes.size();
  if (m.output_shape() != Shape{static_cast<int>(K)})
    input_error("the model's output {} must be [{}], one value per class", to_string(m.output_shape()), K);

  std::vector<float> cw;
  if (c.class_weights == "balanced") {
    auto counts = train.class_counts();
    cw.resize(K);
    for (std::size_t k = 0; k < K; ++k)
      cw[k] = counts[k] ? static_cast<float>(train.size()) / static_cast<float>(K * counts[k]) : 0.0f;
  } else if (c.class_weights != "none") {
    input_error("train.class_weights: '{}' is not valid: expected none or balanced", c.class_weights);
  }

  Optimizer opt(c.optimizer);
  TrainResult res;
  Snapshot best;
  float best_loss = INFINITY;
  int since_best = 0;
  std::vector<std::size_t> idx(train.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  data::Rng aug_rng(c.seed ^ 0xA5A5A5A5ULL);
  Tensor x, dl;
  std::vector<std::int32_t> y;
  const int batches = static_cast<int>((train.size() + static_cast<std::size_t>(c.batch_size) - 1) /
                                       static_cast<std::size_t>(c.batch_size));
  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    data::Rng rng(c.seed + static_cast<std::uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL);
    rng.shuffle(idx);
    EpochLog log;
    log.epoch = epoch + 1;
    log.lr = rate_at(c, epoch);
    double loss_sum = 0;
    std::size_t seen = 0, correct = 0;
    for (int bi = 0; bi < batches; ++bi) {
      std::size_t b = static_cast<std::size_t>(bi) * static_cast<std::size_t>(c.batch_size);
      std::size_t e = std::min(train.size(), b + static_cast<std::size_t>(c.batch_size));
      fill_batch(train, idx, b, e, shape, x, y);
      augment(x, c, aug_rng);
      m.zero_grad();
      if (c.before_forward) c.before_forward(m);
      const Tensor& out = m.forward(x, true);
      float l = softmax_cross_entropy(out, y, cw, c.label_smoothing, dl);
      for (std::size_t i = 0; i < e - b; ++i) {
        const float* z = &out.v[i * K];
        if (std::max_element(z, z + K) - z == y[i]) ++correct;
      }
      m.backward(dl, false);
      if (c.before_step) c.before_step(m);
      opt.step(m.params(), log.lr);
      loss_sum += static_cast<double>(l) * static_cast<double>(e - b);
      seen += e - b;
      if (on_batch)
        on_batch(epoch + 1, bi + 1, batches, static_cast<float>(loss_sum / static_cast<double>(seen)),
                 static_cast<float>(correct) / static_cast<float>(seen));
    }
    log.loss = static_cast<float>(loss_sum / static_cast<double>(seen));
    log.accuracy = static_cast<float>(correct) / static_cast<float>(seen);
    if (val && val->size() > 0) {
      log.has_val = true;
      evaluate(m, *val, shape, cw, log.val_loss, log.val_accuracy);
    }
    log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.history.push_back(log);
    if (on_epoch) on_epoch(log, c.epochs);
    const float monitored = log.has_val ? log.val_loss : log.loss;
    if (monitored < best_loss) {
      best_loss = monitored;
      res.best_epoch = epoch + 1;
      since_best = 0;
      if (c.keep_best) best = take(m);
    } else if (c.patience > 0 && ++since_best >= c.patience) {
      res.stopped_early = true;
      break;
    }
  }
  if (c.keep_best && !best.weights.empty()) restore(m, best);
  return res;
}

std::vector<float> predict_proba(Model& m, const data::Dataset& d, int batch_size) {
  std::vector<std::size_t> idx(d.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::vector<float> out;
  Tensor x;
  std::vector<std::int32_t> y;
  const auto bs = static_cast<std::size_t>(std::max(batch_size, 1));
  for (std::size_t b = 0; b < d.size(); b += bs) {
    std::size_t e = std::min(d.size(), b + bs);
    fill_batch(d, idx, b, e, m.input_shape, x, y);
    const Tensor& z = m.forward(x, false);
    const std::size_t K = static_cast<std::size_t>(z.shape.back());
    for (std::size_t i = 0; i < e - b; ++i) {
      const float* zi = &z.v[i * K];
      float mx = *std::max_element(zi, zi + K), s = 0;
      std::vector<float> p(K);
      for (std::size_t k = 0; k < K; ++k) s += (p[k] = std::exp(zi[k] - mx));
      for (std::size_t k = 0; k < K; ++k) out.push_back(p[k] / s);
    }
  }
  return out;
}

std::vector<std::int32_t> predict(Model& m, const data::Dataset& d, int batch_size) {
  std::vector<float> p = predict_proba(m, d, batch_size);
  std::vector<std::int32_t> y(d.size());
  const std::size_t K = d.size() ? p.size() / d.size() : 0;
  for (std::size_t i = 0; i < d.size(); ++i)
    y[i] = static_cast<std::int32_t>(std::max_element(p.begin() + static_cast<long>(i * K),
                                                      p.begin() + static_cast<long>((i + 1) * K)) -
                                     (p.begin() + static_cast<long>(i * K)));
  return y;
}

}  // namespace tinyml::nn
