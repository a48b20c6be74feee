// The MQTT topic layout and JSON payloads shared by `tinyml device` and `tinyml gateway`
// (described for people in docs/mqtt.md).
//
//   tinyml/<device>/telemetry    device -> fleet   QoS 1   sensor readings
//   tinyml/<device>/prediction   device -> fleet   QoS 1   the model's output
//   tinyml/<device>/action       device -> fleet   QoS 1   an actuator changed state
//   tinyml/<device>/alert        device -> fleet   QoS 1   something needs attention
//   tinyml/<device>/ack          device -> fleet   QoS 1   the outcome of a command
//   tinyml/<device>/status       device -> fleet   QoS 1, retained; last will {"online":false}
//   tinyml/<device>/cmd/actuator/<name>   fleet -> device   QoS 1   "ON"/"OFF" or JSON
//   tinyml/<device>/cmd/thresholds        fleet -> device   QoS 1   JSON
//   tinyml/<device>/cmd/bundle            fleet -> device   QoS 1   JSON
//   tinyml/<device>/cmd/stored            gateway -> device QoS 0   {"boot", "ranges": [[a, b], ...]}
//   tinyml/<device>/actuator/<name>/state device -> fleet   QoS 1, retained   "ON"/"OFF"
//   tinyml/<device>/sensor/<name>/state   device -> fleet   QoS 0   the reading as text
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tinyml::gateway {

inline constexpr std::string_view kTopicRoot = "tinyml";

// The device -> fleet messages that carry an identity (boot, seq) and are stored.
enum class Kind { Telemetry, Prediction, Action, Alert, Ack, Status };
std::string_view to_string(Kind k);
std::optional<Kind> parse_kind(std::string_view s);
inline bool is_record(Kind k) { return k != Kind::Status; }

// Device ids: 1 to 64 of [A-Za-z0-9_-]; so are actuator and sensor names.
bool valid_name(std::string_view s);

std::string device_topic(std::string_view device, Kind k);
std::string actuator_command_topic(std::string_view device, std::string_view actuator);
std::string actuator_state_topic(std::string_view device, std::string_view actuator);
std::string sensor_state_topic(std::string_view device, std::string_view sensor);
std::string command_topic(std::string_view device, std::string_view command);  // thresholds, bundle, stored

// The seqs a gateway has committed, as sorted inclusive ranges: {1,2,3,7} -> [[1,3],[7,7]].
nlohmann::json seq_ranges(std::vector<std::int64_t> seqs);

// tinyml/<device>/<kind>; nullopt for anything else.
struct DeviceTopic {
  std::string device;
  Kind kind;
};
std::optional<DeviceTopic> parse_device_topic(std::string_view topic);

// A stored message: its identity is (device, boot, seq) and a repeated delivery (QoS 1 is
// at least once) has the same identity, so storing is idempotent.
struct Record {
  Kind kind = Kind::Telemetry;
  std::string device;
  std::int64_t boot = 0;  // the device's start time in microseconds: new on every start
  std::int64_t seq = 0;   // per device and boot, counting every stored message
  double ts = 0;          // device time of the event, seconds since the epoch
  double received = 0;    // gateway time of receipt
  nlohmann::json body;    // the whole payload
};

// Checks a payload for its kind; nullopt (and `why`) when malformed: not a JSON object,
// identity fields missing or of the wrong type, required fields of the kind missing.
std::optional<Record> parse_record(const DeviceTopic& t, std::string_view payload, std::string& why);

// Seconds since the epoch (system clock) as a double.
double now_seconds();

}  // namespace tinyml::gateway
