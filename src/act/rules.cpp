#include "tinyml/act/rules.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rules_config.hpp"
#include "tinyml/error.hpp"

namespace tinyml::act {

namespace {

std::int32_t add_unique(std::vector<std::string>& v, const std::string& s) {
  auto it = std::find(v.begin(), v.end(), s);
  if (it != v.end()) return static_cast<std::int32_t>(it - v.begin());
  v.push_back(s);
  return static_cast<std::int32_t>(v.size() - 1);
}

std::int32_t severity_of(const std::string& s) {
  if (s == "info") return TINYML_RT_SEVERITY_INFO;
  if (s == "critical") return TINYML_RT_SEVERITY_CRITICAL;
  return TINYML_RT_SEVERITY_WARNING;
}

std::uint32_t seconds_of_day(double hours) {
  return static_cast<std::uint32_t>(std::lround(hours * 3600)) % TINYML_RT_SECONDS_PER_DAY;
}

}  // namespace

std::string_view severity_name(std::int32_t severity) {
  switch (severity) {
    case TINYML_RT_SEVERITY_INFO: return "info";
    case TINYML_RT_SEVERITY_CRITICAL: return "critical";
    default: return "warning";
  }
}

tinyml_rt_rules RuleTables::view() const {
  tinyml_rt_rules t{};
  t.rules = rules.data();
  t.rule_count = static_cast<std::int32_t>(rules.size());
  t.actions = actions.data();
  t.action_count = static_cast<std::int32_t>(actions.size());
  t.signal_count = static_cast<std::int32_t>(signals.size());
  t.class_count = static_cast<std::int32_t>(classes.size());
  t.actuator_count = static_cast<std::int32_t>(actuator_names.size());
  t.text_count = static_cast<std::int32_t>(texts.size());
  t.message_count = static_cast<std::int32_t>(topics.size());
  t.day_offset_s = 0;
  return t;
}

tinyml_rt_centroid_params AnomalyTables::params() const {
  return {centroids.data(), count, dim, offset.data(), inv_scale.data(), static_cast<std::int32_t>(offset.size())};
}

bool uses_anomaly(const ActConfig& c) {
  return std::any_of(c.rules.begin(), c.rules.end(), [](const RuleSpec& r) { return r.signal == "anomaly"; });
}

RuleTables compile_rules(const ActConfig& c, const std::vector<std::string>& classes,
                         const std::vector<std::string>& features, std::size_t window_length,
                         const AnomalyTables* anomaly) {
  if (classes.size() < 2) input_error("{}: [[rules]] need a classifier: the model has no class names", c.file);
  if (features.empty() || window_length == 0)
    input_error("{}: [[rules]] need the model's input features and window length", c.file);
  RuleTables t;
  t.classes = classes;
  t.window_length = window_length;
  t.features = features.size();
  t.actuators = c.actuators;
  for (const auto& a : c.actuators) t.actuator_names.push_back(a.name);
  const auto compile_actions = [&](const std::vector<ActionSpec>& specs, std::int32_t& first, std::int32_t& count) {
    first = static_cast<std::int32_t>(t.actions.size());
    count = static_cast<std::int32_t>(specs.size());
    for (const auto& a : specs) {
      tinyml_rt_rule_action x{};
      if (a.kind == ActionSpec::Kind::Set) {
        x.kind = TINYML_RT_ACTION_SET;
        x.target = add_unique(t.actuator_names, a.target);
        x.value = a.level;
      } else if (a.kind == ActionSpec::Kind::Alert) {
        x.kind = TINYML_RT_ACTION_ALERT;
        x.target = severity_of(a.target);
        x.value = add_unique(t.texts, a.text);
      } else {
        x.kind = TINYML_RT_ACTION_PUBLISH;
        std::int32_t k = -1;
        for (std::size_t i = 0; i < t.topics.size(); ++i)
          if (t.topics[i] == a.target && t.payloads[i] == a.text) k = static_cast<std::int32_t>(i);
        if (k < 0) {
          t.topics.push_back(a.target);
          t.payloads.push_back(a.text);
          k = static_cast<std::int32_t>(t.topics.size() - 1);
        }
        x.target = k;
      }
      t.actions.push_back(x);
    }
  };
  for (const RuleSpec& r : c.rules) {
    const tinyml_rt_signal sig = resolve_signal(r, classes, features);
    if (sig.kind == TINYML_RT_SIGNAL_EXTERNAL) {
      if (anomaly == nullptr)
        input_error("{}: {}.signal: 'anomaly' needs the train stage's k-means [anomaly] detector", r.where, r.key);
      if (static_cast<std::size_t>(anomaly->dim) != window_length * features.size() ||
          anomaly->offset.size() != features.size())
        input_error("{}: {}.signal: the [anomaly] detector reads {} values, the model's windows have {}", r.where,
                    r.key, anomaly->dim, window_length * features.size());
      t.anomaly = *anomaly;
    }
    std::string name = r.signal;
    if (sig.kind == TINYML_RT_SIGNAL_FEATURE) name = features[static_cast<std::size_t>(sig.index)] + "." + kStatNames[sig.stat];
    tinyml_rt_rule x{};
    x.signal = -1;
    for (std::size_t i = 0; i < t.signals.size(); ++i) {
      const tinyml_rt_signal& g = t.signals[i];
      if (g.kind == sig.kind && g.index == sig.index && g.stat == sig.stat) x.signal = static_cast<std::int32_t>(i);
    }
    if (x.signal < 0) {
      t.signals.push_back(sig);
      t.signal_names.push_back(name);
      x.signal = static_cast<std::int32_t>(t.signals.size() - 1);
    }
    x.when_class = -1;
    if (!r.when_class.empty())
      x.when_class = static_cast<std::int32_t>(std::find(classes.begin(), classes.end(), r.when_class) - classes.begin());
    x.compare = r.above ? TINYML_RT_RULE_ABOVE : TINYML_RT_RULE_BELOW;
    x.on_level = static_cast<float>(r.on_level);
    x.off_level = static_cast<float>(r.off_level);
    x.average = r.average;
    x.on_windows = r.windows;
    x.off_windows = r.release_windows;
    x.cooldown_s = r.cooldown_s;
    x.active_from_s = seconds_of_day(r.active_from_h);
    x.active_to_s = seconds_of_day(r.active_to_h);
    compile_actions(r.actions, x.first_action, x.action_count);
    compile_actions(r.release_actions, x.first_release_action, x.release_action_count);
    t.rules.push_back(x);
    t.rule_names.push_back(r.name);
  }
  const tinyml_rt_rules view = t.view();
  if (tinyml_rt_rules_check(&view) != TINYML_RT_OK)
    failure("{}: the compiled rule tables fail the runtime's check (an internal error)", c.file);
  return t;
}

tinyml_rt_softmax_params softmax_params(float output_scale) {
  tinyml_rt_softmax_params p{};
  if (tinyml_rt_prepare_softmax(1.0f, output_scale, &p) != TINYML_RT_OK)
    failure("the model's output scale {} cannot be prepared for the softmax", output_scale);
  return p;
}

std::int32_t top_class(const std::int8_t* logits, std::size_t count) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < count; ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<std::int32_t>(best);
}

HostRules::HostRules(RuleTables t) : t_(std::move(t)), states_(t_.rules.size()), values_(t_.signals.size()) {
  const tinyml_rt_rules v = t_.view();
  if (tinyml_rt_rules_reset(&v, states_.data(), static_cast<std::int32_t>(states_.size())) != TINYML_RT_OK)
    failure("the rule tables fail the runtime's check");
}

std::vector<Event> HostRules::step(const std::int8_t* logits, float output_scale, const float* raw,
                                   std::uint32_t time_s) {
  const std::size_t n = t_.classes.size();
  std::vector<std::int8_t> probs(n);
  const tinyml_rt_softmax_params sp = softmax_params(output_scale);
  const tinyml_rt_shape shape = {1, {static_cast<std::int32_t>(n), 1, 1, 1}};
  if (tinyml_rt_softmax_s8(&sp, &shape, logits, &shape, probs.data()) != TINYML_RT_OK)
    failure("the runtime's softmax refused the model's outputs");
  predicted_ = top_class(logits, n);
  tinyml_rt_signal_sources src{};
  src.probabilities = probs.data();
  src.class_count = static_cast<std::int32_t>(n);
  src.predicted_class = predicted_;
  src.raw = raw;
  src.length = static_cast<std::int32_t>(t_.window_length);
  src.features = static_cast<std::int32_t>(t_.features);
  float external = 0.0f;
  if (t_.anomaly) {
    const tinyml_rt_centroid_params cp = t_.anomaly->params();
    float distance = 0.0f;
    if (tinyml_rt_nearest_centroid_f32(&cp, raw, &distance) != TINYML_RT_OK)
      failure("the runtime refused the anomaly detector's centroids");
    external = distance / t_.anomaly->threshold;
    src.external = &external;
    src.external_count = 1;
  }
  if (tinyml_rt_rule_signals(t_.signals.data(), static_cast<std::int32_t>(t_.signals.size()), &src, values_.data()) !=
      TINYML_RT_OK)
    failure("the runtime refused the rules' signals");
  std::vector<Event> events;
  tinyml_rt_rule_callbacks cb{};
  cb.user = &events;
  cb.rule = [](void* u, std::int32_t r, std::int32_t active) {
    static_cast<std::vector<Event>*>(u)->push_back({active ? Event::Kind::Fired : Event::Kind::Released, r, 0});
  };
  cb.actuator = [](void* u, std::int32_t a, std::int32_t level) {
    static_cast<std::vector<Event>*>(u)->push_back({Event::Kind::Set, a, level});
  };
  cb.alert = [](void* u, std::int32_t severity, std::int32_t text) {
    static_cast<std::vector<Event>*>(u)->push_back({Event::Kind::Alert, severity, text});
  };
  cb.publish = [](void* u, std::int32_t m) { static_cast<std::vector<Event>*>(u)->push_back({Event::Kind::Publish, m, 0}); };
  const tinyml_rt_rules v = t_.view();
  if (tinyml_rt_rules_step(&v, states_.data(), static_cast<std::int32_t>(states_.size()), predicted_, values_.data(),
                           static_cast<std::int32_t>(values_.size()), time_s, &cb) != TINYML_RT_OK)
    failure("the runtime refused a rules step");
  return events;
}

}  // namespace tinyml::act
