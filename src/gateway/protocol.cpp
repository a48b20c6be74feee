#include "tinyml/gateway/protocol.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include <fmt/format.h>

namespace tinyml::gateway {

namespace {

constexpr std::array<std::pair<Kind, std::string_view>, 6> kKinds = {{{Kind::Telemetry, "telemetry"},
                                                                      {Kind::Prediction, "prediction"},
                                                                      {Kind::Action, "action"},
                                                                      {Kind::Alert, "alert"},
                                                                      {Kind::Ack, "ack"},
                                                                      {Kind::Status, "status"}}};

bool is_int(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_number_integer(); }
bool is_num(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_number(); }
bool is_str(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_string(); }

}  // namespace

std::string_view to_string(Kind k) {
  for (const auto& [kind, name] : kKinds)
    if (kind == k) return name;
  return "?";
}

std::optional<Kind> parse_kind(std::string_view s) {
  for (const auto& [kind, name] : kKinds)
    if (name == s) return kind;
  return std::nullopt;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

std::string device_topic(std::string_view device, Kind k) {
  return fmt::format("{}/{}/{}", kTopicRoot, device, to_string(k));
}
std::string actuator_command_topic(std::string_view device, std::string_view actuator) {
  return fmt::format("{}/{}/cmd/actuator/{}", kTopicRoot, device, actuator);
}
std::string actuator_state_topic(std::string_view device, std::string_view actuator) {
  return fmt::format("{}/{}/actuator/{}/state", kTopicRoot, device, actuator);
}
std::string sensor_state_topic(std::string_view device, std::string_view sensor) {
  return fmt::format("{}/{}/sensor/{}/state", kTopicRoot, device, sensor);
}
std::string command_topic(std::string_view device, std::string_view command) {
  return fmt::format("{}/{}/cmd/{}", kTopicRoot, device, command);
}

nlohmann::json seq_ranges(std::vector<std::int64_t> seqs) {
  std::sort(seqs.begin(), seqs.end());
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < seqs.size();) {
    std::size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] <= seqs[j] + 1) ++j;
    out.push_back({seqs[i], seqs[j]});
    i = j + 1;
  }
  return out;
}

std::optional<DeviceTopic> parse_device_topic(std::string_view topic) {
  if (!topic.starts_with(kTopicRoot) || topic.size() <= kTopicRoot.size() || topic[kTopicRoot.size()] != '/')
    return std::nullopt;
  topic.remove_prefix(kTopicRoot.size() + 1);
  const std::size_t slash = topic.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view device = topic.substr(0, slash), rest = topic.substr(slash + 1);
  if (!valid_name(device)) return std::nullopt;
  const auto kind = parse_kind(rest);
  if (!kind) return std::nullopt;
  return DeviceTopic{std::string(device), *kind};
}

std::optional<Record> parse_record(const DeviceTopic& t, std::string_view payload, std::string& why) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded()) {
    why = "not JSON";
    return std::nullopt;
  }
  if (!j.is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  if (!is_int(j, "boot") || !is_int(j, "seq") || !is_num(j, "ts")) {
    why = "boot, seq (integers) and ts (number) are required";
    return std::nullopt;
  }
  switch (t.kind) {
    case Kind::Telemetry:
      if (!j.contains("values") || !j["values"].is_object()) why = "telemetry needs a 'values' object";
      break;
    case Kind::Prediction:
      if (!is_str(j, "class") || !is_int(j, "index")) why = "prediction needs 'class' (string) and 'index' (integer)";
      break;
    case Kind::Action:
      if (!is_str(j, "actuator") || !is_str(j, "state")) why = "action needs 'actuator' and 'state' (strings)";
      break;
    case Kind::Alert:
      if (!is_str(j, "message")) why = "alert needs 'message' (string)";
      break;
    case Kind::Ack:
      if (!is_str(j, "id") || !j.contains("ok") || !j["ok"].is_boolean()) why = "ack needs 'id' (string) and 'ok' (boolean)";
      break;
    case Kind::Status:
      break;
  }
  if (!why.empty()) return std::nullopt;
  Record r;
  r.kind = t.kind;
  r.device = t.device;
  r.boot = j["boot"].get<std::int64_t>();
  r.seq = j["seq"].get<std::int64_t>();
  r.ts = j["ts"].get<double>();
  r.body = std::move(j);
  return r;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace tinyml::gateway
