// The rules engine: one step per inference over a const rule table and caller-provided
// state (see tinyml_rt_rules.h). Float only in the moving average and the level
// comparisons: a sum in history order and one division, each an IEEE single rounding.
#include "tinyml_rt_rules.h"

namespace {

bool finite_f32(float x) { return x == x && x - x == 0.0f; }

bool check_action(const tinyml_rt_rules& t, const tinyml_rt_rule_action& a) {
  switch (a.kind) {
    case TINYML_RT_ACTION_ALERT:
      return a.target >= TINYML_RT_SEVERITY_INFO && a.target <= TINYML_RT_SEVERITY_CRITICAL && a.value >= 0 &&
             a.value < t.text_count;
    case TINYML_RT_ACTION_SET:
      return a.target >= 0 && a.target < t.actuator_count;
    case TINYML_RT_ACTION_PUBLISH:
      return a.target >= 0 && a.target < t.message_count && a.value == 0;
    default:
      return false;
  }
}

bool check_range(const tinyml_rt_rules& t, int32_t first, int32_t count) {
  return first >= 0 && count >= 0 && count <= t.action_count && first <= t.action_count - count;
}

bool check_rule(const tinyml_rt_rules& t, const tinyml_rt_rule& r) {
  if (r.signal < 0 || r.signal >= t.signal_count) return false;
  if (r.when_class < -1 || r.when_class >= t.class_count) return false;
  if (!finite_f32(r.on_level) || !finite_f32(r.off_level)) return false;
  if (r.compare == TINYML_RT_RULE_ABOVE) {
    if (r.off_level > r.on_level) return false;
  } else if (r.compare == TINYML_RT_RULE_BELOW) {
    if (r.off_level < r.on_level) return false;
  } else {
    return false;
  }
  if (r.average < 1 || r.average > TINYML_RT_RULE_MAX_AVERAGE) return false;
  if (r.on_windows < 1 || r.off_windows < 1) return false;
  if (r.active_from_s >= TINYML_RT_SECONDS_PER_DAY || r.active_to_s >= TINYML_RT_SECONDS_PER_DAY) return false;
  return check_range(t, r.first_action, r.action_count) &&
         check_range(t, r.first_release_action, r.release_action_count);
}

bool in_active_hours(const tinyml_rt_rules& t, const tinyml_rt_rule& r, uint32_t time_s) {
  if (r.active_from_s == r.active_to_s) return true;
  const uint32_t day = TINYML_RT_SECONDS_PER_DAY;
  const uint32_t tod = (time_s % day + t.day_offset_s) % day;
  if (r.active_from_s < r.active_to_s) return tod >= r.active_from_s && tod < r.active_to_s;
  return tod >= r.active_from_s || tod < r.active_to_s;  // past midnight
}

float push_average(const tinyml_rt_rule& r, tinyml_rt_rule_state& s, float v) {
  // A state written for a longer average (or corrupted) starts over.
  if (s.filled < 0 || s.filled > r.average || s.next < 0 || s.next >= r.average) {
    s.filled = 0;
    s.next = 0;
  }
  s.history[s.next] = v;
  s.next = s.next + 1 == r.average ? 0 : s.next + 1;
  if (s.filled < r.average) ++s.filled;
  float sum = 0.0f;
  for (int32_t i = 0; i < s.filled; ++i) sum += s.history[i];
  return sum / static_cast<float>(s.filled);
}

void run_actions(const tinyml_rt_rules& t, int32_t first, int32_t count, const tinyml_rt_rule_callbacks* cb) {
  if (cb == nullptr) return;
  for (int32_t i = first; i < first + count; ++i) {
    const tinyml_rt_rule_action& a = t.actions[i];
    if (a.kind == TINYML_RT_ACTION_ALERT && cb->alert != nullptr) cb->alert(cb->user, a.target, a.value);
    if (a.kind == TINYML_RT_ACTION_SET && cb->actuator != nullptr) cb->actuator(cb->user, a.target, a.value);
    if (a.kind == TINYML_RT_ACTION_PUBLISH && cb->publish != nullptr) cb->publish(cb->user, a.target);
  }
}

}  // namespace

extern "C" {

tinyml_rt_status tinyml_rt_rules_check(const tinyml_rt_rules* rules) {
  if (rules == nullptr) return TINYML_RT_NULL_POINTER;
  const tinyml_rt_rules& t = *rules;
  if (t.rule_count < 0 || t.action_count < 0 || t.signal_count < 0 || t.class_count < 0 || t.actuator_count < 0 ||
      t.text_count < 0 || t.message_count < 0 || t.day_offset_s >= TINYML_RT_SECONDS_PER_DAY)
    return TINYML_RT_BAD_PARAM;
  if ((t.rule_count > 0 && t.rules == nullptr) || (t.action_count > 0 && t.actions == nullptr))
    return TINYML_RT_NULL_POINTER;
  for (int32_t i = 0; i < t.action_count; ++i)
    if (!check_action(t, t.actions[i])) return TINYML_RT_BAD_PARAM;
  for (int32_t i = 0; i < t.rule_count; ++i)
    if (!check_rule(t, t.rules[i])) return TINYML_RT_BAD_PARAM;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_rules_reset(const tinyml_rt_rules* rules, tinyml_rt_rule_state* states,
                                       int32_t state_count) {
  const tinyml_rt_status st = tinyml_rt_rules_check(rules);
  if (st != TINYML_RT_OK) return st;
  if (state_count != rules->rule_count) return TINYML_RT_BAD_PARAM;
  if (state_count > 0 && states == nullptr) return TINYML_RT_NULL_POINTER;
  for (int32_t i = 0; i < state_count; ++i) states[i] = tinyml_rt_rule_state{};
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_rules_step(const tinyml_rt_rules* rules, tinyml_rt_rule_state* states,
                                      int32_t state_count, int32_t predicted_class, const float* values,
                                      int32_t value_count, uint32_t time_s,
                                      const tinyml_rt_rule_callbacks* callbacks) {
  const tinyml_rt_status st = tinyml_rt_rules_check(rules);
  if (st != TINYML_RT_OK) return st;
  const tinyml_rt_rules& t = *rules;
  if (state_count != t.rule_count || value_count < t.signal_count) return TINYML_RT_BAD_PARAM;
  if ((state_count > 0 && states == nullptr) || (t.signal_count > 0 && values == nullptr))
    return TINYML_RT_NULL_POINTER;

  for (int32_t i = 0; i < t.rule_count; ++i) {
    const tinyml_rt_rule& r = t.rules[i];
    tinyml_rt_rule_state& s = states[i];
    const float v = values[r.signal];
    if (v != v) continue;  // NaN: no reading, no change
    const float avg = push_average(r, s, v);
    s.average = avg;
    const bool class_ok = r.when_class < 0 || predicted_class == r.when_class;
    const bool above = r.compare == TINYML_RT_RULE_ABOVE;
    if (!s.active) {
      const bool on = class_ok && (above ? avg >= r.on_level : avg <= r.on_level);
      if (!on) {
        s.streak = 0;
        continue;
      }
      if (s.streak < r.on_windows) ++s.streak;
      const bool cooled = !s.fired_before || time_s - s.last_fired_s >= r.cooldown_s;
      if (s.streak < r.on_windows || !cooled || !in_active_hours(t, r, time_s)) continue;
      s.active = 1;
      s.streak = 0;
      s.fired_before = 1;
      s.last_fired_s = time_s;
      if (callbacks != nullptr && callbacks->rule != nullptr) callbacks->rule(callbacks->user, i, 1);
      run_actions(t, r.first_action, r.action_count, callbacks);
    } else {
      const bool off = !class_ok || (above ? avg < r.off_level : avg > r.off_level);
      if (!off) {
        s.streak = 0;
        continue;
      }
      if (s.streak < r.off_windows) ++s.streak;
      if (s.streak < r.off_windows) continue;
      s.active = 0;
      s.streak = 0;
      if (callbacks != nullptr && callbacks->rule != nullptr) callbacks->rule(callbacks->user, i, 0);
      run_actions(t, r.first_release_action, r.release_action_count, callbacks);
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
