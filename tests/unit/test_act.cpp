// The act stage on the host (label "act"): [actuators]/[[rules]]/[simulate] parsing and its
// errors, compiled tables, the generated rules code against the host's rules on the same
// windows, and the detection figures of a replay.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "tinyml/act/codegen.hpp"
#include "tinyml/act/rules.hpp"
#include "tinyml/act/simulate.hpp"
#include "tinyml/deploy/export.hpp"
#include "tinyml/error.hpp"
#include "tinyml/project.hpp"

using namespace tinyml;
namespace fs = std::filesystem;

namespace {

// A project with a model, [deploy] and the given act sections.
std::string project_with(const std::string& act) {
  return R"(
[[sources]]
path = "data.csv"
[data]
label = "label"
features = ["humidity", "temperature"]
class_names = ["normal", "event"]
[model]
preset = "mlp"
[optimize]
[deploy]
name = "home"
)" + act;
}

const std::string kFan = "[actuators]\nfan = \"switch\"\nspeed = { kind = \"level\", min = 0, max = 3 }\n";

std::string error_of(const std::string& act) {
  try {
    parse_project(project_with(act), "p/tinyml.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ActConfig, ParsesRulesActuatorsAndSimulate) {
  Project p = parse_project(project_with(kFan + R"(
[[rules]]
name = "hot_water"
signal = "probability.event"
above = 0.6
release = 0.3
average = 3
windows = 2
release_windows = 4
cooldown_s = 600
active_hours = [22, 6]
actions = [{ set = "fan", to = "on" }, { set = "speed", to = 2 }, { alert = "critical", text = "hot" },
           { publish = "home/kitchen", payload = "on" }]
release_actions = [{ set = "fan", to = "off" }]

[[rules]]
name = "dry"
signal = "humidity.mean"
below = 30
class = "normal"

[simulate]
part = "all"
detectors = ["hot_water"]
grace_s = 30
)"),
                            "p/tinyml.toml");
  ASSERT_TRUE(p.act.enabled());
  ASSERT_EQ(p.act.rules.size(), 2u);
  const act::RuleSpec& r = p.act.rules[0];
  EXPECT_EQ(r.name, "hot_water");
  EXPECT_TRUE(r.above);
  EXPECT_DOUBLE_EQ(r.on_level, 0.6);
  EXPECT_DOUBLE_EQ(r.off_level, 0.3);
  EXPECT_EQ(r.average, 3);
  EXPECT_EQ(r.windows, 2);
  EXPECT_EQ(r.release_windows, 4);
  EXPECT_EQ(r.cooldown_s, 600u);
  EXPECT_DOUBLE_EQ(r.active_from_h, 22);
  EXPECT_DOUBLE_EQ(r.active_to_h, 6);
  ASSERT_EQ(r.actions.size(), 4u);
  EXPECT_EQ(r.actions[1].level, 2);
  EXPECT_EQ(p.act.rules[1].off_level, 30);  // release defaults to the on level
  EXPECT_EQ(p.act.simulate.part, "all");
  EXPECT_EQ(p.act.simulate.grace_s, 30);
  // The rules belong to the exported code: the deploy stage's configuration holds them.
  EXPECT_NE(p.deploy_config.find("hot_water"), std::string::npos);
  EXPECT_EQ(p.data_config.find("hot_water"), std::string::npos);
  EXPECT_NE(p.simulate_config.find("grace_s"), std::string::npos);

  const act::RuleTables t = act::compile_rules(p.act, {"normal", "event"}, {"humidity", "temperature"}, 12);
  ASSERT_EQ(t.signals.size(), 2u);
  EXPECT_EQ(t.signal_names[0], "probability.event");
  EXPECT_EQ(t.signal_names[1], "humidity.mean");
  EXPECT_EQ(t.signals[1].kind, TINYML_RT_SIGNAL_FEATURE);
  EXPECT_EQ(t.signals[1].stat, TINYML_RT_STAT_MEAN);
  EXPECT_EQ(t.rules[0].active_from_s, 22u * 3600);
  EXPECT_EQ(t.rules[0].active_to_s, 6u * 3600);
  EXPECT_EQ(t.rules[1].when_class, 0);
  EXPECT_EQ(t.rules[1].compare, TINYML_RT_RULE_BELOW);
  EXPECT_EQ(t.actions.size(), 5u);
  EXPECT_EQ(t.actions[1].kind, TINYML_RT_ACTION_SET);
  EXPECT_EQ(t.actions[1].target, 1);
  EXPECT_EQ(t.actions[1].value, 2);
  EXPECT_EQ(t.texts, std::vector<std::string>{"hot"});
  EXPECT_EQ(t.topics, std::vector<std::string>{"home/kitchen"});
  const tinyml_rt_rules view = t.view();
  EXPECT_EQ(tinyml_rt_rules_check(&view), TINYML_RT_OK);
}

TEST(ActConfig, ErrorsNameTheKey) {
  const std::string rule = "[[rules]]\nname = \"r\"\n";
  // (act sections, a part of the error)
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kFan + rule + "above = 0.5\nactions = [{ set = \"fam\", to = \"on\" }]\n",
       "rules[0].actions[0].set: unknown actuator 'fam' (declared in [actuators]: fan, speed)"},
      {kFan + rule + "above = 0.5\nclass = \"evnt\"\n",
       "rules[0].class: 'evnt' is not a class of the model (classes: normal, event)"},
      {kFan + rule + "above = 0.5\nsignal = \"probability.hot\"\n",
       "rules[0].signal: 'hot' is not a class of the model"},
      {kFan + rule + "above = 50\nsignal = \"humidty\"\n",
       "rules[0].signal: 'humidty' is not a signal: expected probability, probability.<class> (classes: normal, "
       "event), <feature>[.last|.first|.mean|.min|.max|.delta] (features: humidity, temperature) or anomaly"},
      {kFan + rule + "above = 50\nsignal = \"humidity.median\"\n",
       "rules[0].signal: 'median' is not a statistic of a window"},
      {kFan + rule + "above = 1.5\n",
       "rules[0].above: 1.5 is impossible for a probability (between 0 and 1): the rule would never fire"},
      {kFan + rule + "above = 0\n",
       "the rule would always fire"},
      {kFan + rule + "above = 0.6\nrelease = 0.7\n",
       "rules[0].release: the off level 0.7 is above the on level 0.6"},
      {kFan + rule + "signal = \"humidity\"\nbelow = 30\nrelease = 20\n",
       "rules[0].release: the off level 20 is below the on level 30"},
      {kFan + rule + "above = 0.6\nbelow = 0.2\n",
       "rules[0].below: a rule has one on level"},
      {kFan + rule + "release = 0.2\n",
       "rules[0].above: a rule has one on level"},
      {kFan + rule + "above = 0.5\naverage = 17\n",
       "rules[0].average: 17 is out of range [1, 16]"},
      {kFan + rule + "above = 0.5\nwindows = 0\n",
       "rules[0].windows: 0 is out of range"},
      {kFan + rule + "above = 0.5\nactive_hours = [8, 8]\n",
       "rules[0].active_hours: from and to are the same"},
      {kFan + rule + "above = 0.5\nactive_hours = [8, 25]\n",
       "rules[0].active_hours: must be [from, to]"},
      {kFan + rule + "above = 0.5\nactions = [{ set = \"fan\", to = 1 }]\n",
       "rules[0].actions[0].to: 'fan' is a switch: to = \"on\" or \"off\""},
      {kFan + rule + "above = 0.5\nactions = [{ set = \"speed\", to = 4 }]\n",
       "rules[0].actions[0].to: 4 is out of range [0, 3]"},
      {kFan + rule + "above = 0.5\nactions = [{ alert = \"urgent\", text = \"x\" }]\n",
       "rules[0].actions[0].alert: 'urgent' is not a severity: expected info, warning or critical"},
      {kFan + rule + "above = 0.5\nactions = [{ alert = \"info\" }]\n",
       "an alert needs a text"},
      {kFan + rule + "above = 0.5\nactions = [{ set = \"fan\", to = \"on\", text = \"x\" }]\n",
       "rules[0].actions[0].text: text is for alert"},
      {kFan + rule + "above = 0.5\nactions = [{ set = \"fan\", alert = \"info\", text = \"x\" }]\n",
       "rules[0].actions[0]: an action has exactly one of set, alert or publish"},
      {kFan + rule + "above = 0.5\nfoo = 1\n",
       "unknown key 'rules[0].foo'"},
      {kFan + rule + "above = 0.5\n[[rules]]\nname = \"R\"\nabove = 0.5\n",
       "rules[1].name: two rules are named 'R'"},
      {kFan + "[[rules]]\nname = \"count\"\nabove = 0.5\n",
       "rules[0].name: a rule's name must be a C identifier"},
      {"[actuators]\nfan = \"dimmer\"\n" + rule + "above = 0.5\n",
       "actuators.fan: 'dimmer' is not an actuator kind"},
      {"[actuators]\nfan = { kind = \"level\", min = 5, max = 5 }\n" + rule + "above = 0.5\n",
       "actuators.fan.max: 5 is not above min 5"},
      {kFan,
       "[actuators] without [[rules]]"},
      {kFan + rule + "above = 0.5\n[simulate]\ndetectors = [\"x\"]\n",
       "simulate.detectors: 'x' is not a rule (rules: r)"},
      {kFan + rule + "above = 0.5\n[simulate]\npart = \"later\"\n",
       "simulate.part: 'later' is not valid"},
      {kFan + rule + "signal = \"anomaly\"\nabove = 2\n",
       "rules[0].signal: 'anomaly' is the score of the [anomaly] detector with method = \"kmeans\""},
      {"[simulate]\npart = \"test\"\n",
       "[simulate] replays data through the rules: the project has no [[rules]]"},
  };
  for (const auto& [toml, part] : cases) {
    const std::string error = error_of(toml);
    EXPECT_NE(error.find(part), std::string::npos) << "error: " << error << "\nexpected: " << part;
  }
  // Errors carry the line and column.
  EXPECT_NE(error_of(kFan + rule + "above = 0.5\nactions = [{ set = \"fam\", to = \"on\" }]\n").find("p/tinyml.toml:19:"),
            std::string::npos);
  try {
    parse_project(R"(
[[sources]]
path = "data.csv"
[[rules]]
above = 0.5
)",
                  "p/tinyml.toml");
    FAIL() << "rules without [deploy] were accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("[[rules]] run in the exported code: the project has no [deploy]"),
              std::string::npos);
  }
}

TEST(ActConfig, NamesUnknownWhenReadAreCheckedAgainstTheModel) {
  // Without class_names and features in [data], compile_rules checks them, naming the key.
  Project p = parse_project(R"(
[[sources]]
path = "data.csv"
[model]
preset = "mlp"
[optimize]
[deploy]
[[rules]]
signal = "pressure.max"
above = 1000
)",
                            "p/tinyml.toml");
  try {
    act::compile_rules(p.act, {"normal", "event"}, {"humidity", "temperature"}, 12);
    FAIL() << "an unknown feature was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("rules[0].signal: 'pressure.max' is not a signal"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("p/tinyml.toml:"), std::string::npos) << e.what();
  }
}

// A two-class model on windows of 4 readings x 2 features: one fully connected layer whose
// "event" logit grows with humidity and shrinks with temperature.
optimize::Int8File tiny_model() {
  optimize::Int8File f;
  f.classes = {"normal", "event"};
  f.normalization.method = "zscore";
  f.normalization.features = {"humidity", "temperature"};
  f.normalization.offset = {50, 20};
  f.normalization.scale = {5, 2};
  optimize::Int8Model& m = f.model;
  m.tensors.push_back({{4, 2}, {0.05f, 0}});
  m.tensors.push_back({{2}, {0.1f, -10}});
  m.input = 0;
  m.output = 1;
  m.input_offset = {50, 20};
  m.input_mul = {1.0f / (5 * 0.05f), 1.0f / (2 * 0.05f)};
  optimize::Int8Op op;
  op.kind = optimize::OpKind::FullyConnected;
  op.input = 0;
  op.output = 1;
  op.weight_shape = {2, 8};
  op.weights = {-20, 10, -20, 10, -20, 10, -20, 10, 30, -15, 30, -15, 30, -15, 30, -15};
  op.bias = {100, -200};
  op.weight_scales = {0.01f, 0.01f};
  op.multipliers.resize(2);
  op.shifts.resize(2);
  tinyml_rt_prepare_channel_multipliers(0.05f, op.weight_scales.data(), 2, 0.1f, op.multipliers.data(), op.shifts.data());
  m.ops.push_back(op);
  return f;
}

// Two devices: humidity around 50 with bursts to 60-70 (the events), temperature drifting;
// windows of 4 readings every 2 readings (5 s apart).
std::vector<act::Recording> tiny_recordings() {
  std::vector<act::Recording> recs;
  for (int dev = 0; dev < 2; ++dev) {
    act::Recording r;
    r.name = "device " + std::to_string(dev);
    r.part = "test";
    std::vector<float> hum, temp;
    for (int i = 0; i < 400; ++i) {
      const bool burst = (i % 97 > 60 && i % 97 < 75) || (dev == 1 && i > 300 && i < 310);
      hum.push_back(50.0f + 3.0f * std::sin(0.3f * static_cast<float>(i)) + (burst ? 15.0f : 0.0f));
      temp.push_back(20.0f + 0.01f * static_cast<float>(i) + (dev ? 1.0f : 0.0f));
    }
    r.readings = hum.size();
    r.t_first = 5;
    r.t_last = 5.0 * static_cast<double>(hum.size());
    for (std::size_t s = 0; s + 4 <= hum.size(); s += 2) {
      act::ReplayWindow w;
      w.t_begin = 5.0 * static_cast<double>(s + 1);
      w.t_end = 5.0 * static_cast<double>(s + 4);
      for (std::size_t k = s; k < s + 4; ++k) {
        w.raw.push_back(hum[k]);
        w.raw.push_back(temp[k]);
      }
      r.windows.push_back(std::move(w));
    }
    recs.push_back(std::move(r));
  }
  return recs;
}

TEST(ActGenerated, TheGeneratedRulesTakeTheHostsDecisions) {
  // Every condition kind and action kind, on probabilities, the predicted class and readings.
  Project p = parse_project(project_with(kFan + R"(
[[rules]]
name = "burst"
signal = "probability.event"
above = 0.7
release = 0.4
average = 3
windows = 2
release_windows = 2
cooldown_s = 300
actions = [{ set = "fan", to = "on" }, { alert = "warning", text = "burst" }, { publish = "t/burst", payload = "1" }]
release_actions = [{ set = "fan", to = "off" }, { publish = "t/burst", payload = "0" }]

[[rules]]
name = "predicted"
class = "event"
above = 0.55
actions = [{ set = "speed", to = 3 }]
release_actions = [{ set = "speed", to = 0 }]

[[rules]]
name = "damp"
signal = "humidity.max"
above = 62
release = 55
active_hours = [0.1, 0.5]
actions = [{ alert = "info", text = "damp" }]

[[rules]]
name = "rising"
signal = "humidity.delta"
above = 8
windows = 1
actions = [{ publish = "t/rising" }]

[[rules]]
name = "cool"
signal = "temperature.mean"
below = 20.5
release = 21
actions = [{ alert = "critical", text = "cool" }]

[[rules]]
name = "odd"
signal = "anomaly"
above = 1
release = 0.8
average = 2
actions = [{ publish = "t/odd" }]

[anomaly]
method = "kmeans"
)"),
                            "p/tinyml.toml");
  const optimize::Int8File f = tiny_model();
  // Three "normal" windows as centroids, in normalized units ((x - 50) / 5, (x - 20) / 2).
  act::AnomalyTables a;
  a.count = 3;
  a.dim = 8;
  a.offset = {50, 20};
  a.inv_scale = {0.2f, 0.5f};
  a.threshold = 1.5f;
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 4; ++i) {
      a.centroids.push_back(0.3f * static_cast<float>(k - 1));
      a.centroids.push_back(0.1f * static_cast<float>(i));
    }
  const act::RuleTables t = act::compile_rules(p.act, f.classes, f.normalization.features, 4, &a);
  const fs::path dir = fs::temp_directory_path() / "tinyml_test_act_generated";
  fs::remove_all(dir);
  deploy::ExportOptions eo;
  eo.name = "tiny";
  act::RulesCode code = act::generate_rules_code(t, eo.name, f.model.tensors[f.model.output].q.scale);
  eo.extra_sources = code.sources;
  eo.extra_runtime = code.runtime;
  const deploy::ExportResult r = deploy::export_model(f, dir / "export", eo);
  for (const char* file : {"src/tiny_rules.h", "src/tiny_rules.cpp", "src/rules.cpp", "src/rule_signals.cpp",
                           "src/softmax.cpp", "src/centroid_distance.cpp", "src/tinyml_rt_rules.h"})
    EXPECT_NE(std::find(r.files.begin(), r.files.end(), file), r.files.end()) << file;

  const std::vector<act::Recording> recs = tiny_recordings();
  const act::Steps generated = act::run_generated(dir / "export", "tiny", recs, dir / "replay");
  const act::Steps host = act::run_host(f, t, recs);
  ASSERT_EQ(generated.size(), host.size());
  std::size_t events = 0;
  std::vector<std::size_t> per_kind(5, 0);
  for (std::size_t k = 0; k < host.size(); ++k) {
    ASSERT_EQ(generated[k].size(), host[k].size());
    for (std::size_t i = 0; i < host[k].size(); ++i) {
      ASSERT_EQ(generated[k][i], host[k][i]) << recs[k].name << " window " << i;
      events += host[k][i].events.size();
      for (const auto& e : host[k][i].events) ++per_kind[static_cast<std::size_t>(e.kind)];
    }
  }
  // The rules did something of every kind (fired, released, set, alert, publish), every rule fired.
  for (std::size_t kind = 0; kind < 5; ++kind) EXPECT_GT(per_kind[kind], 0u) << "event kind " << kind;
  std::vector<std::size_t> fired(t.rules.size(), 0);
  for (const auto& rec : host)
    for (const auto& s : rec)
      for (const auto& e : s.events)
        if (e.kind == act::Event::Kind::Fired) ++fired[static_cast<std::size_t>(e.index)];
  for (std::size_t k = 0; k < fired.size(); ++k) EXPECT_GT(fired[k], 0u) << t.rule_names[k] << " never fired";
  EXPECT_GT(events, 20u);
  fs::remove_all(dir);
}

TEST(ActSimulate, CountsCaughtEventsDelaysAndFalseAlarms) {
  Project p = parse_project(project_with(kFan + R"(
[[rules]]
name = "hot"
above = 0.5
actions = [{ set = "fan", to = "on" }]
release_actions = [{ set = "fan", to = "off" }]
[[rules]]
name = "other"
above = 0.5
)"),
                            "p/tinyml.toml");
  const act::RuleTables t = act::compile_rules(p.act, {"normal", "event"}, {"humidity", "temperature"}, 2);
  // One hour of windows every 30 s; labelled events at 600-700 s and 2000-2100 s.
  act::Recording rec;
  rec.name = "device";
  rec.part = "test";
  rec.readings = 720;
  rec.t_first = 0;
  rec.t_last = 3600;
  rec.events = {{600, 700, 21}, {2000, 2100, 21}};
  act::Steps steps(1);
  for (double tt = 30; tt <= 3600; tt += 30) {
    rec.windows.push_back({tt - 5, tt, {}});
    act::Step s;
    s.predicted = 0;
    s.signals = {0.0f};
    s.averages = {0.0f, 0.0f};
    using K = act::Event::Kind;
    if (tt == 630) s.events = {{K::Fired, 0, 0}, {K::Set, 0, 1}};  // caught, 30 s after 600
    if (tt == 660) s.events = {{K::Released, 0, 0}, {K::Set, 0, 0}, {K::Fired, 1, 0}};  // "other" is no detector
    if (tt == 690) s.events = {{K::Fired, 0, 0}};     // the same event again
    if (tt == 1500) s.events = {{K::Released, 0, 0}, {K::Fired, 0, 0}};  // a false alarm
    steps[0].push_back(s);
  }
  act::SimulateOptions o;
  o.detectors = {"hot"};
  o.grace_s = 10;
  std::ostringstream timeline;
  const act::SimulateResult r = act::simulate(t, {rec}, steps, steps, o, timeline);
  EXPECT_TRUE(r.agree);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.caught, 1u);
  ASSERT_EQ(r.delays_s.size(), 1u);
  EXPECT_EQ(r.delays_s[0], 30);
  EXPECT_EQ(r.false_alarms, 1u);
  EXPECT_DOUBLE_EQ(r.hours, 1.0);
  EXPECT_NE(r.summary.find("caught 1 of 2"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("1 in 1.0 h of replay (1.00 per hour)"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("fan on x1"), std::string::npos) << r.summary;
  EXPECT_NE(timeline.str().find("[caught: 30 s after the event began]"), std::string::npos) << timeline.str();
  EXPECT_NE(timeline.str().find("[false alarm]"), std::string::npos);
  EXPECT_NE(timeline.str().find("labelled event ends: NOT CAUGHT"), std::string::npos);

  // A difference between the generated code and the host is reported with its window.
  act::Steps other = steps;
  other[0][5].predicted = 1;
  const act::SimulateResult d = act::simulate(t, {rec}, other, steps, o, timeline);
  EXPECT_FALSE(d.agree);
  EXPECT_NE(d.first_difference.find("device, window 5"), std::string::npos) << d.first_difference;
}

}  // namespace
