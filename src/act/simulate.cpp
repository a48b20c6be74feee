#include "tinyml/act/simulate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/model.hpp"
#include "tinyml/optimize/int8_model.hpp"
#include "tinyml/process.hpp"

namespace tinyml::act {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The replay program: records of (int32 reset, uint32 time_s, float raw[INPUT_COUNT]) from
// argv[1]; for every window "o W <output bytes in hex>", the rules' callbacks as
// "e W KIND INDEX VALUE" (KIND in act::Event::Kind order), "s W PREDICTED <signals as
// hexadecimal floats>" and "a W <each rule's moving average>".
std::string harness(const std::string& name) {
  return fmt::format(
      "// tinyml simulate: recorded windows through the generated model and rules.\n"
      "#include <cstdint>\n#include <cstdio>\n\n#include \"{0}_rules.h\"\n\n"
      "namespace {{\n"
      "int g_window = 0;\n"
      "void event(int kind, int32_t index, int32_t value) {{\n"
      "  std::printf(\"e %d %d %d %d\\n\", g_window, kind, static_cast<int>(index), static_cast<int>(value));\n"
      "}}\n"
      "void on_rule(void*, int32_t rule, int32_t active) {{ event(active ? 0 : 1, rule, 0); }}\n"
      "void on_actuator(void*, int32_t actuator, int32_t level) {{ event(2, actuator, level); }}\n"
      "void on_alert(void*, int32_t severity, int32_t text) {{ event(3, severity, text); }}\n"
      "void on_publish(void*, int32_t message) {{ event(4, message, 0); }}\n"
      "}}  // namespace\n\n"
      "int main(int argc, char** argv) {{\n"
      "  if (argc != 2) return 2;\n"
      "  std::FILE* in = std::fopen(argv[1], \"rb\");\n"
      "  if (in == nullptr || {0}_init(nullptr, 0) != 0) return 2;\n"
      "  static float raw[{1}_INPUT_COUNT];\n"
      "  int32_t head[2];\n"
      "  const tinyml_rt_rule_callbacks callbacks = {{nullptr, on_rule, on_actuator, on_alert, on_publish}};\n"
      "  while (std::fread(head, sizeof head, 1, in) == 1 && std::fread(raw, sizeof raw, 1, in) == 1) {{\n"
      "    if (head[0] != 0 && {0}_rules_reset() != 0) return 4;\n"
      "    if ({0}_set_input(raw) != 0 || {0}_invoke() != 0) {{\n"
      "      std::fprintf(stderr, \"inference failed at window %d\\n\", g_window);\n"
      "      return 4;\n"
      "    }}\n"
      "    std::printf(\"o %d \", g_window);\n"
      "    for (int i = 0; i < {1}_OUTPUT_COUNT; ++i) std::printf(\"%02x\", static_cast<unsigned>({0}_output()[i] & 0xff));\n"
      "    std::printf(\"\\n\");\n"
      "    const int st = {0}_rules_step(raw, static_cast<uint32_t>(head[1]), &callbacks);\n"
      "    if (st != 0) {{\n"
      "      std::fprintf(stderr, \"rules step failed at window %d: status %d\\n\", g_window, st);\n"
      "      return 4;\n"
      "    }}\n"
      "    std::printf(\"s %d %d\", g_window, static_cast<int>({0}_rules_predicted_class()));\n"
      "    for (int i = 0; i < {1}_SIGNAL_COUNT; ++i) std::printf(\" %a\", static_cast<double>({0}_rules_signals()[i]));\n"
      "    std::printf(\"\\na %d\", g_window);\n"
      "    for (int i = 0; i < {1}_RULE_COUNT; ++i) std::printf(\" %a\", static_cast<double>({0}_rules_average(i)));\n"
      "    std::printf(\"\\n\");\n"
      "    ++g_window;\n"
      "  }}\n"
      "  std::fclose(in);\n"
      "  return 0;\n"
      "}}\n",
      name, upper(name));
}

std::uint32_t device_time(double t) {
  if (!(t >= 0 && t < 4294967296.0)) input_error("a window's time {} s does not fit the device's uint32 seconds", t);
  return static_cast<std::uint32_t>(std::llround(t));
}

std::string hex(const std::vector<std::int8_t>& v) {
  std::string s;
  for (std::int8_t b : v) s += fmt::format("{:02x}", static_cast<std::uint8_t>(b));
  return s;
}

std::vector<std::int8_t> unhex(const std::string& s) {
  std::vector<std::int8_t> v;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    v.push_back(static_cast<std::int8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  return v;
}

// "+h:mm:ss" from the start of the recording.
std::string elapsed(double s) {
  const long long t = std::llround(std::max(0.0, s));
  return fmt::format("+{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
}

std::string with_commas(std::size_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string describe_event(const RuleTables& t, const Event& e) {
  const auto at = [](const std::vector<std::string>& v, std::int32_t i) {
    return i >= 0 && static_cast<std::size_t>(i) < v.size() ? v[static_cast<std::size_t>(i)] : std::string("?");
  };
  switch (e.kind) {
    case Event::Kind::Set: {
      const std::string a = at(t.actuator_names, e.index);
      const bool level = static_cast<std::size_t>(e.index) < t.actuators.size() && t.actuators[static_cast<std::size_t>(e.index)].level;
      return level ? fmt::format("{} to {}", a, e.value) : fmt::format("{} {}", a, e.value ? "on" : "off");
    }
    case Event::Kind::Alert: return fmt::format("alert {} \"{}\"", severity_name(e.index), at(t.texts, e.value));
    case Event::Kind::Publish: {
      const std::string payload = at(t.payloads, e.index);
      return fmt::format("publish {}{}", at(t.topics, e.index), payload.empty() ? "" : " \"" + payload + "\"");
    }
    default: return "";
  }
}

// The typical span of a window (newest minus oldest reading) of the recordings.
double window_span(const std::vector<Recording>& recs) {
  std::vector<double> spans;
  for (const auto& r : recs)
    for (const auto& w : r.windows) spans.push_back(w.t_end - w.t_begin);
  if (spans.empty()) return 0;
  std::nth_element(spans.begin(), spans.begin() + static_cast<long>(spans.size() / 2), spans.end());
  return spans[spans.size() / 2];
}

}  // namespace

Steps run_generated(const fs::path& export_dir, const std::string& name, const std::vector<Recording>& recordings,
                    const fs::path& work_dir) {
  fs::create_directories(work_dir);
  std::string inputs;
  for (const auto& r : recordings)
    for (std::size_t i = 0; i < r.windows.size(); ++i) {
      const std::int32_t head[2] = {i == 0 ? 1 : 0, static_cast<std::int32_t>(device_time(r.windows[i].t_end))};
      inputs.append(reinterpret_cast<const char*>(head), sizeof head);
      inputs.append(reinterpret_cast<const char*>(r.windows[i].raw.data()), r.windows[i].raw.size() * sizeof(float));
    }
  write_file_atomic(work_dir / "windows.bin", inputs);
  write_file_atomic(work_dir / "replay_main.cpp", harness(name));
  std::optional<fs::path> cxx;
  for (const char* c : {"c++", "g++", "clang++"})
    if (!cxx) cxx = find_program(c);
  if (!cxx) input_error("no C++ compiler (c++, g++ or clang++) on PATH to build the replay (Debian: g++)");
  std::vector<std::string> sources;
  for (const auto& e : fs::directory_iterator(export_dir / "src"))
    if (e.path().extension() == ".cpp") sources.push_back(e.path().string());
  std::sort(sources.begin(), sources.end());
  std::vector<std::string> cmd = {cxx->string(), "-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                                  "-fno-exceptions", "-fno-rtti", "-I" + (export_dir / "src").string(), "-o",
                                  (work_dir / "replay").string(), (work_dir / "replay_main.cpp").string()};
  cmd.insert(cmd.end(), sources.begin(), sources.end());
  ProcessResult c = run_process(cmd, {.timeout = std::chrono::minutes(10), .merge_stderr = true});
  if (c.exit_code != 0) failure("the exported model and rules do not compile on the host:\n{}", c.out);
  ProcessResult run = run_process({(work_dir / "replay").string(), (work_dir / "windows.bin").string()},
                                  {.timeout = std::chrono::minutes(10)});
  if (run.exit_code != 0) failure("the replay program failed (exit {}): {}", run.exit_code, run.err);

  // Flat window numbers back to (recording, window).
  std::vector<std::pair<std::size_t, std::size_t>> where;
  Steps steps(recordings.size());
  for (std::size_t r = 0; r < recordings.size(); ++r) {
    steps[r].resize(recordings[r].windows.size());
    for (std::size_t i = 0; i < recordings[r].windows.size(); ++i) where.emplace_back(r, i);
  }
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream w(line);
    std::string tag;
    std::size_t k = 0;
    if (!(w >> tag >> k) || k >= where.size()) failure("the replay program wrote an unexpected line: {}", line);
    Step& s = steps[where[k].first][where[k].second];
    if (tag == "o") {
      std::string bytes;
      w >> bytes;
      s.output = unhex(bytes);
    } else if (tag == "e") {
      int kind = 0;
      Event e;
      w >> kind >> e.index >> e.value;
      e.kind = static_cast<Event::Kind>(kind);
      s.events.push_back(e);
    } else if (tag == "s") {
      w >> s.predicted;
      for (std::string v; w >> v;) s.signals.push_back(std::strtof(v.c_str(), nullptr));
    } else if (tag == "a") {
      for (std::string v; w >> v;) s.averages.push_back(std::strtof(v.c_str(), nullptr));
    }
  }
  return steps;
}

Steps run_host(const optimize::Int8File& f, const RuleTables& t, const std::vector<Recording>& recordings) {
  const auto& m = f.model;
  const float scale = m.tensors[m.output].q.scale;
  Steps steps(recordings.size());
  for (std::size_t r = 0; r < recordings.size(); ++r) {
    HostRules rules(t);
    for (const auto& w : recordings[r].windows) {
      Step s;
      s.output = optimize::run_int8(m, w.raw.data());
      s.events = rules.step(s.output.data(), scale, w.raw.data(), device_time(w.t_end));
      s.predicted = rules.predicted_class();
      s.signals = rules.signals();
      for (std::size_t k = 0; k < t.rules.size(); ++k) s.averages.push_back(rules.average(k));
      steps[r].push_back(std::move(s));
    }
  }
  return steps;
}

SimulateResult simulate(const RuleTables& t, const std::vector<Recording>& recordings, const Steps& generated,
                        const Steps& host, const SimulateOptions& o, std::ostream& os) {
  SimulateResult res;
  for (std::size_t r = 0; r < recordings.size() && res.agree; ++r)
    for (std::size_t i = 0; i < recordings[r].windows.size(); ++i) {
      const Step* g = r < generated.size() && i < generated[r].size() ? &generated[r][i] : nullptr;
      if (g == nullptr || !(*g == host[r][i])) {
        res.agree = false;
        res.first_difference = fmt::format(
            "{}, window {} ({}): generated code output {}, class {}, {} events; host output {}, class {}, {} events",
            recordings[r].name, i, elapsed(recordings[r].windows[i].t_end - recordings[r].t_first),
            g ? hex(g->output) : "(nothing)", g ? g->predicted : -1, g ? g->events.size() : 0, hex(host[r][i].output),
            host[r][i].predicted, host[r][i].events.size());
        break;
      }
    }

  std::vector<bool> detector(t.rules.size(), o.detectors.empty());
  for (const auto& d : o.detectors)
    for (std::size_t k = 0; k < t.rule_names.size(); ++k)
      if (t.rule_names[k] == d) detector[k] = true;
  const double grace = o.grace_s >= 0 ? o.grace_s : window_span(recordings);
  const auto pace_start = std::chrono::steady_clock::now();
  double paced_s = 0;  // replayed time already shown (over every recording)

  std::map<std::string, std::size_t> action_counts;
  std::vector<std::size_t> fired_total(t.rules.size(), 0), fired_in_event(t.rules.size(), 0);
  json recs = json::array();
  std::string table = fmt::format("  {:<12} {:<10} {:>8} {:>6} {:>8} {:>7} {:>7} {:>8} {:>7} {:>9}\n", "recording",
                                  "part", "readings", "hours", "windows", "events", "caught", "delay s", "false",
                                  "per hour");
  for (std::size_t r = 0; r < recordings.size(); ++r) {
    const Recording& rec = recordings[r];
    const auto& steps = host[r];
    const double hours = (rec.t_last - rec.t_first) / 3600.0;
    std::vector<int> caught_by(rec.events.size(), -1);
    std::vector<double> delay(rec.events.size(), 0);
    std::size_t false_alarms = 0;
    json firings = json::array();
    if (o.timeline)
      fmt::print(os, "{} ({}): {} readings over {:.1f} h, {} windows; times from its first reading\n", rec.name,
                 rec.part, with_commas(rec.readings), hours, with_commas(rec.windows.size()));
    // Labelled events are shown where they begin and end, between the windows.
    std::size_t next_begin = 0, next_end = 0;
    const auto show_labels_until = [&](double now) {
      while (o.timeline && next_begin < rec.events.size() && rec.events[next_begin].t_first <= now) {
        const auto& e = rec.events[next_begin++];
        fmt::print(os, "  {:>9}  labelled event begins ({} readings, until {})\n", elapsed(e.t_first - rec.t_first),
                   e.readings, elapsed(e.t_last - rec.t_first));
      }
      while (o.timeline && next_end < next_begin && rec.events[next_end].t_last + grace < now) {
        const auto& e = rec.events[next_end];
        fmt::print(os, "  {:>9}  labelled event ends{}\n", elapsed(e.t_last - rec.t_first),
                   caught_by[next_end] >= 0 ? "" : ": NOT CAUGHT");
        ++next_end;
      }
    };
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& s = steps[i];
      const double t_now = rec.windows[i].t_end;
      show_labels_until(t_now);
      if (s.events.empty()) continue;
      if (o.speed > 0 && o.timeline) {
        const double due = paced_s + (t_now - rec.t_first) / o.speed;
        std::this_thread::sleep_until(pace_start + std::chrono::duration<double>(due));
      }
      // One line per rule that fired or released, with its actions.
      std::string line;
      for (std::size_t k = 0; k < s.events.size(); ++k) {
        const Event& e = s.events[k];
        if (e.kind != Event::Kind::Fired && e.kind != Event::Kind::Released) {
          ++action_counts[describe_event(t, e)];
          continue;
        }
        const std::size_t rule = static_cast<std::size_t>(e.index);
        std::vector<std::string> acts;
        for (std::size_t j = k + 1; j < s.events.size(); ++j) {
          const Event::Kind kk = s.events[j].kind;
          if (kk == Event::Kind::Fired || kk == Event::Kind::Released) break;
          acts.push_back(describe_event(t, s.events[j]));
        }
        std::string verdict;
        std::size_t ev = rec.events.size();
        for (std::size_t x = 0; x < rec.events.size(); ++x)
          if (t_now >= rec.events[x].t_first && t_now <= rec.events[x].t_last + grace) ev = x;
        if (e.kind == Event::Kind::Fired) {
          ++fired_total[rule];
          if (ev < rec.events.size()) ++fired_in_event[rule];
        }
        if (e.kind == Event::Kind::Fired && detector[rule]) {
          json fj = {{"time_s", t_now}, {"rule", t.rule_names[rule]}};
          if (ev == rec.events.size()) {
            ++false_alarms;
            verdict = "  [false alarm]";
            fj["verdict"] = "false alarm";
          } else if (caught_by[ev] < 0) {
            caught_by[ev] = static_cast<int>(rule);
            delay[ev] = t_now - rec.events[ev].t_first;
            verdict = fmt::format("  [caught: {:.0f} s after the event began]", delay[ev]);
            fj["verdict"] = "caught";
            fj["delay_s"] = delay[ev];
          } else {
            verdict = "  [same event again]";
            fj["verdict"] = "repeat";
          }
          firings.push_back(fj);
        }
        const std::size_t sig = static_cast<std::size_t>(t.rules[rule].signal);
        const std::string avg =
            t.rules[rule].average > 1 ? fmt::format(" (average {:.2f})", s.averages[rule]) : std::string();
        line += fmt::format("  {:>9}  predicted {:<8} {} {:.2f}{}  {} {}{}{}\n", elapsed(t_now - rec.t_first),
                            t.classes[static_cast<std::size_t>(s.predicted)], t.signal_names[sig], s.signals[sig], avg,
                            t.rule_names[rule], e.kind == Event::Kind::Fired ? "fired" : "released",
                            acts.empty() ? "" : ": " + fmt::format("{}", fmt::join(acts, ", ")), verdict);
      }
      if (o.timeline) os << line << std::flush;
    }
    show_labels_until(1e300);
    if (o.speed > 0) paced_s += (rec.t_last - rec.t_first) / o.speed;

    std::size_t caught = 0, readings = 0;
    json evj = json::array();
    for (std::size_t x = 0; x < rec.events.size(); ++x) {
      readings += rec.events[x].readings;
      json e = {{"t_first", rec.events[x].t_first}, {"t_last", rec.events[x].t_last},
                {"readings", rec.events[x].readings}, {"caught", caught_by[x] >= 0}};
      if (caught_by[x] >= 0) {
        ++caught;
        res.delays_s.push_back(delay[x]);
        e["delay_s"] = delay[x];
        e["rule"] = t.rule_names[static_cast<std::size_t>(caught_by[x])];
      }
      evj.push_back(e);
    }
    std::vector<std::string> delays;
    for (std::size_t x = 0; x < rec.events.size(); ++x)
      if (caught_by[x] >= 0) delays.push_back(fmt::format("{:.0f}", delay[x]));
    table += fmt::format("  {:<12} {:<10} {:>8} {:>6.1f} {:>8} {:>7} {:>7} {:>8} {:>7} {:>9.2f}\n", rec.name, rec.part,
                         with_commas(rec.readings), hours, with_commas(rec.windows.size()), rec.events.size(), caught,
                         delays.empty() ? "-" : fmt::format("{}", fmt::join(delays, " ")), false_alarms,
                         hours > 0 ? static_cast<double>(false_alarms) / hours : 0.0);
    res.events += rec.events.size();
    res.caught += caught;
    res.false_alarms += false_alarms;
    res.windows += rec.windows.size();
    res.event_readings += readings;
    res.hours += hours;
    recs.push_back({{"name", rec.name},          {"part", rec.part},        {"readings", rec.readings},
                    {"hours", hours},            {"windows", rec.windows.size()}, {"events", evj},
                    {"event_readings", readings}, {"caught", caught},       {"false_alarms", false_alarms},
                    {"firings", firings}});
  }

  std::string& s = res.summary;
  s += table;
  const double per_hour = res.hours > 0 ? static_cast<double>(res.false_alarms) / res.hours : 0.0;
  std::string delay_text = "-";
  if (!res.delays_s.empty()) {
    std::vector<double> d = res.delays_s;
    std::sort(d.begin(), d.end());
    delay_text = fmt::format("{:.0f} s median ({:.0f} to {:.0f} s) after the first event reading",
                             d[d.size() / 2], d.front(), d.back());
  }
  s += fmt::format("labelled events: {} ({} event readings grouped into consecutive runs); caught {} of {}; delay {}\n",
                   res.events, res.event_readings, res.caught, res.events, delay_text);
  s += fmt::format("false alarms: {} in {:.1f} h of replay ({:.2f} per hour); a firing counts as a detection up to {:.0f} s "
                   "after an event's last reading\n",
                   res.false_alarms, res.hours, per_hour, grace);
  std::vector<std::string> per_rule;
  json rules_json = json::object();
  for (std::size_t k = 0; k < t.rules.size(); ++k) {
    per_rule.push_back(fmt::format("{}{} fired {} time{} ({} during a labelled event, {} outside)", t.rule_names[k],
                                   detector[k] ? " (detector)" : "", fired_total[k], fired_total[k] == 1 ? "" : "s",
                                   fired_in_event[k], fired_total[k] - fired_in_event[k]));
    rules_json[t.rule_names[k]] = {{"fired", fired_total[k]}, {"during_events", fired_in_event[k]},
                                   {"detector", static_cast<bool>(detector[k])}};
  }
  s += fmt::format("rules: {}\n", fmt::join(per_rule, "; "));
  std::vector<std::string> acts;
  for (const auto& [what, n] : action_counts) acts.push_back(fmt::format("{} x{}", what, n));
  s += fmt::format("actions: {}\n", acts.empty() ? std::string("none") : fmt::format("{}", fmt::join(acts, "; ")));
  if (res.agree)
    s += fmt::format("the generated code (built for the host) and the host's rules agree on all {} windows: outputs, "
                     "signals and actions\n",
                     with_commas(res.windows));
  else
    s += "MISMATCH between the generated code and the host: " + res.first_difference + "\n";

  json actions = json::object();
  for (const auto& [what, n] : action_counts) actions[what] = n;
  res.json = {{"recordings", recs},
              {"events", res.events},
              {"event_readings", res.event_readings},
              {"caught", res.caught},
              {"delays_s", res.delays_s},
              {"false_alarms", res.false_alarms},
              {"hours", res.hours},
              {"false_alarms_per_hour", per_hour},
              {"grace_s", grace},
              {"windows", res.windows},
              {"actions", actions},
              {"rules", rules_json},
              {"agree", res.agree}};
  if (!res.agree) res.json["first_difference"] = res.first_difference;
  return res;
}

}  // namespace tinyml::act
