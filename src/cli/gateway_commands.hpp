// The act stage's messaging commands (`tinyml device`, `tinyml gateway`), kept out of main.cpp.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tinyml/gateway/device.hpp"
#include "tinyml/gateway/gateway.hpp"

namespace tinyml::cli {

// Connection flags shared by both commands.
struct MqttFlags {
  std::string broker = "127.0.0.1:1883", username, password_file, cafile, certfile, keyfile;
  void add(CLI::App* c);
  void apply(gateway::MqttOptions& o) const;
};

struct GatewayCommands {
  CLI::App* device_cmd = nullptr;
  CLI::App* gateway_cmd = nullptr;
  MqttFlags device_mqtt, gateway_mqtt;
  gateway::DeviceOptions device;
  gateway::GatewayOptions gw;
  std::string http = "127.0.0.1:8080", token_file, sync = "full", ready_file, model_dir, csv, work_dir;
  std::size_t max_queue = 10000;
  double duration = 0;
  bool no_http = false, no_share = false, no_discovery = false, json_out = false;

  void add(CLI::App& app);  // registers both; the options point into this object
  int run_device();
  int run_gateway();
};

}  // namespace tinyml::cli
