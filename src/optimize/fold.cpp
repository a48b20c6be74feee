#include "tinyml/optimize/fold.hpp"

#include <cmath>

#include "tinyml/error.hpp"

namespace tinyml::optimize {

bool has_weights(const nn::Layer& l) {
  return dynamic_cast<const nn::Dense*>(&l) || dynamic_cast<const nn::Conv2D*>(&l) ||
         dynamic_cast<const nn::DepthwiseConv2D*>(&l);
}

std::vector<int> node_readers(const nn::Model& m) {
  std::vector<int> r(m.layers.size() + 1, 0);
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    ++r[m.source(i)];
    if (auto* a = dynamic_cast<const nn::Add*>(m.layers[i].get())) ++r[static_cast<std::size_t>(a->from + 1)];
  }
  return r;
}

std::vector<PlannedOp> plan_ops(nn::Model& m) {
  const auto read = node_readers(m);
  std::vector<PlannedOp> ops;
  const std::size_t L = m.layers.size();
  // Whether layer j directly continues node `node` and is its only reader.
  auto continues = [&](std::size_t j, std::size_t node) {
    return j < L && m.source(j) == node && read[node] == 1;
  };
  for (std::size_t i = 0; i < L; ++i) {
    nn::Layer& l = *m.layers[i];
    PlannedOp op;
    op.layer = i;
    op.input_node = m.source(i);
    op.output_node = i + 1;
    std::size_t next = i + 1;
    if (has_weights(l) && continues(next, op.output_node) && dynamic_cast<nn::BatchNorm*>(m.layers[next].get())) {
      op.batchnorm = next;
      op.output_node = next + 1;
      ++next;
    }
    const bool fusable = has_weights(l) || dynamic_cast<nn::Add*>(&l);
    if (fusable && continues(next, op.output_node))
      if (auto* a = dynamic_cast<nn::Activation*>(m.layers[next].get());
          a && (a->act() == nn::Act::ReLU || a->act() == nn::Act::ReLU6)) {
        op.activation = next;
        op.fused = a->act() == nn::Act::ReLU ? Fused::ReLU : Fused::ReLU6;
        op.output_node = next + 1;
        ++next;
      }
    ops.push_back(op);
    i = next - 1;
  }
  return ops;
}

FoldedWeights folded_weights(nn::Model& m, const PlannedOp& op) {
  nn::Layer& l = *m.layers.at(op.layer);
  auto ps = l.params();
  if (!has_weights(l) || ps.size() != 2) input_error("layer {} ({}) has no weights to fold", op.layer + 1, l.kind());
  FoldedWeights f;
  f.w = ps[0]->w;
  f.b = ps[1]->w;
  f.channels = f.b.size();
  f.channel_last = dynamic_cast<nn::DepthwiseConv2D*>(&l) != nullptr;
  if (!op.batchnorm) return f;
  auto* bn = dynamic_cast<nn::BatchNorm*>(m.layers.at(*op.batchnorm).get());
  if (!bn || bn->running_mean.size() != f.channels)
    input_error("layer {} (batchnorm) does not match the {} channels of layer {}", *op.batchnorm + 1, f.channels,
                op.layer + 1);
  auto bp = bn->params();  // gamma, beta
  const std::size_t per = f.w.size() / f.channels;
  for (std::size_t c = 0; c < f.channels; ++c) {
    const double g = static_cast<double>(bp[0]->w[c]) / std::sqrt(static_cast<double>(bn->running_var[c]) + bn->eps());
    f.b[c] = static_cast<float>((static_cast<double>(f.b[c]) - bn->running_mean[c]) * g + bp[1]->w[c]);
    for (std::size_t k = 0; k < per; ++k) {
      float& w = f.channel_last ? f.w[k * f.channels + c] : f.w[c * per + k];
      w = static_cast<float>(w * g);
    }
  }
  return f;
}

}  // namespace tinyml::optimize
