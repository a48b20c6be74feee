#include "tinyml/nn/model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tinyml/error.hpp"

namespace tinyml::nn {

void Model::build(const Shape& input, std::uint64_t seed) {
  input_shape = input;
  data::Rng rng(seed);
  Shape s = input;
  std::vector<Shape> outs;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    Layer& l = *layers[i];
    try {
      if (l.input_from != Layer::kPrevious) {
        if (l.input_from < -1 || l.input_from >= static_cast<int>(i))
          input_error("its input must be an earlier layer");
        s = l.input_from < 0 ? input : outs[static_cast<std::size_t>(l.input_from)];
      }
      if (auto* add = dynamic_cast<Add*>(&l)) {
        if (add->from < -1 || add->from >= static_cast<int>(i))
          input_error("add: 'from' must name an earlier layer (0..{}) or -1 for the input", static_cast<int>(i) - 1);
        const Shape& other = add->from < 0 ? input : outs[static_cast<std::size_t>(add->from)];
        if (other != s)
          input_error("add: the shapes differ: {} from layer {} and {} from the previous layer", to_string(other),
                      add->from, to_string(s));
      }
      s = l.build(s, rng);
    } catch (const InputError& e) {
      std::string msg = e.what(), prefix = l.kind() + ": ";
      if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());  // the layer is named already
      input_error("layer {} ({}): {}", i + 1, l.kind(), msg);
    }
    if (numel(s) == 0) input_error("layer {} ({}): output shape {} is empty", i + 1, l.kind(), to_string(s));
    outs.push_back(s);
  }
}

const Tensor& Model::forward(const Tensor& x, bool training) {
  acts_.resize(layers.size() + 1);
  acts_[0] = x;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (auto* add = dynamic_cast<Add*>(layers[i].get())) add->other = &acts_[static_cast<std::size_t>(add->from + 1)];
    layers[i]->forward(acts_[source(i)], acts_[i + 1], training);
  }
  return acts_.back();
}

const Tensor& Model::backward(const Tensor& dy, bool input_grad) {
  const std::size_t L = layers.size();
  // grads_[k] is the gradient of node k (0 = the model input, i + 1 = layer i's output).
  // Its buffer is kept from step to step; the first layer that feeds a node's gradient
  // writes it in place, later ones (residual branches) are added to it.
  grads_.resize(L + 1);
  has_grad_.assign(L + 1, false);
  grads_[L].reshape_for(dy.n, dy.shape);
  std::copy(dy.v.begin(), dy.v.end(), grads_[L].v.begin());
  has_grad_[L] = true;
  auto accumulate = [](Tensor& into, const Tensor& g) {
    for (std::size_t k = 0; k < g.v.size(); ++k) into.v[k] += g.v[k];
  };
  // Without input_grad, gradients are needed only for nodes after the first layer with
  // parameters: node k is layer k-1's output, so node k needs one when k > first.
  std::size_t first = L;
  for (std::size_t i = 0; i < L && first == L; ++i)
    if (!layers[i]->params().empty()) first = i;
  auto wanted = [&](std::size_t node) { return input_grad || node > first; };
  for (std::size_t i = L; i-- > 0;) {
    if (!input_grad && i < first) break;  // nothing before the first parameter needs a gradient
    if (!has_grad_[i + 1]) {  // an output nobody read (cannot happen for the last layer)
      grads_[i + 1].resize(acts_[i + 1].n, acts_[i + 1].shape);
      has_grad_[i + 1] = true;
    }
    const std::size_t src = source(i);
    layers[i]->input_grad = wanted(src);
    if (!wanted(src)) {
      layers[i]->backward(acts_[src], acts_[i + 1], grads_[i + 1], scratch_);
    } else if (!has_grad_[src]) {
      layers[i]->backward(acts_[src], acts_[i + 1], grads_[i + 1], grads_[src]);
      has_grad_[src] = true;
    } else {
      layers[i]->backward(acts_[src], acts_[i + 1], grads_[i + 1], scratch_);
      accumulate(grads_[src], scratch_);
    }
    if (auto* add = dynamic_cast<Add*>(layers[i].get())) {
      const auto other = static_cast<std::size_t>(add->from + 1);
      if (!wanted(other)) {
        // a node before the first parameter: its gradient is not wanted
      } else if (!has_grad_[other]) {
        std::swap(grads_[other], add->d_other);
        has_grad_[other] = true;
      } else {
        accumulate(grads_[other], add->d_other);
      }
    }
  }
  if (!input_grad) grads_[0].reshape_for(0, input_shape);
  return grads_[0];
}

std::size_t Model::source(std::size_t i) const {
  int f = layers[i]->input_from;
  return f == Layer::kPrevious ? i : static_cast<std::size_t>(f + 1);
}

std::vector<Param*> Model::params() {
  std::vector<Param*> out;
  for (auto& l : layers)
    for (Param* p : l->params()) out.push_back(p);
  return out;
}

void Model::zero_grad() {
  for (Param* p : params()) std::fill(p->g.begin(), p->g.end(), 0.0f);
}

std::size_t Model::parameter_count() {
  std::size_t n = 0;
  for (Param* p : params()) n += p->w.size();
  return n;
}

std::uint64_t Model::macs() const {
  std::uint64_t m = 0;
  for (const auto& l : layers) m += l->macs();
  return m;
}

std::vector<Model::LayerInfo> Model::layer_info() {
  std::vector<LayerInfo> rows;
  for (auto& l : layers) {
    std::size_t np = 0;
    for (Param* p : l->params()) np += p->w.size();
    rows.push_back({l->kind(), l->describe(), l->out_shape, np, l->macs()});
  }
  return rows;
}

std::string Model::summary() {
  std::string s = fmt::format("{:<4} {:<52} {:>16} {:>10} {:>12}\n", "#", "layer", "output", "params", "MACs");
  s += fmt::format("{:<4} {:<52} {:>16}\n", "", "input", to_string(input_shape));
  std::size_t i = 0;
  for (const LayerInfo& r : layer_info())
    s += fmt::format("{:<4} {:<52} {:>16} {:>10} {:>12}\n", ++i, r.description, to_string(r.output), r.parameters,
                     r.macs);
  s += fmt::format("total: {} parameters, {} MACs per inference\n", parameter_count(), macs());
  return s;
}

float softmax_cross_entropy(const Tensor& logits, const std::vector<std::int32_t>& labels,
                            const std::vector<float>& class_weights, float smoothing, Tensor& d) {
  const std::size_t K = static_cast<std::size_t>(logits.shape.back());
  const std::size_t N = static_cast<std::size_t>(logits.n);
  d.resize(logits.n, logits.shape);
  double loss = 0, wsum = 0;
  std::vector<double> p(K);
  for (std::size_t n = 0; n < N; ++n) {
    const float* z = &logits.v[n * K];
    const auto y = static_cast<std::size_t>(labels[n]);
    if (y >= K) failure("label {} out of range for {} classes", labels[n], K);
    const double w = class_weights.empty() ? 1.0 : class_weights[y];
    double mx = *std::max_element(z, z + K), s = 0;
    for (std::size_t k = 0; k < K; ++k) s += (p[k] = std::exp(static_cast<double>(z[k]) - mx));
    const double log_s = std::log(s);
    for (std::size_t k = 0; k < K; ++k) {
      double target = (k == y ? 1.0 - smoothing : 0.0) + smoothing / static_cast<double>(K);
      double logp = static_cast<double>(z[k]) - mx - log_s;
      loss -= w * target * logp;
      d.v[n * K + k] = static_cast<float>(w * (p[k] / s - target));
    }
    wsum += w;
  }
  if (wsum <= 0) return 0.0f;
  for (auto& g : d.v) g = static_cast<float>(g / wsum);
  return static_cast<float>(loss / wsum);
}

float mean_squared_error(const Tensor& pred, const std::vector<float>& target, Tensor& d) {
  d.resize(pred.n, pred.shape);
  double loss = 0;
  const double inv = 1.0 / static_cast<double>(pred.v.size());
  for (std::size_t i = 0; i < pred.v.size(); ++i) {
    double e = pred.v[i] - target[i];
    loss += e * e;
    d.v[i] = static_cast<float>(2.0 * e * inv);
  }
  return static_cast<float>(loss * inv);
}

void Optimizer::step(const std::vector<Param*>& params, float lr) {
  if (m_.size() != params.size()) {
    m_.assign(params.size(), {});
    v_.assign(params.size(), {});
    for (std::size_t i = 0; i < params.size(); ++i) {
      m_[i].assign(params[i]->w.size(), 0.0f);
      v_[i].assign(params[i]->w.size(), 0.0f);
    }
  }
  ++t_;
  const bool adam = c_.kind == "adam" || c_.kind == "adamw";
  const float bc1 = 1.0f - std::pow(c_.beta1, static_cast<float>(t_));
  const float bc2 = 1.0f - std::pow(c_.beta2, static_cast<float>(t_));
  for (std::size_t i = 0; i < params.size(); ++i) {
    Param& p = *params[i];
    auto& m = m_[i];
    auto& v = v_[i];
    const float wd = p.decay ? c_.weight_decay : 0.0f;
    for (std::size_t k = 0; k < p.w.size(); ++k) {
      float g = p.g[k];
      if (c_.kind != "adamw") g += wd * p.w[k];
      if (adam) {
        m[k] = c_.beta1 * m[k] + (1 - c_.beta1) * g;
        v[k] = c_.beta2 * v[k] + (1 - c_.beta2) * g * g;
        float upd = (m[k] / bc1) / (std::sqrt(v[k] / bc2) + c_.eps);
        if (c_.kind == "adamw") upd += wd * p.w[k];
        p.w[k] -= lr * upd;
      } else {
        m[k] = c_.momentum * m[k] + g;
        p.w[k] -= lr * m[k];
      }
    }
  }
}

}  // namespace tinyml::nn
