#include "tinyml/optimize/structured.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/nn/spec.hpp"
#include "tinyml/optimize/fold.hpp"

namespace tinyml::optimize {

namespace {

bool is_producer(const nn::Layer& l) {
  return dynamic_cast<const nn::Dense*>(&l) || dynamic_cast<const nn::Conv2D*>(&l);
}

// Layers that carry each channel on its own (so a removed channel just disappears).
bool keeps_channels_apart(const nn::Layer& l) {
  if (auto* a = dynamic_cast<const nn::Activation*>(&l)) return a->act() != nn::Act::Softmax;
  return dynamic_cast<const nn::BatchNorm*>(&l) || dynamic_cast<const nn::Pool2D*>(&l) ||
         dynamic_cast<const nn::Dropout*>(&l) || dynamic_cast<const nn::GlobalAveragePool*>(&l);
}

bool is_flatten(const nn::Layer& l) {
  auto* r = dynamic_cast<const nn::Reshape*>(&l);
  return r && r->kind() == "flatten";
}

// A producer's removable channels and where they go.
struct Chain {
  std::size_t producer = 0, consumer = 0;
  std::vector<std::size_t> batchnorms;  // on the way
  std::size_t spatial = 1;              // positions per channel where a flatten feeds a dense consumer
  std::vector<std::size_t> keep;        // kept output channels of the producer, ascending
};

std::vector<Chain> chains(nn::Model& m) {
  const std::size_t L = m.layers.size();
  const std::vector<int> readers = node_readers(m);
  std::vector<bool> routed(L + 1, false);  // read by an add or an explicit input
  for (std::size_t i = 0; i < L; ++i) {
    const std::size_t src = m.source(i);
    if (m.layers[i]->input_from != nn::Layer::kPrevious) routed[src] = true;
    if (auto* a = dynamic_cast<const nn::Add*>(m.layers[i].get())) routed[static_cast<std::size_t>(a->from + 1)] = routed[src] = true;
  }
  std::size_t last = L;
  for (std::size_t i = 0; i < L; ++i)
    if (is_producer(*m.layers[i])) last = i;
  std::vector<Chain> out;
  for (std::size_t i = 0; i < L; ++i) {
    if (!is_producer(*m.layers[i]) || i == last) continue;
    Chain c;
    c.producer = i;
    bool ok = true;
    std::size_t j = i + 1;
    for (; j < L; ++j) {
      nn::Layer& l = *m.layers[j];
      if (readers[j] != 1 || routed[j] || l.input_from != nn::Layer::kPrevious) {
        ok = false;  // the channels reach more than one place
        break;
      }
      if (is_producer(l)) break;
      if (is_flatten(l)) {
        const auto& in = l.in_shape;
        c.spatial = nn::numel(in) / static_cast<std::size_t>(in.back());
        continue;
      }
      if (dynamic_cast<nn::BatchNorm*>(&l)) c.batchnorms.push_back(j);
      if (!keeps_channels_apart(l)) {
        ok = false;
        break;
      }
    }
    if (!ok || j >= L) continue;
    // A flatten may only feed a dense layer; a dense producer's units feed on directly.
    if (c.spatial > 1 && !dynamic_cast<nn::Dense*>(m.layers[j].get())) continue;
    c.consumer = j;
    out.push_back(c);
  }
  return out;
}

// Output channels of a producer's weights ([F][...]), their L1 norms.
std::vector<double> l1_norms(nn::Layer& l) {
  const auto& w = l.params()[0]->w;
  const std::size_t F = l.params()[1]->w.size(), per = w.size() / F;
  std::vector<double> n(F, 0.0);
  for (std::size_t f = 0; f < F; ++f)
    for (std::size_t k = 0; k < per; ++k) n[f] += std::fabs(w[f * per + k]);
  return n;
}

}  // namespace

StructuredResult prune_filters(const nlohmann::json& layers, nn::Model& m, double fraction) {
  if (!(fraction >= 0 && fraction < 1)) input_error("structured pruning fraction {} is not in [0, 1)", fraction);
  if (!layers.is_array() || layers.size() != m.layers.size())
    input_error("structured pruning needs one declared layer per built layer (separable_conv2d is not handled)");
  std::vector<Chain> cs = chains(m);
  StructuredResult r;
  r.layers = layers;
  std::map<std::size_t, const Chain*> by_producer, by_consumer, by_bn;
  for (Chain& c : cs) {
    nn::Layer& p = *m.layers[c.producer];
    auto norms = l1_norms(p);
    const std::size_t F = norms.size();
    const std::size_t drop = std::min(F - 1, static_cast<std::size_t>(std::floor(fraction * static_cast<double>(F))));
    std::vector<std::size_t> order(F);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return norms[a] > norms[b]; });
    c.keep.assign(order.begin(), order.begin() + static_cast<long>(F - drop));
    std::sort(c.keep.begin(), c.keep.end());
    if (drop == 0) continue;
    const bool dense = dynamic_cast<nn::Dense*>(&p) != nullptr;
    r.layers[c.producer][dense ? "units" : "filters"] = c.keep.size();
    r.changes.push_back(fmt::format("layer {} {}: {} -> {} {}", c.producer + 1, p.kind(), F, c.keep.size(),
                                    dense ? "units" : "filters"));
    by_producer[c.producer] = &c;
    by_consumer[c.consumer] = &c;
    for (std::size_t b : c.batchnorms) by_bn[b] = &c;
  }
  r.model = nn::make_model(r.layers, m.input_shape, 0);
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    auto olds = m.layers[i]->params();
    auto news = r.model.layers[i]->params();
    if (olds.empty()) continue;
    if (auto it = by_bn.find(i); it != by_bn.end()) {  // slice gamma, beta and the statistics
      const auto& keep = it->second->keep;
      auto* ob = dynamic_cast<nn::BatchNorm*>(m.layers[i].get());
      auto* nb = dynamic_cast<nn::BatchNorm*>(r.model.layers[i].get());
      for (std::size_t k = 0; k < keep.size(); ++k) {
        news[0]->w[k] = olds[0]->w[keep[k]];
        news[1]->w[k] = olds[1]->w[keep[k]];
        nb->running_mean[k] = ob->running_mean[keep[k]];
        nb->running_var[k] = ob->running_var[keep[k]];
      }
      continue;
    }
    if (!is_producer(*m.layers[i])) {
      for (std::size_t k = 0; k < olds.size(); ++k) news[k]->w = olds[k]->w;
      continue;
    }
    // Kept output rows and kept input columns (a column is an input channel of a conv, or
    // one input value of a dense layer).
    const std::size_t F = olds[1]->w.size(), per = olds[0]->w.size() / F;
    std::vector<std::size_t> rows(F), cols(per);
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    std::iota(cols.begin(), cols.end(), std::size_t{0});
    if (auto it = by_producer.find(i); it != by_producer.end()) rows = it->second->keep;
    if (auto it = by_consumer.find(i); it != by_consumer.end()) {
      const Chain& c = *it->second;
      const std::size_t C = m.layers[c.producer]->params()[1]->w.size();
      cols.clear();
      if (dynamic_cast<nn::Dense*>(m.layers[i].get())) {
        for (std::size_t s = 0; s < c.spatial; ++s)
          for (std::size_t ch : c.keep) cols.push_back(s * C + ch);
      } else {  // conv [F][kh][kw][C]: every tap keeps the kept channels
        for (std::size_t t = 0; t < per / C; ++t)
          for (std::size_t ch : c.keep) cols.push_back(t * C + ch);
      }
    }
    if (news[0]->w.size() != rows.size() * cols.size() || news[1]->w.size() != rows.size())
      failure("structured pruning: layer {} has {} weights, expected {} x {}", i + 1, news[0]->w.size(), rows.size(),
              cols.size());
    for (std::size_t a = 0; a < rows.size(); ++a) {
      news[1]->w[a] = olds[1]->w[rows[a]];
      for (std::size_t b = 0; b < cols.size(); ++b) news[0]->w[a * cols.size() + b] = olds[0]->w[rows[a] * per + cols[b]];
    }
  }
  return r;
}

double fraction_for_macs(const nlohmann::json& layers, nn::Model& m, double target) {
  const auto full = static_cast<double>(m.macs());
  for (int k = 1; k < 64; ++k) {
    const double f = k / 64.0;
    if (static_cast<double>(prune_filters(layers, m, f).model.macs()) <= target * full) return f;
  }
  return 0;
}

}  // namespace tinyml::optimize
