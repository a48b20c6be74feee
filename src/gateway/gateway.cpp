#include "tinyml/gateway/gateway.hpp"

#include "http_server.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "tinyml/error.hpp"

namespace tinyml::gateway {

nlohmann::json GatewayCounters::to_json() const {
  return {{"received", received.load()},     {"stored", stored.load()},
          {"duplicates", duplicates.load()}, {"status", status.load()},
          {"malformed", malformed.load()},   {"oversized", oversized.load()},
          {"unknown_device", unknown_device.load()}, {"bad_topic", bad_topic.load()},
          {"bad_token", bad_token.load()},   {"commands", commands.load()},
          {"store_errors", store_errors.load()}};
}

// The last events, numbered, for the server-sent event streams.
struct Gateway::Hub {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> events;
  std::uint64_t first = 1;  // number of events.front()
  static constexpr std::size_t kKeep = 4096;
  bool closed = false;
};

Gateway::Gateway(GatewayOptions o) : o_(std::move(o)), hub_(std::make_unique<Hub>()) {
  if (o_.mqtt.client_id.empty()) o_.mqtt.client_id = "tinyml-gateway";
  for (const auto& a : o_.allow)
    if (a.empty() || (!valid_name(a) && !(a.back() == '*' && (a.size() == 1 || valid_name(a.substr(0, a.size() - 1))))))
      input_error("--allow: '{}' is not a device id or a prefix ending in '*'", a);
  store_ = o_.postgres.empty() ? open_sqlite(o_.database, o_.sync) : open_postgres(o_.postgres);
  mqtt_ = std::make_unique<MqttClient>(o_.mqtt);
  const std::string filter = fmt::format("{}/+/+", kTopicRoot);
  mqtt_->subscribe(o_.share_group.empty() ? filter : fmt::format("$share/{}/{}", o_.share_group, filter), 1);
  mqtt_->on_message([this](const MqttMessage& m) { on_message(m); });
  mqtt_->on_batch([this] { on_batch(); });
  mqtt_->on_tick([this] { confirm_stored(); });
}

Gateway::~Gateway() { stop(); }

bool Gateway::allowed(const std::string& device) const {
  for (const auto& a : o_.allow) {
    if (a == device) return true;
    if (!a.empty() && a.back() == '*' && device.compare(0, a.size() - 1, a, 0, a.size() - 1) == 0) return true;
  }
  return false;
}

void Gateway::on_message(const MqttMessage& m) {
  ++counters_.received;
  if (m.payload.size() > o_.max_payload) {
    ++counters_.oversized;
    return;
  }
  const auto topic = parse_device_topic(m.topic);
  if (!topic) {
    ++counters_.bad_topic;
    return;
  }
  if (!allowed(topic->device)) {
    ++counters_.unknown_device;
    return;
  }
  const double now = now_seconds();
  if (topic->kind == Kind::Status) {
    nlohmann::json j = nlohmann::json::parse(m.payload, nullptr, false);
    if (!j.is_object() || !j.contains("online") || !j["online"].is_boolean()) {
      ++counters_.malformed;
      return;
    }
    store_->set_status(topic->device, j["online"].get<bool>(), j, now);
    ++counters_.status;
    batch_events_.push_back({{"kind", "status"}, {"device", topic->device}, {"body", std::move(j)}, {"received", now}});
    return;
  }
  std::string why;
  auto rec = parse_record(*topic, m.payload, why);
  if (!rec) {
    ++counters_.malformed;
    return;
  }
  rec->received = now;
  batch_seqs_[{rec->device, rec->boot}].push_back(rec->seq);
  if (store_->add(*rec)) {
    ++batch_inserted_;
    batch_events_.push_back({{"kind", to_string(rec->kind)},
                             {"device", rec->device},
                             {"seq", rec->seq},
                             {"ts", rec->ts},
                             {"received", now},
                             {"body", rec->body}});
  } else {
    ++batch_duplicates_;
  }
}

void Gateway::on_batch() {
  // Commit before the acknowledgements go out. A store that cannot commit must not let them
  // go: after a few tries the gateway stops at once (the broker sends everything again to the
  // next gateway process, which stores each message once).
  for (int attempt = 1;; ++attempt) {
    try {
      store_->commit();
      break;
    } catch (const std::exception& e) {
      ++counters_.store_errors;
      if (attempt == 3) {
        std::fprintf(stderr, "tinyml gateway: the database cannot commit (%s); stopping without acknowledging\n",
                     e.what());
        std::fflush(stderr);
        std::_Exit(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    }
  }
  for (auto& [key, seqs] : batch_seqs_) {
    auto& c = committed_seqs_[key];
    c.insert(c.end(), seqs.begin(), seqs.end());
  }
  batch_seqs_.clear();
  counters_.stored += batch_inserted_;
  counters_.duplicates += batch_duplicates_;
  batch_inserted_ = batch_duplicates_ = 0;
  publish_events(std::move(batch_events_));
  batch_events_.clear();
}

// Tells each device which of its messages are committed, so that it can forget them (and
// send again what is never confirmed: the broker may lose what it acknowledged).
void Gateway::confirm_stored() {
  const auto now = std::chrono::steady_clock::now();
  if (committed_seqs_.empty() || now - last_confirm_ < std::chrono::milliseconds(250)) return;
  last_confirm_ = now;
  for (auto& [key, seqs] : committed_seqs_)
    mqtt_->publish(command_topic(key.first, "stored"),
                   nlohmann::json{{"boot", key.second}, {"ranges", seq_ranges(std::move(seqs))}}.dump(), 0, false);
  committed_seqs_.clear();
}

void Gateway::publish_events(std::vector<nlohmann::json> events) {
  if (events.empty()) return;
  {
    std::lock_guard lock(hub_->mu);
    for (auto& e : events) {
      hub_->events.push_back(e.dump());
      if (hub_->events.size() > Hub::kKeep) {
        hub_->events.pop_front();
        ++hub_->first;
      }
    }
  }
  hub_->cv.notify_all();
}

std::vector<std::string> Gateway::events_after(std::uint64_t& cursor, std::chrono::milliseconds timeout) {
  std::unique_lock lock(hub_->mu);
  auto last = [&] { return hub_->first + hub_->events.size(); };  // one past the newest
  if (cursor == 0) cursor = last();  // a new stream starts with what comes next
  hub_->cv.wait_for(lock, timeout, [&] { return hub_->closed || last() > cursor; });
  std::vector<std::string> out;
  if (cursor < hub_->first) cursor = hub_->first;  // fell behind: skip what is gone
  for (; cursor < last(); ++cursor) out.push_back(hub_->events[cursor - hub_->first]);
  return out;
}

std::string Gateway::send_command(const std::string& device, const std::string& kind, nlohmann::json body) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  const std::string id = fmt::format("{:016x}", rng());
  body["id"] = id;
  std::string topic;
  if (kind == "actuator") {
    topic = actuator_command_topic(device, body.value("actuator", ""));
  } else {
    topic = command_topic(device, kind);
  }
  store_->add_command(id, device, kind, body, now_seconds());
  mqtt_->publish(topic, body.dump(), 1, false);
  ++counters_.commands;
  return id;
}

void Gateway::stop() {
  stopping_ = true;
  {
    std::lock_guard lock(hub_->mu);
    hub_->closed = true;
  }
  hub_->cv.notify_all();
  stop_http();
  if (mqtt_) mqtt_->stop(std::chrono::milliseconds(2000));
}

}  // namespace tinyml::gateway
