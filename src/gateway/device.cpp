#include "tinyml/gateway/device.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "tinyml/data/csv.hpp"
#include "tinyml/deploy/export.hpp"
#include "tinyml/deploy/verify.hpp"
#include "tinyml/error.hpp"
#include "tinyml/gateway/protocol.hpp"
#include "tinyml/io.hpp"
#include "tinyml/process.hpp"
#include "tinyml/project.hpp"

namespace tinyml::gateway {

namespace fs = std::filesystem;
using nlohmann::json;

json DeviceSummary::to_json() const {
  return {{"rows", rows},
          {"windows", windows},
          {"commands", commands},
          {"refused_commands", refused_commands},
          {"numbered", numbered},
          {"unconfirmed", unconfirmed},
          {"resent", resent},
          {"forgotten", forgotten},
          {"published", mqtt.published},
          {"acknowledged", mqtt.acknowledged},
          {"dropped", mqtt.dropped},
          {"backlog", mqtt.backlog},
          {"connects", mqtt.connects}};
}

namespace {

// The helper program around the generated C API: "info" prints the input count and the
// class names; "run IN OUT" reads windows of raw float32 readings and writes one line per
// window: the top class, then every output dequantized.
std::string harness_source(const std::string& name) {
  return fmt::format(
      "// tinyml device: runs the exported model over windows of raw readings.\n"
      "#include <cstdio>\n#include <cstring>\n\n#include \"{0}.h\"\n\n"
      "int main(int argc, char** argv) {{\n"
      "  if (argc == 2 && std::strcmp(argv[1], \"info\") == 0) {{\n"
      "    std::printf(\"inputs %d\\n\", {1}_INPUT_COUNT);\n"
      "    for (int i = 0; i < {1}_CLASS_COUNT; ++i) std::printf(\"class %s\\n\", {0}_class_names[i]);\n"
      "    return 0;\n"
      "  }}\n"
      "  if (argc != 4 || std::strcmp(argv[1], \"run\") != 0) return 2;\n"
      "  std::FILE* in = std::fopen(argv[2], \"rb\");\n"
      "  std::FILE* out = std::fopen(argv[3], \"w\");\n"
      "  if (in == nullptr || out == nullptr) return 2;\n"
      "  if ({0}_init(nullptr, 0) != 0) return 3;\n"
      "  static float raw[{1}_INPUT_COUNT];\n"
      "  while (std::fread(raw, sizeof raw, 1, in) == 1) {{\n"
      "    if ({0}_set_input(raw) != 0 || {0}_invoke() != 0) return 4;\n"
      "    std::fprintf(out, \"%d\", static_cast<int>({0}_top_class()));\n"
      "    for (int i = 0; i < {1}_OUTPUT_COUNT; ++i) std::fprintf(out, \" %.6g\", {0}_output_value(i));\n"
      "    std::fprintf(out, \"\\n\");\n"
      "  }}\n"
      "  return std::fclose(out) == 0 ? 0 : 2;\n"
      "}}\n",
      name, deploy::macro_prefix(name));
}

}  // namespace

ModelRunner::ModelRunner(fs::path model_dir, std::string name, fs::path work_dir)
    : dir_(std::move(model_dir)), work_(std::move(work_dir)), name_(std::move(name)) {
  const fs::path header = dir_ / "src" / (name_ + ".h");
  if (!fs::exists(header))
    input_error("{} has no exported model named '{}' ({} is missing); run tinyml deploy or tinyml export first",
                dir_.string(), name_, header.string());
  std::vector<fs::path> sources;
  std::string fingerprint = harness_source(name_);
  for (const auto& e : fs::directory_iterator(dir_ / "src")) {
    const auto ext = e.path().extension();
    if (ext == ".cpp") sources.push_back(e.path());
    if (ext == ".cpp" || ext == ".h" || ext == ".hpp") fingerprint += e.path().filename().string() + read_file(e.path());
  }
  std::sort(sources.begin(), sources.end());
  fs::create_directories(work_);
  exe_ = work_ / (name_ + "_device");
  const fs::path stamp = work_ / (name_ + "_device.hash");
  const std::string hash = hex64(hash64(fingerprint));
  if (!fs::exists(exe_) || !fs::exists(stamp) || read_file(stamp) != hash) {
    write_file_atomic(work_ / "device_main.cpp", harness_source(name_));
    std::vector<std::string> cmd = {deploy::host_compiler().string(), "-std=c++17", "-O2", "-fno-exceptions", "-fno-rtti",
                                    "-I" + (dir_ / "src").string(), "-o", exe_.string(),
                                    (work_ / "device_main.cpp").string()};
    for (const auto& s : sources) cmd.push_back(s.string());
    ProcessResult r = run_process(cmd, {.timeout = std::chrono::minutes(10), .merge_stderr = true});
    if (r.exit_code != 0) failure("the exported model in {} does not compile on the host:\n{}", dir_.string(), r.out);
    write_file_atomic(stamp, hash);
  }
  ProcessResult info = run_process({exe_.string(), "info"}, {.timeout = std::chrono::seconds(30)});
  if (info.exit_code != 0) failure("the device's model program failed (exit {})", info.exit_code);
  std::istringstream in(info.out);
  std::string key, value;
  while (in >> key >> value) {
    if (key == "inputs") inputs_ = std::stoul(value);
    if (key == "class") classes_.push_back(value);
  }
}

std::vector<Prediction> ModelRunner::run(const std::vector<std::vector<float>>& windows) const {
  std::string bytes;
  for (const auto& w : windows) {
    if (w.size() != inputs_) failure("a window has {} readings, the model takes {}", w.size(), inputs_);
    bytes.append(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float));
  }
  write_file_atomic(work_ / "windows.bin", bytes);
  ProcessResult r = run_process({exe_.string(), "run", (work_ / "windows.bin").string(), (work_ / "predictions.txt").string()},
                                {.timeout = std::chrono::minutes(5), .merge_stderr = true});
  if (r.exit_code != 0) failure("the device's model program failed (exit {}): {}", r.exit_code, r.out);
  std::vector<Prediction> out;
  std::istringstream in(read_file(work_ / "predictions.txt"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    Prediction p;
    ls >> p.index;
    float v = 0;
    while (ls >> v) p.scores.push_back(v);
    out.push_back(std::move(p));
  }
  if (out.size() != windows.size()) failure("the device's model program answered {} of {} windows", out.size(), windows.size());
  return out;
}

namespace {

// The replayed rows of one group: the features' raw values, rows with a missing value left out.
struct Replay {
  std::vector<std::string> features;
  std::vector<std::vector<double>> rows;
  std::string group_value;
};

Replay load_replay(const Project& p, const DeviceOptions& o) {
  if (p.sources.empty()) input_error("{}: the project has no [[sources]] to replay", p.file.string());
  const SourceConfig& src = p.sources.front();
  const fs::path csv = o.csv.empty() ? src.path : o.csv;
  data::Table t = data::read_csv(csv, src.csv);
  Replay r;
  r.features = p.columns.features;
  if (r.features.empty()) input_error("{}: [data] features must name the columns the model reads", p.file.string());
  std::vector<const data::Column*> cols;
  for (const auto& f : r.features) cols.push_back(&t.at(f));
  const data::Column* group = p.columns.group.empty() ? nullptr : &t.at(p.columns.group);
  r.group_value = o.group_value;
  if (group != nullptr && r.group_value.empty()) {
    // The test split's first group when the split names groups, else the first row's.
    r.group_value = !p.split.groups[2].empty() ? p.split.groups[2].front() : group->text(0);
  }
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (group != nullptr && group->text(i) != r.group_value) continue;
    std::vector<double> row;
    bool missing = false;
    for (const auto* c : cols) {
      missing = missing || c->missing(i);
      row.push_back(c->values[i]);
    }
    if (!missing) r.rows.push_back(std::move(row));
  }
  if (r.rows.empty())
    input_error("{}: no complete rows{}", csv.string(),
                group ? fmt::format(" where {} is {}", p.columns.group, r.group_value) : std::string());
  return r;
}

// Windows over the replayed rows as the data stage cuts them: `length` rows, every `stride`
// rows, the features of each row side by side.
std::vector<std::vector<float>> windows_of(const Replay& r, std::size_t length, std::size_t stride,
                                           std::vector<std::size_t>& end_rows) {
  std::vector<std::vector<float>> w;
  for (std::size_t end = length; end <= r.rows.size(); end += stride) {
    std::vector<float> x;
    for (std::size_t i = end - length; i < end; ++i)
      for (double v : r.rows[i]) x.push_back(static_cast<float>(v));
    w.push_back(std::move(x));
    end_rows.push_back(end - 1);
  }
  return w;
}

class Agent {
 public:
  Agent(const DeviceOptions& o, std::ostream& log, Replay replay, std::vector<std::string> classes, std::string model)
      : o_(o), log_(log), replay_(std::move(replay)), classes_(std::move(classes)), model_(std::move(model)) {
    boot_ = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
    for (const auto& a : o_.actuators) actuators_[a] = false;
    MqttOptions mo = o_.mqtt;
    if (mo.client_id.empty()) mo.client_id = o_.id;
    mo.will_topic = device_topic(o_.id, Kind::Status);
    mo.will_payload = json{{"online", false}, {"boot", boot_}}.dump();
    mo.will_retain = true;
    mqtt_ = std::make_unique<MqttClient>(mo);
    mqtt_->subscribe(fmt::format("{}/{}/cmd/#", kTopicRoot, o_.id), 1);
    mqtt_->on_connect([this] { announce(); });
    mqtt_->on_message([this](const MqttMessage& m) { on_command(m); });
  }

  MqttClient& mqtt() { return *mqtt_; }
  std::int64_t boot() const { return boot_; }
  std::int64_t numbered() const { return seq_; }

  json stamp(json body) {
    body["boot"] = boot_;
    body["seq"] = ++seq_;
    body["ts"] = now_seconds();
    return body;
  }

  // A numbered message stays in the journal until a gateway confirms it committed it
  // (cmd/stored); one unconfirmed for `kResend` is sent again (the gateway stores it once).
  void publish(Kind k, json body) {
    body = stamp(std::move(body));
    const std::int64_t seq = body["seq"].get<std::int64_t>();
    std::string topic = device_topic(o_.id, k), payload = body.dump();
    {
      std::lock_guard lock(mu_);
      journal_[seq] = {topic, payload, std::chrono::steady_clock::now()};
      while (journal_.size() > o_.mqtt.max_queue) {
        journal_.erase(journal_.begin());
        ++forgotten_;
      }
    }
    mqtt_->publish(std::move(topic), std::move(payload), 1, false);
  }

  void confirmed(const json& body) {
    if (!body.is_object() || body.value("boot", std::int64_t{0}) != boot_ || !body.contains("ranges") ||
        !body["ranges"].is_array())
      return;
    std::lock_guard lock(mu_);
    for (const auto& r : body["ranges"]) {
      if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number_integer()) continue;
      journal_.erase(journal_.lower_bound(r[0].get<std::int64_t>()), journal_.upper_bound(r[1].get<std::int64_t>()));
    }
  }

  // Sends again what no gateway confirmed in time (while connected and not busy).
  void resend_unconfirmed() {
    const MqttStats st = mqtt_->stats();
    if (!st.connected || st.backlog > 0) return;
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, std::string>> again;
    {
      std::lock_guard lock(mu_);
      for (auto& [seq, e] : journal_) {
        if (now - e.sent < kResend) continue;
        e.sent = now;
        again.emplace_back(e.topic, e.payload);
      }
    }
    resent_ += again.size();
    for (auto& [t, p] : again) mqtt_->publish(std::move(t), std::move(p), 1, false);
  }

  std::size_t unconfirmed() {
    std::lock_guard lock(mu_);
    return journal_.size();
  }
  std::size_t resent() const { return resent_; }
  std::size_t forgotten() const { return forgotten_; }

  // Retained: the device's description for the gateway, and Home Assistant's discovery.
  void announce() {
    json acts = json::object();
    {
      std::lock_guard lock(mu_);
      for (const auto& [name, on] : actuators_) acts[name] = on ? "on" : "off";
    }
    mqtt_->publish(device_topic(o_.id, Kind::Status),
                   json{{"online", true},
                        {"boot", boot_},
                        {"features", replay_.features},
                        {"classes", classes_},
                        {"actuators", acts},
                        {"model", model_},
                        {"thresholds", thresholds_}}
                       .dump(),
                   1, true);
    for (const auto& [name, on] : actuators_snapshot())
      mqtt_->publish(actuator_state_topic(o_.id, name), on ? "ON" : "OFF", 1, true);
    if (o_.discovery_prefix.empty()) return;
    const json device = {{"identifiers", {o_.id}},
                         {"name", o_.id},
                         {"model", "tinyml simulated device (" + model_ + ")"},
                         {"manufacturer", "tinyml"}};
    const json availability = {{"topic", device_topic(o_.id, Kind::Status)},
                               {"value_template", "{{ 'online' if value_json.online else 'offline' }}"}};
    auto config = [&](const std::string& component, const std::string& object, json c) {
      c["unique_id"] = o_.id + "_" + object;
      c["object_id"] = o_.id + "_" + object;
      c["device"] = device;
      c["availability"] = json::array({availability});
      mqtt_->publish(fmt::format("{}/{}/{}/{}/config", o_.discovery_prefix, component, o_.id, object), c.dump(), 1,
                     true);
    };
    for (const auto& f : replay_.features)
      config("sensor", f,
             {{"name", f},
              {"state_topic", device_topic(o_.id, Kind::Telemetry)},
              {"value_template", "{{ value_json['values']['" + f + "'] }}"},
              {"state_class", "measurement"}});
    config("sensor", "prediction",
           {{"name", "prediction"},
            {"state_topic", device_topic(o_.id, Kind::Prediction)},
            {"value_template", "{{ value_json['class'] }}"},
            {"icon", "mdi:brain"}});
    for (const auto& [name, on] : actuators_snapshot())
      config("switch", name,
             {{"name", name},
              {"command_topic", actuator_command_topic(o_.id, name)},
              {"state_topic", actuator_state_topic(o_.id, name)},
              {"payload_on", "ON"},
              {"payload_off", "OFF"},
              {"state_on", "ON"},
              {"state_off", "OFF"},
              {"qos", 1}});
  }

  std::map<std::string, bool> actuators_snapshot() {
    std::lock_guard lock(mu_);
    return actuators_;
  }

  void ack(const std::string& id, bool ok, const std::string& detail) {
    publish(Kind::Ack, {{"id", id}, {"ok", ok}, {"detail", detail}});
  }

  void set_actuator(const std::string& name, bool on, const std::string& source, const std::string& command) {
    {
      std::lock_guard lock(mu_);
      actuators_[name] = on;
    }
    json body = {{"actuator", name}, {"state", on ? "on" : "off"}, {"source", source}};
    if (!command.empty()) body["command"] = command;
    publish(Kind::Action, std::move(body));
    mqtt_->publish(actuator_state_topic(o_.id, name), on ? "ON" : "OFF", 1, true);
  }

  void on_command(const MqttMessage& m) {
    const std::string prefix = fmt::format("{}/{}/cmd/", kTopicRoot, o_.id);
    const std::string_view what = m.topic.substr(std::min(prefix.size(), m.topic.size()));
    json body = json::parse(m.payload, nullptr, false);
    const std::string id = body.is_object() && body.contains("id") && body["id"].is_string() ? body["id"].get<std::string>() : "";
    auto refuse = [&](const std::string& why) {
      ++refused_;
      log_line(fmt::format("refused command on {}: {}", m.topic, why));
      ack(id, false, why);
    };
    if (what == "stored") return confirmed(body);
    ++commands_;
    if (what.starts_with("actuator/")) {
      const std::string name(what.substr(9));
      std::string state;
      if (m.payload == "ON" || m.payload == "OFF") {
        state = m.payload == "ON" ? "on" : "off";  // Home Assistant's switch
      } else if (body.is_object() && body.contains("state") && body["state"].is_string()) {
        state = body["state"];
      }
      if (state != "on" && state != "off") return refuse("state must be on or off");
      if (actuators_snapshot().count(name) == 0) return refuse("no actuator '" + name + "'");
      set_actuator(name, state == "on", "command", id);
      log_line(fmt::format("actuator {} {} (command {})", name, state, id.empty() ? "-" : id));
      ack(id, true, name + " " + state);
    } else if (what == "thresholds") {
      if (!body.is_object()) return refuse("thresholds must be a JSON object");
      {
        std::lock_guard lock(mu_);
        for (auto it = body.begin(); it != body.end(); ++it)
          if (it.key() != "id") thresholds_[it.key()] = it.value();
      }
      log_line(fmt::format("thresholds {}", body.dump()));
      ack(id, true, "thresholds stored");
    } else if (what == "bundle") {
      if (!body.is_object() || !body.contains("model_dir") || !body["model_dir"].is_string())
        return refuse("bundle needs model_dir (an exported model folder)");
      std::lock_guard lock(mu_);
      pending_models_.emplace_back(body["model_dir"].get<std::string>(), id);
    } else {
      refuse("unknown command");
    }
  }

  // A model update waiting to be applied by the replay loop (it rebuilds the helper program).
  bool take_model_update(std::string& dir, std::string& id) {
    std::lock_guard lock(mu_);
    if (pending_models_.empty()) return false;
    std::tie(dir, id) = pending_models_.front();
    pending_models_.pop_front();
    return true;
  }

  void log_line(const std::string& s) {
    std::lock_guard lock(log_mu_);
    log_ << "device " << o_.id << ": " << s << std::endl;
  }

  std::size_t commands() const { return commands_; }
  std::size_t refused() const { return refused_; }
  void set_model(std::string m) { model_ = std::move(m); }

 private:
  const DeviceOptions& o_;
  std::ostream& log_;
  Replay replay_;
  std::vector<std::string> classes_;
  std::string model_;
  std::unique_ptr<MqttClient> mqtt_;
  std::int64_t boot_ = 0;
  std::atomic<std::int64_t> seq_{0};
  std::mutex mu_, log_mu_;
  std::map<std::string, bool> actuators_;
  json thresholds_ = json::object();
  std::deque<std::pair<std::string, std::string>> pending_models_;  // (folder, command id)
  std::atomic<std::size_t> commands_{0}, refused_{0}, resent_{0}, forgotten_{0};
  struct Entry {
    std::string topic, payload;
    std::chrono::steady_clock::time_point sent;
  };
  std::map<std::int64_t, Entry> journal_;
  static constexpr std::chrono::seconds kResend{5};
};

bool sleep_until(std::chrono::steady_clock::time_point t, const std::atomic<bool>& stop) {
  while (!stop) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= t) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(t - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace

DeviceSummary run_device(const DeviceOptions& o, std::ostream& log, const std::atomic<bool>& stop) {
  Project p = load_project(o.project);
  if (!p.window_enabled) input_error("{}: the device replays windows; the project has no [window]", p.file.string());
  DeviceOptions opt = o;
  Replay replay = load_replay(p, o);
  if (opt.id.empty()) opt.id = p.name + (replay.group_value.empty() ? "" : "-" + replay.group_value);
  if (!valid_name(opt.id)) input_error("--id: '{}' is not a device id (1 to 64 of A-Z a-z 0-9 _ -)", opt.id);
  for (const auto& a : opt.actuators)
    if (!valid_name(a)) input_error("--actuator: '{}' is not a name (1 to 64 of A-Z a-z 0-9 _ -)", a);
  if (opt.rate <= 0) input_error("--rate must be positive");
  const fs::path model_dir = opt.model_dir.empty() ? p.build_dir / "deploy" / p.deploy.name : opt.model_dir;
  const fs::path work = opt.work_dir.empty() ? p.build_dir / "device" / opt.id : opt.work_dir;
  auto runner = std::make_unique<ModelRunner>(model_dir, p.deploy.name, work);
  const std::size_t per_row = replay.features.size();
  if (runner->input_count() != p.window.length * per_row)
    input_error("the model takes {} readings, the project's windows have {} x {}", runner->input_count(),
                p.window.length, per_row);
  std::vector<std::size_t> window_end;
  const auto windows = windows_of(replay, p.window.length, p.window.stride, window_end);
  std::vector<Prediction> predictions = runner->run(windows);
  const std::size_t rows = opt.rows ? std::min(opt.rows, replay.rows.size()) : replay.rows.size();
  log << fmt::format("device {}: {} rows of {} ({}), {} windows, model {} ({} classes)\n", opt.id, rows,
                     p.columns.group.empty() ? "the source" : p.columns.group + " " + replay.group_value,
                     fmt::join(replay.features, ", "), windows.size(), model_dir.string(), runner->classes().size());

  Agent agent(opt, log, replay, runner->classes(), p.deploy.name);
  agent.mqtt().start();
  for (const auto& [name, on] : agent.actuators_snapshot()) agent.set_actuator(name, on, "start", "");

  DeviceSummary s;
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / opt.rate));
  auto next = std::chrono::steady_clock::now();
  int last_class = 0;
  // A bundle command: the new folder is built and run over the windows still to come.
  std::size_t w = 0, updates = 0;
  auto apply_model_update = [&] {
    std::string dir, id;
    if (!agent.take_model_update(dir, id)) return;
    try {
      auto fresh = std::make_unique<ModelRunner>(dir, p.deploy.name, work / fmt::format("update-{}", ++updates));
      if (fresh->input_count() != runner->input_count())
        failure("it takes {} readings, not {}", fresh->input_count(), runner->input_count());
      const std::vector<std::vector<float>> rest(windows.begin() + static_cast<std::ptrdiff_t>(w), windows.end());
      const auto fresh_predictions = fresh->run(rest);
      std::copy(fresh_predictions.begin(), fresh_predictions.end(), predictions.begin() + static_cast<std::ptrdiff_t>(w));
      runner = std::move(fresh);
      agent.set_model(dir);
      agent.log_line("model updated from " + dir);
      agent.ack(id, true, "model updated");
    } catch (const std::exception& e) {
      agent.log_line(std::string("model update refused: ") + e.what());
      agent.ack(id, false, std::string("model update refused: ") + e.what());
    }
  };
  auto last_resend = std::chrono::steady_clock::now();
  auto maybe_resend = [&] {
    if (std::chrono::steady_clock::now() - last_resend < std::chrono::seconds(1)) return;
    last_resend = std::chrono::steady_clock::now();
    agent.resend_unconfirmed();
  };
  for (std::size_t i = 0; i < rows && !stop; ++i) {
    if (!sleep_until(next, stop)) break;
    next += period;
    maybe_resend();
    apply_model_update();
    json values = json::object();
    for (std::size_t f = 0; f < per_row; ++f) values[replay.features[f]] = replay.rows[i][f];
    agent.publish(Kind::Telemetry, {{"values", std::move(values)}, {"row", i}});
    ++s.rows;
    if (w < window_end.size() && window_end[w] == i) {
      const Prediction& pr = predictions[w];
      const auto& classes = runner->classes();
      const std::string name = pr.index >= 0 && static_cast<std::size_t>(pr.index) < classes.size()
                                   ? classes[static_cast<std::size_t>(pr.index)]
                                   : std::to_string(pr.index);
      agent.publish(Kind::Prediction, {{"class", name}, {"index", pr.index}, {"scores", pr.scores}, {"window", w}});
      if (pr.index != 0 && last_class == 0)
        agent.publish(Kind::Alert, {{"level", "warning"}, {"message", fmt::format("{} detected", name)}, {"window", w}});
      last_class = pr.index;
      ++w;
      ++s.windows;
    }
  }
  log << fmt::format("device {}: replayed {} rows, {} windows\n", opt.id, s.rows, s.windows);
  if (opt.linger_s != 0) {
    const auto end = opt.linger_s < 0 ? std::chrono::steady_clock::time_point::max()
                                      : std::chrono::steady_clock::now() +
                                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                std::chrono::duration<double>(opt.linger_s));
    while (!stop && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      maybe_resend();
      apply_model_update();
    }
  }
  // Until a gateway confirmed everything (at most 20 s, none may be running; not when
  // interrupted).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!stop && agent.unconfirmed() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    maybe_resend();
  }
  // Going away cleanly: say so (the last will is for crashes), then deliver what is queued.
  agent.mqtt().publish(device_topic(opt.id, Kind::Status), json{{"online", false}, {"boot", agent.boot()}}.dump(), 1, true);
  agent.mqtt().wait_idle(std::chrono::seconds(5));
  s.commands = agent.commands();
  s.refused_commands = agent.refused();
  s.numbered = agent.numbered();
  s.unconfirmed = agent.unconfirmed();
  s.resent = agent.resent();
  s.forgotten = agent.forgotten();
  s.mqtt = agent.mqtt().stats();
  agent.mqtt().stop();
  return s;
}

}  // namespace tinyml::gateway
