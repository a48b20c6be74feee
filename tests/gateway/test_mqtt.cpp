// The MQTT client against a real mosquitto: QoS 1 delivery, the bounded offline queue and
// its drop counter, reconnection after the broker is killed, authentication.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "harness.hpp"
#include "tinyml/gateway/mqtt.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tinyml::gateway::MqttClient;
using tinyml::gateway::MqttMessage;
using tinyml::gateway::MqttOptions;
using tinyml::test::Broker;

namespace {

fs::path work(const std::string& name) { return fs::path(TINYML_TEST_WORK) / name; }

MqttOptions opts(int port, const std::string& id) {
  MqttOptions o;
  o.port = port;
  o.client_id = id;
  o.reconnect_min = 50ms;
  o.reconnect_max = 300ms;
  return o;
}

// Collects the integers received as payloads.
struct Sink {
  std::mutex mu;
  std::multiset<int> got;
  void add(const MqttMessage& m) {
    std::lock_guard lock(mu);
    got.insert(std::stoi(std::string(m.payload)));
  }
  std::size_t distinct() {
    std::lock_guard lock(mu);
    return std::set<int>(got.begin(), got.end()).size();
  }
  bool wait_distinct(std::size_t n, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (distinct() < n && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
    return distinct() >= n;
  }
};

}  // namespace

TEST(Mqtt, TopicFilters) {
  using tinyml::gateway::topic_matches;
  EXPECT_TRUE(topic_matches("tinyml/+/telemetry", "tinyml/a/telemetry"));
  EXPECT_FALSE(topic_matches("tinyml/+/telemetry", "tinyml/a/b/telemetry"));
  EXPECT_TRUE(topic_matches("$share/g/tinyml/#", "tinyml/a/b"));
  EXPECT_TRUE(topic_matches("tinyml/#", "tinyml"));
  EXPECT_FALSE(topic_matches("tinyml/+", "other/x"));
}

TEST(Mqtt, Qos1DeliveryAndAcknowledgements) {
  Broker b(work("qos1"));
  b.start();
  Sink sink;
  MqttClient sub(opts(b.port(), "sub-qos1"));
  sub.subscribe("t/#", 1);
  sub.on_message([&](const MqttMessage& m) { sink.add(m); });
  sub.start();
  ASSERT_TRUE(sub.wait_connected(5s));
  std::this_thread::sleep_for(200ms);  // the SUBACK
  MqttClient pub(opts(b.port(), "pub-qos1"));
  pub.start();
  for (int i = 0; i < 500; ++i) pub.publish("t/x", std::to_string(i));
  ASSERT_TRUE(pub.wait_idle(10s));
  EXPECT_TRUE(sink.wait_distinct(500, 10s));
  EXPECT_EQ(pub.stats().acknowledged, 500u);
  EXPECT_EQ(pub.stats().dropped, 0u);
}

TEST(Mqtt, BoundedOfflineQueueDropsOldestAndDeliversTheRestLater) {
  Broker b(work("offline"));
  MqttOptions po = opts(b.port(), "pub-offline");
  po.max_queue = 20;
  MqttClient pub(po);
  pub.start();  // no broker yet: the messages wait
  for (int i = 0; i < 50; ++i) pub.publish("t/x", std::to_string(i));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(pub.stats().dropped, 30u);
  EXPECT_EQ(pub.stats().backlog, 20u);
  EXPECT_FALSE(pub.stats().connected);

  b.start();
  Sink sink;
  MqttClient sub(opts(b.port(), "sub-offline"));
  sub.subscribe("t/#", 1);
  sub.on_message([&](const MqttMessage& m) { sink.add(m); });
  sub.start();
  ASSERT_TRUE(sub.wait_connected(5s));
  std::this_thread::sleep_for(300ms);
  // The publisher reconnects on its own (backoff at most 300 ms here).
  ASSERT_TRUE(pub.wait_idle(10s)) << b.log();
  ASSERT_TRUE(sink.wait_distinct(20, 5s));
  std::lock_guard lock(sink.mu);
  EXPECT_EQ(*sink.got.begin(), 30);  // the oldest were dropped
  EXPECT_EQ(*sink.got.rbegin(), 49);
}

TEST(Mqtt, BrokerKilledAndRestartedNothingAcknowledgedIsLost) {
  Broker b(work("restart"));
  b.start();
  Sink sink;
  MqttClient sub(opts(b.port(), "sub-restart"));
  sub.subscribe("t/#", 1);
  sub.on_message([&](const MqttMessage& m) { sink.add(m); });
  sub.start();
  ASSERT_TRUE(sub.wait_connected(5s));
  // The broker saves its state every second: let it save the subscriber's session once, so
  // that the restarted broker routes to it before the subscriber is back.
  std::this_thread::sleep_for(1500ms);
  MqttClient pub(opts(b.port(), "pub-restart"));
  pub.start();
  ASSERT_TRUE(pub.wait_connected(5s));
  const int n = 600;
  std::thread producer([&] {
    for (int i = 0; i < n; ++i) {
      pub.publish("t/x", std::to_string(i));
      std::this_thread::sleep_for(2ms);
    }
  });
  std::this_thread::sleep_for(400ms);
  b.kill9();
  std::this_thread::sleep_for(300ms);
  b.start();
  producer.join();
  ASSERT_TRUE(pub.wait_idle(20s)) << b.log();
  EXPECT_GE(pub.stats().connects, 2u);
  EXPECT_EQ(pub.stats().acknowledged, static_cast<std::uint64_t>(n));
  EXPECT_TRUE(sink.wait_distinct(n, 20s)) << "received " << sink.distinct() << " of " << n;
}

TEST(Mqtt, PasswordIsRequiredWhenTheBrokerAsksForIt) {
  Broker b(work("auth"), "dev:s3cret");
  b.start();
  MqttClient wrong(opts(b.port(), "wrong"));
  wrong.start();
  EXPECT_FALSE(wrong.wait_connected(1s));
  MqttOptions o = opts(b.port(), "right");
  o.username = "dev";
  o.password = "s3cret";
  MqttClient right(o);
  right.start();
  EXPECT_TRUE(right.wait_connected(5s));
}

TEST(Mqtt, TlsWhenConfigured) {
  Broker b(work("tls"), "", true);
  b.start();
  MqttClient plain(opts(b.port(), "plain"));
  plain.start();
  EXPECT_FALSE(plain.wait_connected(1s));  // the listener speaks TLS only
  Sink sink;
  MqttOptions so = opts(b.port(), "tls-sub");
  so.tls_ca_file = b.ca_file().string();
  MqttClient sub(so);
  sub.subscribe("t/#", 1);
  sub.on_message([&](const MqttMessage& m) { sink.add(m); });
  sub.start();
  ASSERT_TRUE(sub.wait_connected(5s)) << b.log();
  std::this_thread::sleep_for(200ms);
  MqttOptions po = opts(b.port(), "tls-pub");
  po.tls_ca_file = b.ca_file().string();
  MqttClient pub(po);
  pub.start();
  for (int i = 0; i < 300; ++i) pub.publish("t/x", std::to_string(i));
  ASSERT_TRUE(pub.wait_idle(10s));
  EXPECT_TRUE(sink.wait_distinct(300, 10s)) << sink.distinct();
}
