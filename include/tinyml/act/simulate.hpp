// `tinyml simulate`: recorded readings replayed through the exported model and its rules.
// The exported folder (model, rules, runtime) is built with the host's C++ compiler into a
// replay program, as the device would run it; each recording (one device: a mote, a
// session) goes through it window by window in time order, with the rules' state reset
// between recordings. The host runs the same windows through the int8 model
// (optimize::run_int8) and the rules (HostRules, the runtime library): every output byte,
// signal and action must agree. The result is a timeline of what the rules did and how
// they did against the labelled events: events caught, how late, false alarms per hour.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/act/rules.hpp"
#include "tinyml/optimize/int8_file.hpp"

namespace tinyml::act {

// One window the device sees: the raw readings the model gets (length x features,
// feature-interleaved) and the span of its readings' times (seconds).
struct ReplayWindow {
  double t_begin = 0, t_end = 0;
  std::vector<float> raw;
};

// Consecutive labelled readings of a class other than the normal one.
struct LabelledEvent {
  double t_first = 0, t_last = 0;
  std::size_t readings = 0;
};

// One device's recording.
struct Recording {
  std::string name;  // "mote 4"
  std::string part;  // the split part its readings belong to, or "file"
  std::size_t readings = 0;
  double t_first = 0, t_last = 0;  // its first and last reading
  std::vector<ReplayWindow> windows;
  std::vector<LabelledEvent> events;
};

// What happened at one window.
struct Step {
  std::vector<std::int8_t> output;  // the model's int8 output
  std::int32_t predicted = 0;
  std::vector<float> signals;
  std::vector<float> averages;  // per rule: the moving average its levels compared
  std::vector<Event> events;
  bool operator==(const Step&) const = default;
};
using Steps = std::vector<std::vector<Step>>;  // per recording, per window

// The exported folder (with the rules, act/codegen.hpp) built into a replay program in
// `work_dir` and run over the recordings.
Steps run_generated(const std::filesystem::path& export_dir, const std::string& name,
                    const std::vector<Recording>& recordings, const std::filesystem::path& work_dir);
// The same windows on the host: optimize::run_int8 and HostRules.
Steps run_host(const optimize::Int8File& f, const RuleTables& t, const std::vector<Recording>& recordings);

struct SimulateOptions {
  std::vector<std::string> detectors;  // rules whose firing is a detection; empty: every rule
  double grace_s = -1;  // a firing this long after an event's last reading still catches it;
                        // < 0: the span of a window
  double speed = 0;     // the timeline's pace: N x real time; 0: as fast as possible
  bool timeline = true; // print the timeline (else only the summary)
};

struct SimulateResult {
  bool agree = true;          // the generated code gave the host's bytes, signals and actions
  std::string first_difference;
  std::size_t events = 0, caught = 0, false_alarms = 0, windows = 0, event_readings = 0;
  double hours = 0;           // of replayed recordings
  std::vector<double> delays_s;
  std::string summary;        // the summary lines
  nlohmann::json json;
};

// Compares the two runs, prints the timeline to `timeline` (paced when speed > 0) and
// measures the detections against the labelled events.
SimulateResult simulate(const RuleTables& t, const std::vector<Recording>& recordings, const Steps& generated,
                        const Steps& host, const SimulateOptions& o, std::ostream& timeline);

}  // namespace tinyml::act
