// The act stage's rules as the project file declares them ([actuators], [[rules]],
// [simulate]), and their compiled form: the runtime's const tables (tinyml_rt_rules.h)
// with names resolved against the model's classes and features. The same tables run on
// the host (HostRules, through the runtime library) and in the generated code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinyml_rt_rules.h"

namespace tinyml::act {

struct Actuator {
  std::string name;
  bool level = false;    // false: a switch (off 0, on 1); true: a level in [min, max]
  int min = 0, max = 1;
};

// One action of a rule as written: set an actuator, raise an alert or publish a message.
struct ActionSpec {
  enum class Kind { Set, Alert, Publish } kind = Kind::Set;
  std::string key;       // "rules[0].actions[1]", for messages
  std::string where;     // file:line:column of the action
  std::string target;    // actuator name, severity (info | warning | critical) or topic
  std::string text;      // alert text or message payload
  int level = 0;         // Set: the level (a switch: 0 off, 1 on)
};

struct RuleSpec {
  std::string name;
  std::string key, where;    // "rules[0]" and its file:line:column
  std::string signal;        // probability | probability.<class> | <feature>[.<stat>] | anomaly
  std::string when_class;    // empty: any predicted class
  bool above = true;         // above = on level (else below = on level)
  double on_level = 0, off_level = 0;
  int average = 1, windows = 1, release_windows = 1;
  std::uint32_t cooldown_s = 0;
  double active_from_h = 0, active_to_h = 0;  // equal: always
  std::vector<ActionSpec> actions, release_actions;
};

struct SimulateSpec {
  std::string part = "test";          // train | validation | test | all: the groups replayed
  std::vector<std::string> detectors; // rules whose firing is a detection; empty: every rule
  double grace_s = -1;                // a firing this long after an event still catches it;
                                      // < 0: one window's duration
  double speed = 0;                   // 0: as fast as possible; N: N x real time
};

struct ActConfig {
  std::vector<Actuator> actuators;
  std::vector<RuleSpec> rules;
  SimulateSpec simulate;
  std::string file;  // the project file, for messages
  bool enabled() const { return !rules.empty(); }
};

// The k-means anomaly detector behind the "anomaly" signal (the train stage's
// anomaly.tmc): score = distance to the nearest centroid / threshold, so 1 is the
// detector's threshold.
struct AnomalyTables {
  std::vector<float> centroids, offset, inv_scale;  // normalized units; per feature
  std::int32_t count = 0, dim = 0;
  float threshold = 1;
  tinyml_rt_centroid_params params() const;  // points into this object
};

// The rules compiled for one model: the runtime's tables and the names behind each index.
struct RuleTables {
  std::vector<tinyml_rt_signal> signals;
  std::vector<std::string> signal_names;  // "probability.event", "humidity.mean", ...
  std::vector<tinyml_rt_rule> rules;
  std::vector<tinyml_rt_rule_action> actions;
  std::vector<std::string> rule_names, actuator_names, texts, topics, payloads;
  std::vector<Actuator> actuators;
  std::vector<std::string> classes;
  std::size_t window_length = 1, features = 1;
  std::optional<AnomalyTables> anomaly;  // when a rule watches "anomaly" (external value 0)
  tinyml_rt_rules view() const;  // points into this object
};

// Resolves every name (class, feature, actuator, detector) against the model's classes and
// features; InputError naming the file and key of the first one that does not resolve.
// window_length x features is the model's input.
// `anomaly` is needed when a rule watches "anomaly".
RuleTables compile_rules(const ActConfig& c, const std::vector<std::string>& classes,
                         const std::vector<std::string>& features, std::size_t window_length,
                         const AnomalyTables* anomaly = nullptr);
bool uses_anomaly(const ActConfig& c);

// What the rules did at one step, in callback order.
struct Event {
  enum class Kind { Fired, Released, Set, Alert, Publish } kind = Kind::Fired;
  std::int32_t index = 0;  // rule, actuator, severity or message
  std::int32_t value = 0;  // Set: level; Alert: text
  bool operator==(const Event&) const = default;
};

// The rules on the host, through the runtime library: the same code as the device runs.
class HostRules {
 public:
  explicit HostRules(RuleTables t);
  // One step after an inference: `logits` are the model's int8 outputs (class_count),
  // `output_scale` their scale; `raw` the window the model saw. Fills the signal values and
  // returns the events.
  std::vector<Event> step(const std::int8_t* logits, float output_scale, const float* raw, std::uint32_t time_s);
  const std::vector<float>& signals() const { return values_; }
  float average(std::size_t rule) const { return states_[rule].average; }
  std::int32_t predicted_class() const { return predicted_; }
  const RuleTables& tables() const { return t_; }

 private:
  RuleTables t_;
  std::vector<tinyml_rt_rule_state> states_;
  std::vector<float> values_;
  std::int32_t predicted_ = -1;
};

// The class probabilities as the runtime computes them (int8 softmax of the logits,
// beta 1) and the predicted class (the largest logit, the lowest index on ties).
tinyml_rt_softmax_params softmax_params(float output_scale);
std::int32_t top_class(const std::int8_t* logits, std::size_t count);

std::string_view severity_name(std::int32_t severity);

}  // namespace tinyml::act
