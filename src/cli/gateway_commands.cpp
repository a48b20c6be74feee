// `tinyml device` and `tinyml gateway`: the act stage's messaging commands.
#include "gateway_commands.hpp"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"

namespace tinyml::cli {

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

void catch_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// "host:port" (or a bare host, then `default_port`).
std::pair<std::string, int> host_port(const std::string& s, int default_port, const char* flag) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) return {s, default_port};
  try {
    const int port = std::stoi(s.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    return {s.substr(0, colon), port};
  } catch (const std::exception&) {
    input_error("{}: '{}' is not HOST:PORT", flag, s);
  }
}

// A secret from a file (trailing newlines dropped), else from an environment variable.
std::string secret(const std::string& file, const char* env, const char* flag) {
  if (!file.empty()) {
    std::string s = read_file(file);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) input_error("{}: {} is empty", flag, file);
    return s;
  }
  const char* v = std::getenv(env);
  return v != nullptr ? v : "";
}

}  // namespace

void MqttFlags::add(CLI::App* c) {
  c->add_option("--broker", broker, "The MQTT broker, HOST:PORT")->capture_default_str();
  c->add_option("--username", username, "MQTT user name");
  c->add_option("--password-file", password_file,
                "A file holding the MQTT password (else the TINYML_MQTT_PASSWORD environment variable)");
  c->add_option("--cafile", cafile, "TLS: the broker's certificate authority (turns TLS on)");
  c->add_option("--certfile", certfile, "TLS: a client certificate");
  c->add_option("--keyfile", keyfile, "TLS: the client certificate's key");
}

void MqttFlags::apply(gateway::MqttOptions& o) const {
  std::tie(o.host, o.port) = host_port(broker, cafile.empty() ? 1883 : 8883, "--broker");
  o.username = username;
  o.password = secret(password_file, "TINYML_MQTT_PASSWORD", "--password-file");
  o.tls_ca_file = cafile;
  o.tls_cert_file = certfile;
  o.tls_key_file = keyfile;
}

void GatewayCommands::add(CLI::App& app) {
  device_cmd = app.add_subcommand(
      "device",
      "Run a simulated device: replay the project's CSV source (one group's rows, e.g. one\n"
      "mote) at --rate rows per second through the exported model's generated C++ (built with\n"
      "the host compiler), and publish telemetry, predictions, actions and alerts over MQTT\n"
      "(QoS 1; buffered while the broker is away, at most --max-queue messages, oldest dropped\n"
      "first). Obeys actuator, threshold and model-bundle commands; announces its sensors, its\n"
      "prediction and its actuators to Home Assistant (MQTT discovery). Topics: docs/mqtt.md.\n"
      "Example: tinyml device examples/home/tinyml.toml --broker 127.0.0.1:1883 --rate 10");
  device_cmd->add_option("project", device.project, "The project file (tinyml.toml) whose model was deployed")
      ->required()
      ->check(CLI::ExistingFile);
  device_cmd->add_option("--id", device.id, "The device id (default: <project>-<group value>)");
  device_cmd->add_option("--model", model_dir, "The exported model folder (default: build/deploy/<name>/)");
  device_cmd->add_option("--csv", csv, "Replay this CSV instead of the project's first source");
  device_cmd->add_option("--group-value", device.group_value,
                         "Replay the rows of this group (default: the test split's first group)");
  device_cmd->add_option("--rate", device.rate, "Rows per second")->capture_default_str();
  device_cmd->add_option("--rows", device.rows, "Replay at most this many rows (default: all)");
  device_cmd->add_option("--linger", device.linger_s,
                         "Seconds to stay connected after the replay (default: until interrupted)");
  device_cmd->add_option("--actuator", device.actuators, "An actuator's name (repeatable; default: alarm)");
  device_cmd->add_option("--discovery-prefix", device.discovery_prefix, "Home Assistant's discovery prefix")
      ->capture_default_str();
  device_cmd->add_flag("--no-discovery", no_discovery, "Do not announce to Home Assistant");
  device_cmd->add_option("--max-queue", max_queue, "Messages kept while the broker is away")->capture_default_str();
  device_cmd->add_option("--work-dir", work_dir, "Where the model's helper program is built (default: build/device/<id>/)");
  device_cmd->add_flag("--json", json_out, "Print the summary as JSON");
  device_mqtt.add(device_cmd);

  gateway_cmd = app.add_subcommand(
      "gateway",
      "Run the gateway: subscribe to the fleet with an MQTT v5 shared subscription\n"
      "($share/<group>/tinyml/+/+, so several gateways split the load), store readings,\n"
      "predictions, actions and alerts in SQLite (WAL) or PostgreSQL, and serve the dashboard\n"
      "and the REST API. A message is acknowledged only after the database committed it.\n"
      "Control actions (switching an actuator) need the token of --token-file; reads too\n"
      "unless --open-read. Malformed, oversized and unknown devices' messages are refused and\n"
      "counted (GET /api/stats). Topics and the API: docs/mqtt.md.\n"
      "Example: tinyml gateway --db fleet.db --token-file token.txt --http 127.0.0.1:8080");
  gateway_cmd->add_option("--db", gw.database, "The SQLite database file")->capture_default_str();
  gateway_cmd->add_option("--postgres", gw.postgres,
                          "Store in PostgreSQL instead: a libpq connection string (\"host=... dbname=...\")");
  gateway_cmd->add_option("--sync", sync,
                          "SQLite: full (a commit survives power loss) or normal (survives a gateway crash)")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  gateway_cmd->add_option("--client-id", gw.mqtt.client_id,
                          "MQTT client id: the broker keeps this gateway's session under it (default: tinyml-gateway)");
  gateway_cmd->add_option("--group", gw.share_group, "The shared subscription's group")->capture_default_str();
  gateway_cmd->add_flag("--no-share", no_share, "A plain subscription (every gateway gets every message)");
  gateway_cmd->add_option("--allow", gw.allow,
                          "Accept only these device ids (repeatable; a trailing * matches a prefix; default: *)");
  gateway_cmd->add_option("--max-payload", gw.max_payload, "Refuse larger messages (bytes)")->capture_default_str();
  gateway_cmd->add_option("--http", http, "Serve the dashboard and API on HOST:PORT (port 0: any free port)")
      ->capture_default_str();
  gateway_cmd->add_flag("--no-http", no_http, "No dashboard or API");
  gateway_cmd->add_option("--token-file", token_file,
                          "A file holding the control token (else TINYML_GATEWAY_TOKEN); without one, control is off");
  gateway_cmd->add_flag("--open-read", gw.open_read, "Serve the read-only pages and API without the token");
  gateway_cmd->add_option("--ready-file", ready_file, "Write {\"http_port\": N} here once listening");
  gateway_cmd->add_option("--duration", duration, "Stop after this many seconds (default: until interrupted)");
  gateway_mqtt.add(gateway_cmd);
}

int GatewayCommands::run_device() {
  device_mqtt.apply(device.mqtt);
  device.mqtt.max_queue = max_queue;
  device.model_dir = model_dir;
  device.csv = csv;
  device.work_dir = work_dir;
  if (no_discovery) device.discovery_prefix.clear();
  catch_signals();
  const gateway::DeviceSummary s = gateway::run_device(device, std::cout, g_stop);
  if (json_out) {
    std::cout << s.to_json().dump(2) << "\n";
  } else {
    std::cout << fmt::format(
        "published {}, acknowledged by the broker {}, dropped {}, still queued {}; numbered {}, not confirmed "
        "stored {}, sent again {}; commands {} ({} refused)\n",
        s.mqtt.published, s.mqtt.acknowledged, s.mqtt.dropped, s.mqtt.backlog, s.numbered, s.unconfirmed, s.resent,
        s.commands, s.refused_commands);
  }
  return 0;
}

int GatewayCommands::run_gateway() {
  gateway_mqtt.apply(gw.mqtt);
  if (no_share) gw.share_group.clear();
  gw.sync = sync == "normal" ? gateway::SyncMode::Normal : gateway::SyncMode::Full;
  gw.http = !no_http;
  std::tie(gw.http_host, gw.http_port) = host_port(http, 8080, "--http");
  gw.token = secret(token_file, "TINYML_GATEWAY_TOKEN", "--token-file");
  catch_signals();
  gateway::Gateway g(gw);
  g.start();
  std::cout << fmt::format("gateway: storing in {}; MQTT {}:{} ({}){}\n", g.store().describe(), gw.mqtt.host,
                           gw.mqtt.port, gw.share_group.empty() ? "plain subscription" : "shared group " + gw.share_group,
                           gw.http ? fmt::format("; dashboard http://{}:{}/", gw.http_host, g.http_port()) : "");
  std::cout << (gw.token.empty() ? "gateway: no token: control actions are disabled\n" : "") << std::flush;
  if (!ready_file.empty()) write_file_atomic(ready_file, nlohmann::json{{"http_port", g.http_port()}}.dump());
  const auto end = duration > 0 ? std::chrono::steady_clock::now() +
                                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                          std::chrono::duration<double>(duration))
                                : std::chrono::steady_clock::time_point::max();
  while (!g_stop && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  g.stop();
  std::cout << "gateway: " << g.counters().to_json().dump() << "\n";
  return 0;
}

}  // namespace tinyml::cli
