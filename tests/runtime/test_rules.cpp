// The rules engine of the device runtime (label "act"): each condition kind on hand-made
// tables (threshold, debounce, hysteresis, moving average, cooldown, active hours, class
// gate), argument checks that leave the state untouched, and the signals computed from an
// inference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tinyml_rt_rules.h"

namespace {

// One rule on signal 0 with two actions on firing (fan on, alert) and one on release
// (fan off); tests change the rule's fields.
struct Table {
  tinyml_rt_rule rule{};
  std::vector<tinyml_rt_rule_action> actions = {
      {TINYML_RT_ACTION_SET, 0, 1}, {TINYML_RT_ACTION_ALERT, TINYML_RT_SEVERITY_WARNING, 0}, {TINYML_RT_ACTION_SET, 0, 0}};
  tinyml_rt_rules rules{};
  tinyml_rt_rule_state state{};

  Table() {
    rule.signal = 0;
    rule.when_class = -1;
    rule.compare = TINYML_RT_RULE_ABOVE;
    rule.on_level = 0.5f;
    rule.off_level = 0.5f;
    rule.average = 1;
    rule.on_windows = 1;
    rule.off_windows = 1;
    rule.first_action = 0;
    rule.action_count = 2;
    rule.first_release_action = 2;
    rule.release_action_count = 1;
    rules.rules = &rule;
    rules.rule_count = 1;
    rules.actions = actions.data();
    rules.action_count = static_cast<int32_t>(actions.size());
    rules.signal_count = 1;
    rules.class_count = 2;
    rules.actuator_count = 1;
    rules.text_count = 1;
    rules.message_count = 0;
  }
};

// Records what the callbacks saw, one word per call: "R1" fired, "R0" released,
// "A0=1" actuator 0 to level 1, "L1:0" alert severity 1 text 0, "P0" message 0.
struct Log {
  std::string text;
  static void rule(void* u, int32_t r, int32_t active) {
    static_cast<Log*>(u)->text += "R" + std::to_string(active) + (r ? "@" + std::to_string(r) : "") + " ";
  }
  static void actuator(void* u, int32_t a, int32_t level) {
    static_cast<Log*>(u)->text += "A" + std::to_string(a) + "=" + std::to_string(level) + " ";
  }
  static void alert(void* u, int32_t severity, int32_t text) {
    static_cast<Log*>(u)->text += "L" + std::to_string(severity) + ":" + std::to_string(text) + " ";
  }
  static void publish(void* u, int32_t m) { static_cast<Log*>(u)->text += "P" + std::to_string(m) + " "; }
  tinyml_rt_rule_callbacks callbacks() { return {this, &rule, &actuator, &alert, &publish}; }
};

// Steps the table once per value (time 30 s apart from `t0`) and returns, per step, what
// the callbacks saw ("-" when nothing).
std::vector<std::string> run(Table& t, const std::vector<float>& values, uint32_t t0 = 0, uint32_t dt = 30,
                             int32_t predicted = 1) {
  std::vector<std::string> out;
  uint32_t time = t0;
  for (float v : values) {
    Log log;
    const tinyml_rt_rule_callbacks cb = log.callbacks();
    EXPECT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 1, predicted, &v, 1, time, &cb), TINYML_RT_OK);
    out.push_back(log.text.empty() ? "-" : log.text.substr(0, log.text.size() - 1));
    time += dt;
  }
  return out;
}

using Steps = std::vector<std::string>;
const std::string kFire = "R1 A0=1 L1:0";
const std::string kRelease = "R0 A0=0";

TEST(RtRules, ThresholdFiresAtTheOnLevelAndReleasesBelowIt) {
  Table t;
  EXPECT_EQ(run(t, {0.2f, 0.5f, 0.9f, 0.49f, 0.1f, 0.7f}), (Steps{"-", kFire, "-", kRelease, "-", kFire}));
}

TEST(RtRules, DebounceNeedsConsecutiveWindows) {
  Table t;
  t.rule.on_windows = 3;
  t.rule.off_windows = 2;
  // Two above, one below (the count starts over), then three above: fires on the third.
  // Off: one below is not enough, a window above resets, then two below release.
  EXPECT_EQ(run(t, {0.9f, 0.9f, 0.1f, 0.9f, 0.9f, 0.9f, 0.1f, 0.9f, 0.1f, 0.1f}),
            (Steps{"-", "-", "-", "-", "-", kFire, "-", "-", "-", kRelease}));
}

TEST(RtRules, HysteresisHoldsBetweenTheOffAndOnLevels) {
  Table t;
  t.rule.on_level = 0.8f;
  t.rule.off_level = 0.4f;
  // 0.6 neither fires (below 0.8) nor, once fired, releases (not below 0.4).
  EXPECT_EQ(run(t, {0.6f, 0.8f, 0.6f, 0.79f, 0.41f, 0.4f, 0.39f, 0.6f}),
            (Steps{"-", kFire, "-", "-", "-", "-", kRelease, "-"}));
}

TEST(RtRules, BelowRulesMirrorTheLevels) {
  Table t;
  t.rule.compare = TINYML_RT_RULE_BELOW;
  t.rule.on_level = 10.0f;
  t.rule.off_level = 12.0f;
  EXPECT_EQ(run(t, {15.0f, 10.0f, 11.0f, 12.0f, 12.5f}), (Steps{"-", kFire, "-", "-", kRelease}));
}

TEST(RtRules, MovingAverageSmoothsTheSignal) {
  Table t;
  t.rule.average = 3;
  t.rule.on_level = 0.6f;
  t.rule.off_level = 0.25f;
  // Averages: 0.9 (one value) fires at once; (0.9 + 0) / 2 and (0.9 + 0 + 0) / 3 = 0.3 hold;
  // (0.1 + 0 + 0) / 3 releases. One high window in three (0.37) does not fire; two (0.67) do.
  EXPECT_EQ(run(t, {0.9f, 0.0f, 0.0f, 0.1f, 0.0f, 1.0f, 1.0f}), (Steps{kFire, "-", "-", kRelease, "-", "-", kFire}));
  EXPECT_FLOAT_EQ(t.state.average, (0.0f + 1.0f + 1.0f) / 3.0f);
  EXPECT_EQ(t.state.filled, 3);
}

TEST(RtRules, CooldownDelaysTheNextFiringUntilItHasPassed) {
  Table t;
  t.rule.cooldown_s = 100;
  // Fires at 0, releases at 30; above again at 60 and 90 (cooldown), fires at 120 (= 0 + 100 passed).
  EXPECT_EQ(run(t, {0.9f, 0.1f, 0.9f, 0.9f, 0.9f, 0.1f}), (Steps{kFire, kRelease, "-", "-", kFire, kRelease}));
  EXPECT_EQ(t.state.last_fired_s, 120u);
  // A condition that ends inside the cooldown never fires.
  Table u;
  u.rule.cooldown_s = 100;
  EXPECT_EQ(run(u, {0.9f, 0.1f, 0.9f, 0.1f, 0.1f, 0.9f}), (Steps{kFire, kRelease, "-", "-", "-", kFire}));
}

TEST(RtRules, ActiveHoursGateFiringNotRelease) {
  Table t;
  t.rule.active_from_s = 22 * 3600;  // 22:00 to 06:00, past midnight
  t.rule.active_to_s = 6 * 3600;
  const uint32_t day = 10 * 86400;
  // 21:59:30 not active; 22:00:00 fires.
  EXPECT_EQ(run(t, {0.9f, 0.9f}, day + 22 * 3600 - 30), (Steps{"-", kFire}));
  // Active until 06:00: releasing at 06:00:30 still happens (only firing is gated).
  EXPECT_EQ(run(t, {0.9f, 0.1f}, day + 6 * 3600), (Steps{"-", kRelease}));
  // 05:59:30 fires, 06:00:00 would not.
  Table u;
  u.rule.active_from_s = 22 * 3600;
  u.rule.active_to_s = 6 * 3600;
  EXPECT_EQ(run(u, {0.9f}, day + 6 * 3600 - 30), (Steps{kFire}));
  Table w = Table();
  w.rule.active_from_s = 22 * 3600;
  w.rule.active_to_s = 6 * 3600;
  EXPECT_EQ(run(w, {0.9f}, day + 6 * 3600), (Steps{"-"}));
  // The day offset shifts UTC to local time: 20:00 UTC + 2 h is 22:00 local.
  Table z;
  z.rule.active_from_s = 22 * 3600;
  z.rule.active_to_s = 23 * 3600;
  z.rules.day_offset_s = 2 * 3600;
  EXPECT_EQ(run(z, {0.9f, 0.9f}, day + 20 * 3600 - 30), (Steps{"-", kFire}));
}

TEST(RtRules, ClassGateCountsOtherClassesAsOff) {
  Table t;
  t.rule.when_class = 1;
  Log log;
  const tinyml_rt_rule_callbacks cb = log.callbacks();
  const float high = 0.9f;
  ASSERT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 1, 0, &high, 1, 0, &cb), TINYML_RT_OK);
  EXPECT_EQ(log.text, "");
  ASSERT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 1, 1, &high, 1, 30, &cb), TINYML_RT_OK);
  EXPECT_EQ(log.text, kFire + " ");
  ASSERT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 1, 0, &high, 1, 60, &cb), TINYML_RT_OK);
  EXPECT_EQ(log.text, kFire + " " + kRelease + " ");
}

TEST(RtRules, NanLeavesTheRuleAsItWas) {
  Table t;
  t.rule.on_windows = 2;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(run(t, {0.9f, nan, 0.9f}), (Steps{"-", "-", kFire}));
}

TEST(RtRules, RulesRunInTableOrderAndPublish) {
  Table t;
  tinyml_rt_rule second = t.rule;
  second.signal = 1;
  second.first_action = 3;
  second.action_count = 1;
  second.release_action_count = 0;
  tinyml_rt_rule both[2] = {t.rule, second};
  t.actions.push_back({TINYML_RT_ACTION_PUBLISH, 0, 0});
  t.rules.rules = both;
  t.rules.rule_count = 2;
  t.rules.actions = t.actions.data();
  t.rules.action_count = 4;
  t.rules.signal_count = 2;
  t.rules.message_count = 1;
  tinyml_rt_rule_state states[2] = {};
  Log log;
  const tinyml_rt_rule_callbacks cb = log.callbacks();
  const float v[2] = {0.9f, 0.9f};
  ASSERT_EQ(tinyml_rt_rules_step(&t.rules, states, 2, 1, v, 2, 0, &cb), TINYML_RT_OK);
  EXPECT_EQ(log.text, "R1 A0=1 L1:0 R1@1 P0 ");
  // No callbacks at all is fine; the state still moves.
  const float low[2] = {0.1f, 0.1f};
  ASSERT_EQ(tinyml_rt_rules_step(&t.rules, states, 2, 1, low, 2, 30, nullptr), TINYML_RT_OK);
  EXPECT_EQ(states[0].active, 0);
  EXPECT_EQ(states[1].active, 0);
  ASSERT_EQ(tinyml_rt_rules_reset(&t.rules, states, 2), TINYML_RT_OK);
  EXPECT_EQ(states[0].fired_before, 0);
}

TEST(RtRules, BadTablesAreRefusedBeforeAnythingChanges) {
  const auto refused = [](auto change, tinyml_rt_status want = TINYML_RT_BAD_PARAM) {
    Table t;
    t.state.streak = 7;
    change(t);
    const float v = 0.9f;
    EXPECT_EQ(tinyml_rt_rules_check(&t.rules), want);
    EXPECT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 1, 1, &v, 1, 0, nullptr), want);
    EXPECT_EQ(t.state.streak, 7);
  };
  refused([](Table& t) { t.rule.off_level = 0.6f; });  // hysteresis upside down
  refused([](Table& t) {
    t.rule.compare = TINYML_RT_RULE_BELOW;
    t.rule.off_level = 0.4f;
  });
  refused([](Table& t) { t.rule.on_level = std::numeric_limits<float>::infinity(); });
  refused([](Table& t) { t.rule.signal = 1; });
  refused([](Table& t) { t.rule.when_class = 2; });
  refused([](Table& t) { t.rule.average = 0; });
  refused([](Table& t) { t.rule.average = TINYML_RT_RULE_MAX_AVERAGE + 1; });
  refused([](Table& t) { t.rule.on_windows = 0; });
  refused([](Table& t) { t.rule.off_windows = 0; });
  refused([](Table& t) { t.rule.active_to_s = 86400; });
  refused([](Table& t) { t.rule.action_count = 4; });
  refused([](Table& t) { t.rule.first_release_action = -1; });
  refused([](Table& t) { t.actions[0].target = 1; });        // no actuator 1
  refused([](Table& t) { t.actions[1].target = 3; });        // no such severity
  refused([](Table& t) { t.actions[1].value = 1; });         // no text 1
  refused([](Table& t) { t.actions[0].kind = TINYML_RT_ACTION_PUBLISH; });  // no message
  refused([](Table& t) { t.rules.day_offset_s = 86400; });
  refused([](Table& t) { t.rules.actions = nullptr; }, TINYML_RT_NULL_POINTER);
  Table t;
  const float v = 0.9f;
  EXPECT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 2, 1, &v, 1, 0, nullptr), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 1, 1, &v, 0, 0, nullptr), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(tinyml_rt_rules_step(&t.rules, &t.state, 1, 1, nullptr, 1, 0, nullptr), TINYML_RT_NULL_POINTER);
  EXPECT_EQ(tinyml_rt_rules_step(nullptr, &t.state, 1, 1, &v, 1, 0, nullptr), TINYML_RT_NULL_POINTER);
  EXPECT_EQ(t.state.filled, 0);
}

TEST(RtRuleSignals, ProbabilitiesWindowStatisticsAndExternalValues) {
  const int8_t probs[3] = {-128, 64, -64};  // (q + 128) / 256: 0, 0.75, 0.25
  // Two features interleaved over four readings: a = 1, 4, 2, 3; b = 10, 10, 10, 14.
  const float raw[8] = {1, 10, 4, 10, 2, 10, 3, 14};
  const float external[1] = {2.5f};
  const tinyml_rt_signal_sources src = {probs, 3, 1, raw, 4, 2, external, 1};
  const tinyml_rt_signal sig[] = {
      {TINYML_RT_SIGNAL_PROBABILITY, 0, 0},       {TINYML_RT_SIGNAL_CLASS_PROBABILITY, 2, 0},
      {TINYML_RT_SIGNAL_FEATURE, 0, TINYML_RT_STAT_LAST}, {TINYML_RT_SIGNAL_FEATURE, 0, TINYML_RT_STAT_FIRST},
      {TINYML_RT_SIGNAL_FEATURE, 0, TINYML_RT_STAT_MEAN}, {TINYML_RT_SIGNAL_FEATURE, 0, TINYML_RT_STAT_MIN},
      {TINYML_RT_SIGNAL_FEATURE, 0, TINYML_RT_STAT_MAX},  {TINYML_RT_SIGNAL_FEATURE, 1, TINYML_RT_STAT_DELTA},
      {TINYML_RT_SIGNAL_EXTERNAL, 0, 0}};
  float out[9] = {};
  ASSERT_EQ(tinyml_rt_rule_signals(sig, 9, &src, out), TINYML_RT_OK);
  const float expected[9] = {0.75f, 0.25f, 3, 1, 2.5f, 1, 4, 4, 2.5f};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(out[i], expected[i]) << "signal " << i;

  float keep[1] = {-1};
  const auto refused = [&](tinyml_rt_signal s, tinyml_rt_signal_sources from, tinyml_rt_status want) {
    EXPECT_EQ(tinyml_rt_rule_signals(&s, 1, &from, keep), want);
    EXPECT_EQ(keep[0], -1);
  };
  refused({TINYML_RT_SIGNAL_CLASS_PROBABILITY, 3, 0}, src, TINYML_RT_BAD_PARAM);
  refused({TINYML_RT_SIGNAL_FEATURE, 2, 0}, src, TINYML_RT_BAD_PARAM);
  refused({TINYML_RT_SIGNAL_FEATURE, 0, 6}, src, TINYML_RT_BAD_PARAM);
  refused({TINYML_RT_SIGNAL_EXTERNAL, 1, 0}, src, TINYML_RT_BAD_PARAM);
  refused({7, 0, 0}, src, TINYML_RT_BAD_PARAM);
  tinyml_rt_signal_sources no_raw = src;
  no_raw.raw = nullptr;
  refused({TINYML_RT_SIGNAL_FEATURE, 0, 0}, no_raw, TINYML_RT_NULL_POINTER);
  tinyml_rt_signal_sources bad_class = src;
  bad_class.predicted_class = 3;
  refused({TINYML_RT_SIGNAL_PROBABILITY, 0, 0}, bad_class, TINYML_RT_BAD_PARAM);
}

}  // namespace

namespace {

TEST(RtRuleSignals, NearestCentroidDistanceInNormalizedUnits) {
  // Two features normalized as (x - 10) * 0.5 and (x - 0) * 1; windows of 2 readings (dim 4).
  const float offset[2] = {10, 0};
  const float inv_scale[2] = {0.5f, 1};
  const float centroids[8] = {0, 0, 0, 0, /**/ 5, 5, 5, 5};
  const tinyml_rt_centroid_params p = {centroids, 2, 4, offset, inv_scale, 2};
  // Normalized (3, 0, 0, 4): 5 from the first centroid, sqrt(4 + 25 + 25 + 1) from the second.
  const float raw[4] = {16, 0, 10, 4};
  float d = -1;
  ASSERT_EQ(tinyml_rt_nearest_centroid_f32(&p, raw, &d), TINYML_RT_OK);
  EXPECT_EQ(d, 5.0f);
  const float at_second[4] = {20, 5, 20, 5};
  ASSERT_EQ(tinyml_rt_nearest_centroid_f32(&p, at_second, &d), TINYML_RT_OK);
  EXPECT_EQ(d, 0.0f);
  // Newton's square root against the library's over many magnitudes (no normalization:
  // the distance to the first centroid is |v| itself).
  const float zero[2] = {0, 0};
  const float unit[2] = {1, 1};
  const tinyml_rt_centroid_params raw_units = {centroids, 1, 4, zero, unit, 2};
  uint32_t seed = 7;
  for (int i = 0; i < 2000; ++i) {
    seed = seed * 1664525u + 1013904223u;
    const float v = static_cast<float>(seed % 100000 + 1) * std::pow(10.0f, static_cast<float>(i % 9) - 4.0f);
    const float one[4] = {v, 0, 0, 0};
    ASSERT_EQ(tinyml_rt_nearest_centroid_f32(&raw_units, one, &d), TINYML_RT_OK);
    EXPECT_FLOAT_EQ(d, std::sqrt(v * v)) << v;
  }
  const tinyml_rt_centroid_params bad = {centroids, 2, 3, offset, inv_scale, 2};
  EXPECT_EQ(tinyml_rt_nearest_centroid_f32(&bad, raw, &d), TINYML_RT_BAD_SHAPE);
  EXPECT_EQ(tinyml_rt_nearest_centroid_f32(&p, nullptr, &d), TINYML_RT_NULL_POINTER);
}

}  // namespace
