// The values rules watch, from one inference: class probabilities from the int8 softmax
// output (p = (q + 128) / 256, exact in float), readings of the raw window reduced to one
// number, and values the caller computed. See tinyml_rt_rules.h.
#include "tinyml_rt_rules.h"

namespace {

float probability(int8_t q) { return static_cast<float>(static_cast<int32_t>(q) + 128) * 0.00390625f; }

bool check_signal(const tinyml_rt_signal& g, const tinyml_rt_signal_sources& s, tinyml_rt_status* why) {
  *why = TINYML_RT_BAD_PARAM;
  switch (g.kind) {
    case TINYML_RT_SIGNAL_PROBABILITY:
    case TINYML_RT_SIGNAL_CLASS_PROBABILITY:
      if (g.kind == TINYML_RT_SIGNAL_CLASS_PROBABILITY ? (g.index < 0 || g.index >= s.class_count) : g.index != 0)
        return false;
      if (s.predicted_class < 0 || s.predicted_class >= s.class_count || g.stat != 0) return false;
      *why = TINYML_RT_NULL_POINTER;
      return s.probabilities != nullptr;
    case TINYML_RT_SIGNAL_FEATURE:
      if (g.index < 0 || g.index >= s.features || s.length < 1) return false;
      if (g.stat < TINYML_RT_STAT_LAST || g.stat > TINYML_RT_STAT_DELTA) return false;
      *why = TINYML_RT_NULL_POINTER;
      return s.raw != nullptr;
    case TINYML_RT_SIGNAL_EXTERNAL:
      if (g.index < 0 || g.index >= s.external_count || g.stat != 0) return false;
      *why = TINYML_RT_NULL_POINTER;
      return s.external != nullptr;
    default:
      return false;
  }
}

float window_stat(const tinyml_rt_signal_sources& s, int32_t feature, int32_t stat) {
  const float* x = s.raw + feature;
  const int32_t step = s.features;
  const float first = x[0];
  const float last = x[(s.length - 1) * step];
  switch (stat) {
    case TINYML_RT_STAT_FIRST: return first;
    case TINYML_RT_STAT_DELTA: return last - first;
    case TINYML_RT_STAT_MEAN: {
      float sum = 0.0f;
      for (int32_t i = 0; i < s.length; ++i) sum += x[i * step];
      return sum / static_cast<float>(s.length);
    }
    case TINYML_RT_STAT_MIN:
    case TINYML_RT_STAT_MAX: {
      float m = first;
      for (int32_t i = 1; i < s.length; ++i) {
        const float v = x[i * step];
        if (stat == TINYML_RT_STAT_MIN ? v < m : v > m) m = v;
      }
      return m;
    }
    default: return last;
  }
}

}  // namespace

extern "C" {

tinyml_rt_status tinyml_rt_rule_signals(const tinyml_rt_signal* signals, int32_t count,
                                        const tinyml_rt_signal_sources* sources, float* out) {
  if (sources == nullptr || (count > 0 && (signals == nullptr || out == nullptr))) return TINYML_RT_NULL_POINTER;
  if (count < 0 || sources->class_count < 0 || sources->features < 0 || sources->external_count < 0)
    return TINYML_RT_BAD_PARAM;
  for (int32_t i = 0; i < count; ++i) {
    tinyml_rt_status why = TINYML_RT_OK;
    if (!check_signal(signals[i], *sources, &why)) return why;
  }
  const tinyml_rt_signal_sources& s = *sources;
  for (int32_t i = 0; i < count; ++i) {
    const tinyml_rt_signal& g = signals[i];
    switch (g.kind) {
      case TINYML_RT_SIGNAL_PROBABILITY: out[i] = probability(s.probabilities[s.predicted_class]); break;
      case TINYML_RT_SIGNAL_CLASS_PROBABILITY: out[i] = probability(s.probabilities[g.index]); break;
      case TINYML_RT_SIGNAL_FEATURE: out[i] = window_stat(s, g.index, g.stat); break;
      default: out[i] = s.external[g.index]; break;
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
