#include "tinyml/gateway/mqtt.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "tinyml/error.hpp"

namespace tinyml::gateway {

namespace {

struct Outgoing {
  std::string topic, payload;
  int qos = 1;
  bool retain = false;
};

void lib_init() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

// Frees a libmosquitto property list on scope exit.
struct Properties {
  mosquitto_property* list = nullptr;
  Properties() = default;
  Properties(const Properties&) = delete;
  Properties& operator=(const Properties&) = delete;
  ~Properties() { mosquitto_property_free_all(&list); }
};

}  // namespace

struct MqttClient::Impl {
  MqttOptions o;
  mosquitto* m = nullptr;
  std::function<void(const MqttMessage&)> message_cb;
  std::function<void()> batch_cb, connect_cb, tick_cb;
  std::vector<std::pair<std::string, int>> subscriptions;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<Outgoing> pending;                // not yet handed to libmosquitto
  std::unordered_map<int, Outgoing> inflight;  // handed over, by message id
  MqttStats st;
  bool session_up = false;  // CONNACK received on the current connection
  std::atomic<bool> stopping{false};
  int wake_fd = -1;
  std::thread thread;
  bool received_in_burst = false;

  void wake() const {
    const std::uint64_t one = 1;
    if (wake_fd >= 0 && ::write(wake_fd, &one, sizeof one) < 0) {
      // The loop wakes up within its poll timeout anyway.
    }
  }

  // Hands queued messages to libmosquitto while the session is up (network thread only).
  void pump() {
    std::unique_lock lock(mu);
    while (session_up && !pending.empty() && inflight.size() < o.max_inflight) {
      Outgoing msg = std::move(pending.front());
      pending.pop_front();
      int mid = 0;
      lock.unlock();
      const int rc = mosquitto_publish_v5(m, &mid, msg.topic.c_str(), static_cast<int>(msg.payload.size()),
                                          msg.payload.data(), msg.qos, msg.retain, nullptr);
      lock.lock();
      if (rc != MOSQ_ERR_SUCCESS) {
        pending.push_front(std::move(msg));  // retried after the next connection
        break;
      }
      // on_publish for this id cannot have run yet: callbacks run on this thread.
      inflight.emplace(mid, std::move(msg));
    }
  }

  void run();
  bool connect_once(bool first);
  void read_burst();
};

namespace {

MqttClient::Impl* impl_of(void* obj) { return static_cast<MqttClient::Impl*>(obj); }

void on_connect_cb(mosquitto* m, void* obj, int rc, int /*flags*/, const mosquitto_property* /*props*/) {
  auto* s = impl_of(obj);
  if (rc != 0) return;  // refused; the disconnect callback follows
  for (const auto& [filter, qos] : s->subscriptions) mosquitto_subscribe_v5(m, nullptr, filter.c_str(), qos, 0, nullptr);
  {
    std::lock_guard lock(s->mu);
    s->session_up = true;
    s->st.connected = true;
    ++s->st.connects;
  }
  s->cv.notify_all();
  if (s->connect_cb) s->connect_cb();
}

void on_disconnect_cb(mosquitto* /*m*/, void* obj, int /*rc*/, const mosquitto_property* /*props*/) {
  auto* s = impl_of(obj);
  std::lock_guard lock(s->mu);
  if (s->session_up) ++s->st.disconnects;
  s->session_up = false;
  s->st.connected = false;
}

void on_publish_cb(mosquitto* /*m*/, void* obj, int mid, int /*reason*/, const mosquitto_property* /*props*/) {
  auto* s = impl_of(obj);
  {
    std::lock_guard lock(s->mu);
    if (s->inflight.erase(mid) == 0) return;
    ++s->st.acknowledged;
  }
  s->cv.notify_all();
}

void on_message_cb(mosquitto* /*m*/, void* obj, const mosquitto_message* msg, const mosquitto_property* /*props*/) {
  auto* s = impl_of(obj);
  {
    std::lock_guard lock(s->mu);
    ++s->st.received;
  }
  s->received_in_burst = true;
  if (!s->message_cb) return;
  MqttMessage mm;
  mm.topic = msg->topic;
  mm.payload = std::string_view(static_cast<const char*>(msg->payload), static_cast<std::size_t>(msg->payloadlen));
  mm.qos = msg->qos;
  mm.retain = msg->retain;
  s->message_cb(mm);
}

}  // namespace

bool MqttClient::Impl::connect_once(bool first) {
  int rc = MOSQ_ERR_SUCCESS;
  if (first) {
    Properties props;
    if (!o.clean_start || o.session_expiry_s > 0)
      mosquitto_property_add_int32(&props.list, MQTT_PROP_SESSION_EXPIRY_INTERVAL, o.session_expiry_s);
    rc = mosquitto_connect_bind_v5(m, o.host.c_str(), o.port, o.keepalive_s, nullptr, props.list);
  } else {
    rc = mosquitto_reconnect(m);
  }
  return rc == MOSQ_ERR_SUCCESS;
}

void MqttClient::Impl::read_burst() {
  received_in_burst = false;
  const int fd = mosquitto_socket(m);
  std::size_t packets = 0;
  while (!stopping) {
    if (mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS) break;  // the disconnect callback has run
    if (++packets >= o.max_burst) break;
    const int sock = mosquitto_socket(m);
    if (sock < 0 || sock != fd) break;
    SSL* ssl = static_cast<SSL*>(mosquitto_ssl_get(m));
    if (ssl != nullptr && SSL_pending(ssl) > 0) continue;
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0) break;
  }
  // Durability first, acknowledgements after: the PUBACKs for this burst are still queued
  // inside libmosquitto (threaded mode never writes from a callback); loop_write sends them.
  if (received_in_burst && batch_cb) batch_cb();
}

void MqttClient::Impl::run() {
  bool first = true;
  bool have_socket = false;
  auto backoff = o.reconnect_min;
  while (!stopping) {
    if (!have_socket || mosquitto_socket(m) < 0) {
      if (!connect_once(first)) {
        {
          std::unique_lock lock(mu);
          ++st.disconnects;
          cv.wait_for(lock, backoff, [&] { return stopping.load(); });
        }
        backoff = std::min(o.reconnect_max, backoff * 2);
        continue;
      }
      first = false;
      have_socket = true;
    }
    const int fd = mosquitto_socket(m);
    if (fd < 0) {
      have_socket = false;
      continue;
    }
    {
      std::lock_guard lock(mu);
      if (session_up) backoff = o.reconnect_min;
    }
    pump();
    pollfd p[2] = {{fd, static_cast<short>(POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0)), 0},
                   {wake_fd, POLLIN, 0}};
    const int ready = ::poll(p, 2, 200);
    if (ready > 0 && (p[1].revents & POLLIN) != 0) {
      std::uint64_t v = 0;
      if (::read(wake_fd, &v, sizeof v) < 0) v = 0;
    }
    if (ready > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_burst();
    if (tick_cb) tick_cb();
    if (mosquitto_socket(m) < 0) {
      have_socket = false;
      continue;
    }
    pump();
    if (mosquitto_want_write(m) && mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) {
      have_socket = false;
      continue;
    }
    if (mosquitto_loop_misc(m) != MOSQ_ERR_SUCCESS) have_socket = false;
  }
  bool up = false;
  {
    std::lock_guard lock(mu);
    up = session_up;
  }
  // No lock held here: libmosquitto calls on_disconnect from inside these calls.
  if (up) {
    mosquitto_disconnect_v5(m, 0, nullptr);
    // The DISCONNECT packet is queued; write it out (a few tries, non-blocking socket).
    for (int i = 0; i < 20 && mosquitto_want_write(m) && mosquitto_socket(m) >= 0; ++i)
      if (mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) break;
  }
  std::lock_guard lock(mu);
  session_up = false;
  st.connected = false;
}

MqttClient::MqttClient(MqttOptions options) : impl_(std::make_unique<Impl>()) {
  lib_init();
  Impl& s = *impl_;
  s.o = std::move(options);
  if (s.o.client_id.empty()) input_error("MQTT: a client id is required");
  if (s.o.max_queue < 2) s.o.max_queue = 2;
  s.o.max_inflight = std::clamp<std::size_t>(s.o.max_inflight, 1, s.o.max_queue / 2);
  s.m = mosquitto_new(s.o.client_id.c_str(), s.o.clean_start, &s);
  if (s.m == nullptr) failure("MQTT: cannot create a client");
  mosquitto_int_option(s.m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_threaded_set(s.m, true);
  mosquitto_connect_v5_callback_set(s.m, on_connect_cb);
  mosquitto_disconnect_v5_callback_set(s.m, on_disconnect_cb);
  mosquitto_publish_v5_callback_set(s.m, on_publish_cb);
  mosquitto_message_v5_callback_set(s.m, on_message_cb);
  if (!s.o.username.empty() &&
      mosquitto_username_pw_set(s.m, s.o.username.c_str(), s.o.password.empty() ? nullptr : s.o.password.c_str()) !=
          MOSQ_ERR_SUCCESS)
    input_error("MQTT: bad username or password setting");
  if (!s.o.tls_ca_file.empty()) {
    const int rc = mosquitto_tls_set(s.m, s.o.tls_ca_file.c_str(), nullptr,
                                     s.o.tls_cert_file.empty() ? nullptr : s.o.tls_cert_file.c_str(),
                                     s.o.tls_key_file.empty() ? nullptr : s.o.tls_key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) input_error("MQTT TLS: {}", mosquitto_strerror(rc));
  }
  if (!s.o.will_topic.empty() &&
      mosquitto_will_set_v5(s.m, s.o.will_topic.c_str(), static_cast<int>(s.o.will_payload.size()),
                            s.o.will_payload.data(), 1, s.o.will_retain, nullptr) != MOSQ_ERR_SUCCESS)
    input_error("MQTT: bad last-will topic '{}'", s.o.will_topic);
  s.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

MqttClient::~MqttClient() {
  stop();
  if (impl_->m != nullptr) mosquitto_destroy(impl_->m);
  if (impl_->wake_fd >= 0) ::close(impl_->wake_fd);
}

void MqttClient::subscribe(std::string filter, int qos) { impl_->subscriptions.emplace_back(std::move(filter), qos); }
void MqttClient::on_message(std::function<void(const MqttMessage&)> f) { impl_->message_cb = std::move(f); }
void MqttClient::on_batch(std::function<void()> f) { impl_->batch_cb = std::move(f); }
void MqttClient::on_connect(std::function<void()> f) { impl_->connect_cb = std::move(f); }
void MqttClient::on_tick(std::function<void()> f) { impl_->tick_cb = std::move(f); }
const MqttOptions& MqttClient::options() const { return impl_->o; }

void MqttClient::start() {
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void MqttClient::stop(std::chrono::milliseconds drain) {
  if (!impl_->thread.joinable()) return;
  if (drain.count() > 0) wait_idle(drain);
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->wake();
  impl_->thread.join();
}

void MqttClient::publish(std::string topic, std::string payload, int qos, bool retain) {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    ++s.st.published;
    if (s.pending.size() + s.inflight.size() >= s.o.max_queue && !s.pending.empty()) {
      s.pending.pop_front();
      ++s.st.dropped;
    }
    s.pending.push_back({std::move(topic), std::move(payload), qos, retain});
  }
  s.wake();
}

bool MqttClient::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->pending.empty() && impl_->inflight.empty(); });
}

bool MqttClient::wait_connected(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->session_up; });
}

MqttStats MqttClient::stats() const {
  std::lock_guard lock(impl_->mu);
  MqttStats s = impl_->st;
  s.backlog = impl_->pending.size() + impl_->inflight.size();
  return s;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (filter.starts_with("$share/")) {
    const std::size_t slash = filter.find('/', 7);
    if (slash == std::string_view::npos) return false;
    filter.remove_prefix(slash + 1);
  }
  while (true) {
    const std::size_t fs = filter.find('/'), ts = topic.find('/');
    const std::string_view f = filter.substr(0, fs), t = topic.substr(0, ts);
    if (f == "#") return true;
    if (f != "+" && f != t) return false;
    if (fs == std::string_view::npos || ts == std::string_view::npos) {
      if (fs == std::string_view::npos && ts == std::string_view::npos) return true;
      // "a/#" also matches "a"
      return ts == std::string_view::npos && filter.substr(fs + 1) == "#";
    }
    filter.remove_prefix(fs + 1);
    topic.remove_prefix(ts + 1);
  }
}

}  // namespace tinyml::gateway
