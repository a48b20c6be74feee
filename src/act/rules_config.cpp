#include "rules_config.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "../project/section.hpp"
#include "tinyml/error.hpp"

namespace tinyml::act {

using project_detail::Section;
using project_detail::where;

namespace {

bool is_identifier(const std::string& s) {
  bool ok = !s.empty() && s.size() <= 40 && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_');
  for (char c : s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  return ok;
}

// Names become constants <NAME>_RULE_<RULE> and <NAME>_ACTUATOR_<ACTUATOR> in the generated
// header: unique in upper case, and not COUNT (the count's constant).
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_probability(const std::string& signal) { return signal == "probability" || signal.starts_with("probability."); }

std::string list(const std::vector<std::string>& v) { return v.empty() ? "none" : fmt::format("{}", fmt::join(v, ", ")); }

[[noreturn]] void rule_error(const RuleSpec& r, std::string_view key, const std::string& msg) {
  input_error("{}: {}.{}: {}", r.where, r.key, key, msg);
}

std::vector<Actuator> parse_actuators(const Section& top, const std::string& file) {
  std::vector<Actuator> out;
  const toml::table* t = top.table("actuators");
  if (t == nullptr) return out;
  Section s(*t, "actuators", file);
  for (auto&& [k, v] : *t) {
    Actuator a;
    a.name = std::string(k.str());
    if (!is_identifier(a.name) || upper(a.name) == "COUNT")
      s.fail(k.str(), "an actuator's name must be a C identifier (letters, digits and _, at most 40, not "
                      "'count'), it names a constant in the generated code");
    for (const auto& b : out)
      if (upper(b.name) == upper(a.name))
        s.fail(k.str(), fmt::format("'{}' and '{}' would name the same constant in the generated code", b.name, a.name));
    std::string kind;
    if (v.is_string()) {
      kind = std::string(*v.as_string());
    } else if (v.is_table()) {
      Section as(*v.as_table(), s.key(k.str()), file, {"kind", "min", "max"});
      kind = as.str("kind").value_or("switch");
      if (kind == "level") {
        a.min = static_cast<int>(as.integer("min", -1'000'000, 1'000'000).value_or(0));
        a.max = static_cast<int>(as.integer("max", -1'000'000, 1'000'000).value_or(100));
        if (a.min >= a.max) as.fail("max", fmt::format("{} is not above min {}", a.max, a.min));
      } else if (as.has("min") || as.has("max")) {
        as.fail(as.has("min") ? "min" : "max", "min and max are for kind = \"level\"");
      }
    } else {
      s.fail(k.str(), "must be \"switch\", \"level\" or a table { kind = \"level\", min = 0, max = 100 }");
    }
    if (kind != "switch" && kind != "level")
      s.fail(k.str(), fmt::format("'{}' is not an actuator kind: expected switch or level", kind));
    a.level = kind == "level";
    out.push_back(a);
  }
  return out;
}

ActionSpec parse_action(const toml::node& n, const std::string& key, const std::string& file,
                        const std::vector<Actuator>& actuators) {
  ActionSpec a;
  a.key = key;
  a.where = where(file, n.source());
  if (!n.is_table())
    input_error("{}: {}: an action is a table: {{ set = \"fan\", to = \"on\" }}, {{ alert = \"warning\", text = "
                "\"...\" }} or {{ publish = \"topic\", payload = \"...\" }}",
                a.where, key);
  Section s(*n.as_table(), key, file, {"set", "to", "alert", "text", "publish", "payload"});
  const int kinds = int(s.has("set")) + int(s.has("alert")) + int(s.has("publish"));
  if (kinds != 1)
    input_error("{}: {}: an action has exactly one of set, alert or publish", a.where, key);
  if (auto v = s.str("set")) {
    a.kind = ActionSpec::Kind::Set;
    a.target = *v;
    auto it = std::find_if(actuators.begin(), actuators.end(), [&](const Actuator& x) { return x.name == *v; });
    if (it == actuators.end()) {
      std::vector<std::string> names;
      for (const auto& x : actuators) names.push_back(x.name);
      s.fail("set", fmt::format("unknown actuator '{}' (declared in [actuators]: {})", *v, list(names)));
    }
    const toml::node* to = s.node("to");
    if (to == nullptr) s.fail("set", "needs to = \"on\" or \"off\" (a switch) or to = a level");
    if (!it->level) {
      if (!to->is_string() || (to->value_or(std::string_view()) != "on" && to->value_or(std::string_view()) != "off"))
        s.fail("to", fmt::format("'{}' is a switch: to = \"on\" or \"off\"", it->name));
      a.level = to->value_or(std::string_view()) == "on" ? 1 : 0;
    } else {
      if (!to->is_integer())
        s.fail("to", fmt::format("'{}' is a level actuator: to = an integer in [{}, {}]", it->name, it->min, it->max));
      a.level = static_cast<int>(*s.integer("to", it->min, it->max));
    }
  } else if (auto sev = s.str("alert")) {
    a.kind = ActionSpec::Kind::Alert;
    if (*sev != "info" && *sev != "warning" && *sev != "critical")
      s.fail("alert", fmt::format("'{}' is not a severity: expected info, warning or critical", *sev));
    a.target = *sev;
    auto t = s.str("text");
    if (!t || t->empty()) s.fail("alert", "an alert needs a text = \"...\"");
    a.text = *t;
  } else {
    a.kind = ActionSpec::Kind::Publish;
    a.target = *s.str("publish");
    if (a.target.empty()) s.fail("publish", "the topic is empty");
    a.text = s.str("payload").value_or("");
  }
  if (a.kind != ActionSpec::Kind::Set && s.has("to")) s.fail("to", "to is for set = \"<actuator>\"");
  if (a.kind != ActionSpec::Kind::Alert && s.has("text")) s.fail("text", "text is for alert = \"<severity>\"");
  if (a.kind != ActionSpec::Kind::Publish && s.has("payload")) s.fail("payload", "payload is for publish = \"<topic>\"");
  return a;
}

std::vector<ActionSpec> parse_actions(const Section& s, std::string_view k, const std::string& file,
                                      const std::vector<Actuator>& actuators) {
  std::vector<ActionSpec> out;
  const toml::node* n = s.node(k);
  if (n == nullptr) return out;
  if (!n->is_array()) s.fail(k, "must be an array of action tables");
  std::size_t i = 0;
  for (auto&& e : *n->as_array()) out.push_back(parse_action(e, fmt::format("{}[{}]", s.key(k), i++), file, actuators));
  return out;
}

RuleSpec parse_rule(const toml::table& t, std::size_t index, const std::string& file,
                    const std::vector<Actuator>& actuators) {
  RuleSpec r;
  r.key = fmt::format("rules[{}]", index);
  r.where = where(file, t.source());
  Section s(t, r.key, file,
            {"name", "signal", "class", "above", "below", "release", "average", "windows", "release_windows",
             "cooldown_s", "active_hours", "actions", "release_actions"});
  r.name = s.str("name").value_or(fmt::format("rule{}", index));
  if (!is_identifier(r.name) || upper(r.name) == "COUNT")
    s.fail("name", "a rule's name must be a C identifier (letters, digits and _, at most 40, not 'count'), it "
                   "names a constant in the generated code");
  r.signal = s.str("signal").value_or("probability");
  r.when_class = s.str("class").value_or("");
  if (s.has("above") == s.has("below"))
    s.fail(s.has("above") ? "below" : "above", "a rule has one on level: above = X (fires at X or more) or below = X "
                                               "(fires at X or less)");
  r.above = s.has("above");
  const char* on_key = r.above ? "above" : "below";
  r.on_level = *s.number(on_key, -1e30, 1e30);
  r.off_level = s.number("release", -1e30, 1e30).value_or(r.on_level);
  if (is_probability(r.signal)) {
    if (r.above ? !(r.on_level > 0 && r.on_level <= 1) : !(r.on_level >= 0 && r.on_level < 1))
      s.fail(on_key, fmt::format("{} is impossible for a probability (between 0 and 1): the rule would {}", r.on_level,
                                 (r.above ? r.on_level > 1 : r.on_level < 0) ? "never fire" : "always fire"));
    if (r.off_level < 0 || r.off_level > 1)
      s.fail("release", fmt::format("{} is impossible for a probability (between 0 and 1)", r.off_level));
  }
  if (r.above && r.off_level > r.on_level)
    s.fail("release", fmt::format("the off level {} is above the on level {}: with above = X the rule releases "
                                  "below release, so release must be at most X (hysteresis)",
                                  r.off_level, r.on_level));
  if (!r.above && r.off_level < r.on_level)
    s.fail("release", fmt::format("the off level {} is below the on level {}: with below = X the rule releases "
                                  "above release, so release must be at least X (hysteresis)",
                                  r.off_level, r.on_level));
  r.average = static_cast<int>(s.integer("average", 1, TINYML_RT_RULE_MAX_AVERAGE).value_or(1));
  r.windows = static_cast<int>(s.integer("windows", 1, 100'000).value_or(1));
  r.release_windows = static_cast<int>(s.integer("release_windows", 1, 100'000).value_or(1));
  r.cooldown_s = static_cast<std::uint32_t>(s.integer("cooldown_s", 0, 100'000'000).value_or(0));
  if (auto h = s.numbers("active_hours")) {
    if (h->size() != 2 || (*h)[0] < 0 || (*h)[0] >= 24 || (*h)[1] < 0 || (*h)[1] > 24)
      s.fail("active_hours", "must be [from, to]: hours of the day, from in [0, 24), to in [0, 24] (to < from "
                             "wraps past midnight)");
    r.active_from_h = (*h)[0];
    r.active_to_h = (*h)[1] == 24 ? 0 : (*h)[1];
    if (r.active_from_h == r.active_to_h)
      s.fail("active_hours", "from and to are the same hour: an empty (or whole-day) window; leave active_hours "
                             "out for a rule active at any time");
  }
  r.actions = parse_actions(s, "actions", file, actuators);
  r.release_actions = parse_actions(s, "release_actions", file, actuators);
  return r;
}

}  // namespace

tinyml_rt_signal resolve_signal(const RuleSpec& r, const std::vector<std::string>& classes,
                                const std::vector<std::string>& features) {
  const auto index_in = [](const std::vector<std::string>& v, const std::string& name) {
    auto it = std::find(v.begin(), v.end(), name);
    return it == v.end() ? -1 : static_cast<std::int32_t>(it - v.begin());
  };
  if (!r.when_class.empty() && !classes.empty() && index_in(classes, r.when_class) < 0)
    rule_error(r, "class", fmt::format("'{}' is not a class of the model (classes: {})", r.when_class, list(classes)));
  const std::string& sig = r.signal;
  if (sig == "probability") return {TINYML_RT_SIGNAL_PROBABILITY, 0, 0};
  if (sig == "anomaly") return {TINYML_RT_SIGNAL_EXTERNAL, 0, 0};
  if (sig.starts_with("probability.")) {
    const std::string c = sig.substr(12);
    const std::int32_t k = index_in(classes, c);
    if (k < 0 && !classes.empty())
      rule_error(r, "signal", fmt::format("'{}' is not a class of the model (classes: {})", c, list(classes)));
    return {TINYML_RT_SIGNAL_CLASS_PROBABILITY, k, 0};
  }
  std::string feature = sig;
  std::int32_t stat = TINYML_RT_STAT_LAST;
  const auto dot = sig.rfind('.');
  if (dot != std::string::npos && index_in(features, sig) < 0) {
    const std::string suffix = sig.substr(dot + 1);
    const auto it = std::find(std::begin(kStatNames), std::end(kStatNames), suffix);
    if (it == std::end(kStatNames))
      rule_error(r, "signal", fmt::format("'{}' is not a statistic of a window (expected one of {})", suffix,
                                          fmt::join(kStatNames, ", ")));
    stat = static_cast<std::int32_t>(it - std::begin(kStatNames));
    feature = sig.substr(0, dot);
  }
  const std::int32_t f = index_in(features, feature);
  if (f < 0 && !features.empty())
    rule_error(r, "signal",
               fmt::format("'{}' is not a signal: expected probability, probability.<class> (classes: {}), "
                           "<feature>[.last|.first|.mean|.min|.max|.delta] (features: {}) or anomaly",
                           sig, list(classes), list(features)));
  return {TINYML_RT_SIGNAL_FEATURE, f, stat};
}

ActConfig parse_act(const toml::table& root, const std::string& file, const std::vector<std::string>& classes,
                    const std::vector<std::string>& features, bool kmeans_anomaly) {
  ActConfig c;
  c.file = file;
  Section top(root, "", file);
  c.actuators = parse_actuators(top, file);
  if (const toml::node* n = root.get("rules")) {
    if (!n->is_array_of_tables())
      input_error("{}: key 'rules' must be an array of tables ([[rules]])", where(file, n->source()));
    std::set<std::string> names;
    std::size_t i = 0;
    for (auto&& e : *n->as_array()) {
      RuleSpec r = parse_rule(*e.as_table(), i++, file, c.actuators);
      if (!names.insert(upper(r.name)).second)
        rule_error(r, "name", fmt::format("two rules are named '{}' (names are compared in upper case)", r.name));
      resolve_signal(r, classes, features);
      if (r.signal == "anomaly" && !kmeans_anomaly)
        rule_error(r, "signal", "'anomaly' is the score of the [anomaly] detector with method = \"kmeans\" (the one "
                                "that runs on the device): the project has none");
      c.rules.push_back(std::move(r));
    }
  }
  if (const toml::table* t = top.table("simulate")) {
    Section s(*t, "simulate", file, {"part", "detectors", "grace_s", "speed"});
    if (c.rules.empty()) s.fail("part", "[simulate] replays data through the rules: the project has no [[rules]]");
    c.simulate.part = s.str("part").value_or("test");
    if (c.simulate.part != "train" && c.simulate.part != "validation" && c.simulate.part != "test" &&
        c.simulate.part != "all")
      s.fail("part", fmt::format("'{}' is not valid: expected train, validation, test or all", c.simulate.part));
    c.simulate.detectors = s.strings("detectors").value_or(std::vector<std::string>{});
    for (const auto& d : c.simulate.detectors)
      if (std::none_of(c.rules.begin(), c.rules.end(), [&](const RuleSpec& r) { return r.name == d; })) {
        std::vector<std::string> names;
        for (const auto& r : c.rules) names.push_back(r.name);
        s.fail("detectors", fmt::format("'{}' is not a rule (rules: {})", d, list(names)));
      }
    c.simulate.grace_s = s.number("grace_s", 0, 1e9).value_or(-1);
    c.simulate.speed = s.number("speed", 0, 1e9).value_or(0);
  }
  if (!top.has("rules") && top.has("actuators")) {
    const toml::node* n = root.get("actuators");
    input_error("{}: [actuators] without [[rules]]: nothing would set them", where(file, n->source()));
  }
  return c;
}

}  // namespace tinyml::act
