#include "tinyml/optimize/qat.hpp"

#include "tinyml/error.hpp"
#include "tinyml/optimize/fold.hpp"

namespace tinyml::optimize {

namespace {

// The weight tensor of a dense, conv or depthwise layer, its channel count and layout.
struct WeightView {
  nn::Param* w = nullptr;
  std::size_t channels = 0;
  bool last_axis = false;
};

std::vector<WeightView> weight_views(nn::Model& m) {
  std::vector<WeightView> out;
  for (auto& l : m.layers) {
    if (!has_weights(*l)) continue;
    const bool dw = dynamic_cast<nn::DepthwiseConv2D*>(l.get()) != nullptr;
    auto ps = l->params();
    out.push_back({ps[0], ps[1]->w.size(), dw});
  }
  return out;
}

}  // namespace

std::vector<std::optional<nn::Model::FakeQuant>> activation_grids(const std::vector<RangeObserver>& obs,
                                                                  const std::vector<std::size_t>& nodes,
                                                                  RangeMethod method) {
  std::vector<std::optional<nn::Model::FakeQuant>> g(obs.size());
  for (std::size_t k : nodes) {
    if (k >= obs.size()) input_error("node {} is not one of the model's {} nodes", k, obs.size());
    auto [lo, hi] = obs[k].choose(method);
    QParams q = asymmetric_int8(lo, hi);
    g[k] = nn::Model::FakeQuant{q.scale, q.zero_point};
  }
  return g;
}

void fake_quantize_weights(nn::Model& m) {
  for (const WeightView& v : weight_views(m)) {
    QuantizedWeights q = quantize_weights(v.w->w, v.channels, v.last_axis);
    const std::size_t per = v.w->w.size() / v.channels;
    for (std::size_t i = 0; i < q.q.size(); ++i) {
      const std::size_t c = v.last_axis ? i % v.channels : i / per;
      v.w->w[i] = static_cast<float>(q.q[i]) * q.scales[c];
    }
  }
}

nn::TrainResult qat_finetune(nn::Model& m, std::vector<std::optional<nn::Model::FakeQuant>> grids,
                             const data::Dataset& train, const data::Dataset* val, nn::TrainConfig cfg) {
  m.fake_quant = std::move(grids);
  std::vector<std::vector<float>> masters;
  cfg.before_forward = [&masters](nn::Model& model) {
    masters.clear();
    for (const WeightView& v : weight_views(model)) masters.push_back(v.w->w);
    fake_quantize_weights(model);
  };
  cfg.before_step = [&masters](nn::Model& model) {
    auto views = weight_views(model);
    for (std::size_t i = 0; i < views.size() && i < masters.size(); ++i) views[i].w->w = masters[i];
  };
  return nn::train_classifier(m, train, val, cfg);
}

}  // namespace tinyml::optimize
