// An MQTT v5 client over libmosquitto for the device agent and the gateway.
//
// - QoS 1 publishing with a bounded outgoing queue: a message waits in the queue until the
//   broker has acknowledged it (PUBACK). While the broker is away messages accumulate; when
//   the queue is full the oldest message not yet handed to the broker is dropped and counted.
// - Reconnection with a backoff; subscriptions are made again on every connection.
// - The network loop is this class's own thread, not libmosquitto's: it reads a burst of
//   packets, calls on_message for each, then on_batch, and only then writes the
//   acknowledgements libmosquitto queued for them. A receiver that makes its messages
//   durable in on_batch (a database commit) therefore acknowledges only what it committed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyml::gateway {

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  // required: a persistent session is keyed by it
  std::string username, password;
  // TLS: on when ca_file is set (the broker's certificate authority); a client certificate
  // and key are optional.
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  int keepalive_s = 30;
  // false: the broker keeps the session (subscriptions, unacknowledged QoS 1 messages) for
  // session_expiry_s seconds after a disconnection.
  bool clean_start = false;
  std::uint32_t session_expiry_s = 3600;
  std::size_t max_queue = 10000;   // outgoing messages held until acknowledged
  std::size_t max_inflight = 200;  // of those, handed to the broker at once
  std::size_t max_burst = 2000;    // received messages per on_batch at most
  // Last will: published by the broker when the connection is lost without a DISCONNECT.
  std::string will_topic, will_payload;
  bool will_retain = true;
  std::chrono::milliseconds reconnect_min{100}, reconnect_max{2000};
};

struct MqttStats {
  bool connected = false;
  std::uint64_t connects = 0;      // successful CONNACKs (the first one included)
  std::uint64_t disconnects = 0;   // connections lost or refused
  std::uint64_t published = 0;     // messages given to publish()
  std::uint64_t acknowledged = 0;  // PUBACKs received (QoS 0: written to the socket)
  std::uint64_t dropped = 0;       // removed from a full queue, oldest first
  std::uint64_t received = 0;      // messages delivered to on_message
  std::size_t backlog = 0;         // queued + in flight, not yet acknowledged
};

struct MqttMessage {
  std::string_view topic;
  std::string_view payload;
  int qos = 0;
  bool retain = false;
};

class MqttClient {
 public:
  explicit MqttClient(MqttOptions options);
  ~MqttClient();  // stop()
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Set before start(). Callbacks run on the network thread.
  void subscribe(std::string filter, int qos = 1);
  void on_message(std::function<void(const MqttMessage&)> f);
  void on_batch(std::function<void()> f);  // after each burst of on_message calls
  void on_connect(std::function<void()> f);
  void on_tick(std::function<void()> f);  // every turn of the network loop (at least 5 per second)

  void start();
  // Stops the network thread; with `drain` > 0 first waits up to that long for the queue
  // to empty, then disconnects cleanly (no last will).
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds{0});

  // Queues a message (any thread). Never blocks: a full queue drops its oldest message.
  void publish(std::string topic, std::string payload, int qos = 1, bool retain = false);
  // Waits until every queued message has been acknowledged; false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout) const;
  // Waits until connected; false on timeout.
  bool wait_connected(std::chrono::milliseconds timeout) const;

  MqttStats stats() const;
  const MqttOptions& options() const;

  struct Impl;  // the library's callbacks reach it; defined in mqtt.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

// MQTT topic filter matching ('+' one level, '#' the rest); `$share/<group>/` is stripped.
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace tinyml::gateway
