// `tinyml gateway`: subscribes to the fleet (an MQTT v5 shared subscription, so several
// gateways split the load), stores what arrives (SQLite or PostgreSQL), serves the REST API
// and the dashboard, and sends commands to devices.
//
// No loss: the gateway's MQTT session is persistent (clean start off, a session expiry), so
// the broker keeps QoS 1 messages while the gateway is away. Received messages are added to
// a database transaction; after each burst of messages the transaction is committed, and
// only then are the acknowledgements (PUBACK) written (see mqtt.hpp). A message whose
// acknowledgement was written is committed; one that was not is sent again by the broker
// and stored once (the identity (device, boot, seq) is the primary key).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/gateway/mqtt.hpp"
#include "tinyml/gateway/store.hpp"

namespace tinyml::gateway {

struct GatewayOptions {
  MqttOptions mqtt;               // client_id defaults to "tinyml-gateway"
  std::string share_group = "tinyml";  // $share/<group>/...; empty: a plain subscription
  std::string database = "gateway.db";  // SQLite file
  std::string postgres;                 // a libpq connection string: PostgreSQL instead
  SyncMode sync = SyncMode::Full;
  std::vector<std::string> allow = {"*"};  // device ids; a trailing '*' matches a prefix
  std::size_t max_payload = 16 * 1024;     // bytes; larger messages are refused
  std::string http_host = "127.0.0.1";
  int http_port = 8080;                    // 0: any free port (see http_port())
  bool http = true;
  std::string token;        // control actions (and reads unless open_read) need it
  bool open_read = false;   // read-only pages and API without the token
};

// What the gateway refused or did, since it started.
struct GatewayCounters {
  std::atomic<std::uint64_t> received{0}, stored{0}, duplicates{0}, status{0};
  std::atomic<std::uint64_t> malformed{0}, oversized{0}, unknown_device{0}, bad_topic{0};
  std::atomic<std::uint64_t> bad_token{0}, commands{0}, store_errors{0};
  nlohmann::json to_json() const;
};

class Gateway {
 public:
  explicit Gateway(GatewayOptions o);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void start();  // MQTT and HTTP; returns once the HTTP port is bound
  void stop();
  int http_port() const;

  // Sends a command to a device (QoS 1) and records it; returns the command id. `kind` is
  // "actuator" (body {"actuator", "state"}), "thresholds" or "bundle".
  std::string send_command(const std::string& device, const std::string& kind, nlohmann::json body);
  bool allowed(const std::string& device) const;

  const GatewayCounters& counters() const { return counters_; }
  Store& store() { return *store_; }
  MqttClient& mqtt() { return *mqtt_; }
  const GatewayOptions& options() const { return o_; }

  // Live events (each stored record and status, as JSON) for server-sent events: waits up
  // to `timeout` for events after `cursor`, returns them and advances the cursor.
  std::vector<std::string> events_after(std::uint64_t& cursor, std::chrono::milliseconds timeout);

 private:
  void on_message(const MqttMessage& m);
  void on_batch();
  void publish_events(std::vector<nlohmann::json> events);
  void start_http();
  void stop_http();

  struct Http;
  GatewayOptions o_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<MqttClient> mqtt_;
  std::unique_ptr<Http> http_;
  GatewayCounters counters_;
  void confirm_stored();
  std::vector<nlohmann::json> batch_events_;
  // Seqs stored (or already stored) per (device, boot): those of the open batch, and those
  // committed and not yet confirmed to the device (cmd/stored, every 250 ms).
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> batch_seqs_, committed_seqs_;
  std::chrono::steady_clock::time_point last_confirm_{};
  std::uint64_t batch_inserted_ = 0, batch_duplicates_ = 0;

  struct Hub;
  std::unique_ptr<Hub> hub_;
  std::atomic<bool> stopping_{false};
};

// The dashboard page (plain HTML and JavaScript; the charting library is served beside it).
std::string_view dashboard_html();

}  // namespace tinyml::gateway
