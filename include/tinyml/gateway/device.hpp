// `tinyml device`: a simulated sensor node. It replays a project's CSV source (one group's
// rows, e.g. one mote) at a chosen rate, runs the exported model's generated C++ (built with
// the host compiler) on every window, and talks MQTT: telemetry, predictions, actions and
// alerts out; actuator, threshold and model-bundle commands in; Home Assistant discovery.
//
// The model runs in a helper program: the exported folder compiled with a small harness
// (raw windows in, top class and dequantized outputs out), run once over every window of the
// replay before it starts, and again over the remaining windows when a new model arrives.
// The agent then only replays; the predictions are the generated code's own bytes.
#pragma once

#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/gateway/mqtt.hpp"

namespace tinyml::gateway {

struct DeviceOptions {
  MqttOptions mqtt;                    // client_id defaults to the device id
  std::string id;                      // default: <project>-<group value>
  std::filesystem::path project;       // tinyml.toml
  std::filesystem::path model_dir;     // default: the project's build/deploy/<name>/
  std::filesystem::path csv;           // default: the project's first source
  std::string group_value;             // default: the group of the project's test split
  double rate = 5;                     // rows per second
  std::size_t rows = 0;                // 0: every row of the group
  double linger_s = -1;                // after the replay: seconds to stay; -1 until stopped
  std::vector<std::string> actuators = {"alarm"};
  std::string discovery_prefix = "homeassistant";  // empty: no Home Assistant discovery
  std::filesystem::path work_dir;      // where the model's helper program is built
};

struct DeviceSummary {
  std::size_t rows = 0, windows = 0, commands = 0, refused_commands = 0;
  std::int64_t numbered = 0;  // messages with an identity (seq 1..numbered of this boot)
  // Of those: not confirmed stored by a gateway at exit; sent again for want of a
  // confirmation; forgotten unconfirmed because the journal was full (oldest first).
  std::size_t unconfirmed = 0, resent = 0, forgotten = 0;
  MqttStats mqtt;
  nlohmann::json to_json() const;
};

// The model's helper program: builds it (when the exported folder changed) and runs it
// over windows of raw readings. Each result is the top class and the dequantized outputs.
struct Prediction {
  int index = 0;
  std::vector<float> scores;
};
class ModelRunner {
 public:
  ModelRunner(std::filesystem::path model_dir, std::string name, std::filesystem::path work_dir);
  std::vector<Prediction> run(const std::vector<std::vector<float>>& windows) const;
  std::size_t input_count() const { return inputs_; }
  const std::vector<std::string>& classes() const { return classes_; }
  const std::string& name() const { return name_; }

 private:
  std::filesystem::path dir_, work_, exe_;
  std::string name_;
  std::size_t inputs_ = 0;
  std::vector<std::string> classes_;
};

// Runs until the replay (and the linger time) ends or `stop` becomes true. Progress lines
// go to `log`.
DeviceSummary run_device(const DeviceOptions& o, std::ostream& log, const std::atomic<bool>& stop);

}  // namespace tinyml::gateway
