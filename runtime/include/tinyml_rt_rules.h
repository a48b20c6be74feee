/* tinyml device runtime: rules that decide and act on a model's predictions.
 *
 * Called once per inference (per window of readings). A rule watches one signal (the
 * probability of the predicted class or of a named class, an anomaly score, a reading of
 * the window reduced to its last value, mean, minimum, ...), smooths it with a moving
 * average, and fires when the average crosses its on level for enough consecutive windows
 * (debounce), within its active hours and outside its cooldown; it releases when the
 * average crosses its off level (hysteresis) for enough consecutive windows. Firing and
 * releasing run the rule's actions through the caller's callbacks: set an actuator to a
 * level, raise an alert (severity, text), publish a message.
 *
 * The tables are const structs (flash); the per-rule state is a caller-provided array (no
 * heap, no static state): all-zero state is the reset state. Signals and levels are float:
 * every operation on them is one IEEE single-precision rounding (sums in table order, one
 * division for the average, no multiply-add a compiler could fuse), so the host and every
 * core with IEEE floats take the same decisions. Like the kernels, each function checks its
 * arguments before writing anything and returns a tinyml_rt_status.
 */
#ifndef TINYML_RT_RULES_H
#define TINYML_RT_RULES_H

#include "tinyml_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest moving average a rule may take (windows); the state holds this many values. */
#define TINYML_RT_RULE_MAX_AVERAGE 16
#define TINYML_RT_SECONDS_PER_DAY 86400

/* ---- Signals: what rules watch, computed from one inference ---------------------------- */

typedef enum tinyml_rt_signal_kind {
  TINYML_RT_SIGNAL_PROBABILITY = 0,       /* of the predicted class */
  TINYML_RT_SIGNAL_CLASS_PROBABILITY = 1, /* of class `index` */
  TINYML_RT_SIGNAL_FEATURE = 2,           /* feature `index` of the raw window, by `stat` */
  TINYML_RT_SIGNAL_EXTERNAL = 3           /* external value `index` (an anomaly score, ...) */
} tinyml_rt_signal_kind;

typedef enum tinyml_rt_window_stat {
  TINYML_RT_STAT_LAST = 0,  /* the newest reading */
  TINYML_RT_STAT_FIRST = 1, /* the oldest reading */
  TINYML_RT_STAT_MEAN = 2,  /* sum in time order, then one division */
  TINYML_RT_STAT_MIN = 3,
  TINYML_RT_STAT_MAX = 4,
  TINYML_RT_STAT_DELTA = 5  /* newest - oldest */
} tinyml_rt_window_stat;

typedef struct tinyml_rt_signal {
  int32_t kind;  /* tinyml_rt_signal_kind */
  int32_t index; /* class, feature or external value; 0 for PROBABILITY */
  int32_t stat;  /* FEATURE: a tinyml_rt_window_stat; else 0 */
} tinyml_rt_signal;

/* What one inference gives the signals. `probabilities` are the model's class
 * probabilities as the int8 output of tinyml_rt_softmax_s8 (scale 1/256, zero point
 * -128: p = (q + 128) / 256, exact in float); `predicted_class` is the class the caller
 * decided (the largest logit, lowest index on ties); `raw` is the window the model saw,
 * `length` readings of `features` values, feature-interleaved (NULL when no signal reads
 * it); `external` are values the caller computed (NULL when none is read). */
typedef struct tinyml_rt_signal_sources {
  const int8_t* probabilities;
  int32_t class_count;
  int32_t predicted_class; /* [0, class_count) */
  const float* raw;
  int32_t length, features;
  const float* external;
  int32_t external_count;
} tinyml_rt_signal_sources;

/* out[i] = the value of signals[i]. BAD_PARAM for a signal that names a class, feature,
 * statistic or external value the sources do not have; NULL_POINTER when a signal needs a
 * source that is NULL. */
tinyml_rt_status tinyml_rt_rule_signals(const tinyml_rt_signal* signals, int32_t count,
                                        const tinyml_rt_signal_sources* sources, float* out);

/* An anomaly score for the EXTERNAL signals: the distance from the window to the nearest
 * centroid of a k-means model fitted on normal windows (the host's k-means anomaly
 * detector). Value i of the raw window is normalized as (x - offset[c]) * inv_scale[c] with
 * c = i % channels, as the data stage normalizes; the square root is Newton's method (no
 * libm), the same on every IEEE core. */
typedef struct tinyml_rt_centroid_params {
  const float* centroids; /* [count][dim], in normalized units */
  int32_t count;          /* >= 1 */
  int32_t dim;            /* >= 1, a multiple of channels */
  const float* offset;    /* [channels], finite */
  const float* inv_scale; /* [channels], finite */
  int32_t channels;       /* >= 1 */
} tinyml_rt_centroid_params;

tinyml_rt_status tinyml_rt_nearest_centroid_f32(const tinyml_rt_centroid_params* params,
                                                const float* raw, float* distance);

/* ---- Rules ----------------------------------------------------------------------------- */

typedef enum tinyml_rt_rule_compare {
  TINYML_RT_RULE_ABOVE = 0, /* on when average >= on_level; off when average < off_level */
  TINYML_RT_RULE_BELOW = 1  /* on when average <= on_level; off when average > off_level */
} tinyml_rt_rule_compare;

typedef enum tinyml_rt_action_kind {
  TINYML_RT_ACTION_ALERT = 0,  /* target: severity (tinyml_rt_severity); value: text index */
  TINYML_RT_ACTION_SET = 1,    /* target: actuator index; value: level (a switch: 0 or 1) */
  TINYML_RT_ACTION_PUBLISH = 2 /* target: message index; value: 0 */
} tinyml_rt_action_kind;

typedef enum tinyml_rt_severity {
  TINYML_RT_SEVERITY_INFO = 0,
  TINYML_RT_SEVERITY_WARNING = 1,
  TINYML_RT_SEVERITY_CRITICAL = 2
} tinyml_rt_severity;

typedef struct tinyml_rt_rule_action {
  int32_t kind; /* tinyml_rt_action_kind */
  int32_t target;
  int32_t value;
} tinyml_rt_rule_action;

typedef struct tinyml_rt_rule {
  int32_t signal;     /* index into the step's signal values */
  int32_t when_class; /* -1: any; else the predicted class must be this for the on
                         condition (a window predicting another class counts as off) */
  int32_t compare;    /* tinyml_rt_rule_compare */
  float on_level;     /* finite */
  float off_level;    /* finite; ABOVE: <= on_level; BELOW: >= on_level (hysteresis) */
  int32_t average;    /* windows in the moving average, [1, TINYML_RT_RULE_MAX_AVERAGE] */
  int32_t on_windows;  /* consecutive windows meeting the on condition before firing, >= 1 */
  int32_t off_windows; /* consecutive windows meeting the off condition before release, >= 1 */
  uint32_t cooldown_s; /* least time from one firing to the next; 0: none */
  uint32_t active_from_s, active_to_s; /* fires only when the time of day is in [from, to)
                                          (wrapping past midnight when from > to); both
                                          < 86400; from == to: at any time */
  int32_t first_action, action_count;                 /* run on firing */
  int32_t first_release_action, release_action_count; /* run on release */
} tinyml_rt_rule;

typedef struct tinyml_rt_rules {
  const tinyml_rt_rule* rules;
  int32_t rule_count; /* >= 0 */
  const tinyml_rt_rule_action* actions;
  int32_t action_count;
  int32_t signal_count;   /* values each step needs */
  int32_t class_count;    /* for when_class */
  int32_t actuator_count; /* valid targets of SET */
  int32_t text_count;     /* valid values of ALERT */
  int32_t message_count;  /* valid targets of PUBLISH */
  uint32_t day_offset_s;  /* [0, 86400): added to time_s % 86400 for the time of day
                             (the local time zone's offset, east of UTC) */
} tinyml_rt_rules;

/* One rule's memory between steps; zero-filled is the reset state. */
typedef struct tinyml_rt_rule_state {
  float history[TINYML_RT_RULE_MAX_AVERAGE]; /* the last `average` signal values */
  int32_t filled;        /* values held, up to `average` */
  int32_t next;          /* where the next value goes */
  int32_t active;        /* 1 from firing until release */
  int32_t streak;        /* consecutive windows meeting the condition that would change
                            `active` */
  int32_t fired_before;  /* 1 once the rule has fired (cooldown applies) */
  uint32_t last_fired_s; /* time of the last firing */
  float average;         /* the moving average of the last step */
} tinyml_rt_rule_state;

typedef struct tinyml_rt_rule_callbacks {
  void* user; /* passed back to every callback */
  /* Each may be NULL (nothing is called). `rule` reports a firing (active 1) or a
   * release (0) before that rule's actions run. */
  void (*rule)(void* user, int32_t rule, int32_t active);
  void (*actuator)(void* user, int32_t actuator, int32_t level);
  void (*alert)(void* user, int32_t severity, int32_t text);
  void (*publish)(void* user, int32_t message);
} tinyml_rt_rule_callbacks;

/* OK when every rule and action is within the table's counts and every level is as the
 * comments above say; BAD_PARAM (or NULL_POINTER) otherwise. */
tinyml_rt_status tinyml_rt_rules_check(const tinyml_rt_rules* rules);

/* Zero-fills states[0 .. state_count) after checking the table; state_count must be
 * rule_count. */
tinyml_rt_status tinyml_rt_rules_reset(const tinyml_rt_rules* rules,
                                       tinyml_rt_rule_state* states, int32_t state_count);

/* One step, after one inference at time_s (seconds, any epoch; the time of day is
 * (time_s % 86400 + day_offset_s) % 86400). For each rule in table order: a NaN signal
 * leaves the rule as it was; otherwise the value enters the moving average; an inactive
 * rule counts consecutive windows meeting its on condition and fires when the count
 * reaches on_windows while the time of day is active and the cooldown since its last
 * firing has passed (until then the count is held, so it fires at the first window
 * allowed); an active rule counts windows meeting its off condition and releases at
 * off_windows. Callbacks run in table order, each rule's actions in their order.
 * values[0 .. value_count) are the signal values (value_count >= signal_count). */
tinyml_rt_status tinyml_rt_rules_step(const tinyml_rt_rules* rules, tinyml_rt_rule_state* states,
                                      int32_t state_count, int32_t predicted_class,
                                      const float* values, int32_t value_count, uint32_t time_s,
                                      const tinyml_rt_rule_callbacks* callbacks);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_RT_RULES_H */
