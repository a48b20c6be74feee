// End to end with a real mosquitto on a free loopback port: `tinyml device` replays the home
// example's mote through the exported model, `tinyml gateway` stores what it publishes, the
// REST API switches an actuator on the device, the broker is killed and restarted, the
// gateway is killed under load, two gateways share the subscription, and bad input is
// refused and counted. The model is a committed fixture (tests/data/home/model.tmq).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "tinyml/gateway/mqtt.hpp"
#include "tinyml/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using tinyml::test::Broker;
using tinyml::test::Child;
using tinyml::test::read_text;

namespace {

const std::string kToken = "test-token-0123456789";

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(TINYML_TEST_WORK) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

template <typename F>
bool wait_until(F pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

// The exported home model, built from the fixture into `dir`.
fs::path export_model(const fs::path& dir) {
  const fs::path out = dir / "model";
  tinyml::ProcessResult r =
      tinyml::run_process({TINYML_BIN, "export", std::string(TINYML_SOURCE_DIR) + "/tests/data/home/model.tmq", "--out",
                           out.string(), "--name", "home"},
                          {.timeout = std::chrono::minutes(2), .merge_stderr = true});
  if (r.exit_code != 0) throw std::runtime_error("tinyml export failed: " + r.out);
  return out;
}

// A test's folder, the exported model and a running broker.
struct Scene {
  fs::path dir, model;
  Broker broker;
  explicit Scene(const std::string& name, bool with_model = true)
      : dir(fresh_dir(name)), model(with_model ? export_model(dir) : fs::path()), broker(dir / "broker") {
    broker.start();
  }
};

// A gateway process with its HTTP port.
struct GatewayProcess {
  Child proc;
  int port = 0;
  fs::path log;

  void start(const fs::path& dir, int broker_port, const std::string& client_id, const std::string& db,
             std::vector<std::string> extra = {}) {
    const fs::path ready = dir / (client_id + ".ready");
    fs::remove(ready);
    log = dir / (client_id + ".log");
    std::ofstream(dir / "token.txt") << kToken << "\n";
    std::vector<std::string> argv = {TINYML_BIN,   "gateway", "--broker", "127.0.0.1:" + std::to_string(broker_port),
                                     "--db",       db,        "--http",   "127.0.0.1:0",
                                     "--ready-file", ready.string(), "--token-file", (dir / "token.txt").string(),
                                     "--client-id", client_id, "--sync", "normal"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc.start(argv, log);
    if (!wait_until([&] { return fs::exists(ready) || !proc.running(); }, 30s) || !fs::exists(ready))
      throw std::runtime_error("the gateway did not start: " + read_text(log));
    port = json::parse(read_text(ready))["http_port"].get<int>();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    return c;
  }
  json get(const std::string& path) const {
    auto c = client();
    auto r = c.Get(path.c_str(), {{"Authorization", "Bearer " + kToken}});
    if (!r || r->status != 200) return json();
    return json::parse(r->body, nullptr, false);
  }
  std::int64_t rows(const std::string& table) const {
    const json s = get("/api/stats");
    return s.is_object() ? s["rows"][table].get<std::int64_t>() : -1;
  }
  std::int64_t counter(const std::string& name) const {
    const json s = get("/api/stats");
    return s.is_object() ? s["counters"][name].get<std::int64_t>() : -1;
  }
  int post(const std::string& path, const std::string& body, const std::string& token) const {
    auto c = client();
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    auto r = c.Post(path.c_str(), h, body, "application/json");
    return r ? r->status : -1;
  }
};

// A device process replaying the home example's mote 4.
struct DeviceProcess {
  Child proc;
  fs::path log;

  void start(const fs::path& dir, const fs::path& model, int broker_port, const std::string& id, double rate,
             std::size_t rows, double linger) {
    log = dir / (id + ".log");
    proc.start({TINYML_BIN, "device", std::string(TINYML_SOURCE_DIR) + "/examples/home/tinyml.toml", "--model",
                model.string(), "--work-dir", (dir / ("build-" + id)).string(), "--broker",
                "127.0.0.1:" + std::to_string(broker_port), "--id", id, "--rate", std::to_string(rate), "--rows",
                std::to_string(rows), "--linger", std::to_string(linger), "--json"},
               log);
  }
  // The summary the device prints as JSON when it ends.
  json summary() const {
    const std::string text = read_text(log);
    const auto at = text.rfind("\n{");
    if (at == std::string::npos) return json();
    return json::parse(text.substr(at + 1), nullptr, false);
  }
  bool wait_exit(std::chrono::milliseconds t) { return proc.wait(t) == 0; }
};

// Every record the device numbered (seq 1..n of its boot) that the store holds, over all tables.
std::int64_t stored_records(const GatewayProcess& g) {
  const json s = g.get("/api/stats");
  if (!s.is_object()) return -1;
  std::int64_t n = 0;
  for (const char* t : {"readings", "predictions", "actions", "alerts", "acks"}) n += s["rows"][t].get<std::int64_t>();
  return n;
}

}  // namespace

TEST(ActIntegration, DevicePublishesGatewayStoresApiSwitchesActuator) {
  Scene sc("switch");
  GatewayProcess g;
  g.start(sc.dir, sc.broker.port(), "gw", (sc.dir / "gw.db").string(), {"--allow", "home-*"});
  DeviceProcess d;
  d.start(sc.dir, sc.model, sc.broker.port(), "home-4", 100, 200, -1);

  ASSERT_TRUE(wait_until([&] { return g.rows("readings") >= 200; }, 60s))
      << read_text(d.log) << read_text(g.log) << sc.broker.log();
  EXPECT_GE(g.rows("predictions"), 30);

  // Control needs the token: none, a wrong one, then the right one.
  const std::string path = "/api/devices/home-4/actuators/alarm";
  EXPECT_EQ(g.post(path, R"({"state":"on"})", ""), 401);
  EXPECT_EQ(g.post(path, R"({"state":"on"})", "wrong"), 401);
  EXPECT_EQ(g.post(path, R"({"state":"maybe"})", kToken), 400);
  EXPECT_EQ(g.post("/api/devices/other-1/actuators/alarm", R"({"state":"on"})", kToken), 404);
  EXPECT_EQ(g.post(path, R"({"state":"on"})", kToken), 202);
  EXPECT_GE(g.counter("bad_token"), 2);

  // The device switches and reports it; the command is acknowledged.
  ASSERT_TRUE(wait_until(
      [&] {
        const json devs = g.get("/api/devices");
        return devs.is_array() && !devs.empty() && devs[0]["actuators"]["alarm"]["state"] == "on";
      },
      20s))
      << g.get("/api/devices").dump() << read_text(d.log);
  ASSERT_TRUE(wait_until([&] { return g.get("/api/devices/home-4/commands")[0]["status"] == "done"; }, 10s));
  const json actions = g.get("/api/devices/home-4/actions");
  EXPECT_EQ(actions[0]["source"], "command");
  EXPECT_EQ(actions[0]["state"], "on");

  // Thresholds and a model bundle (the same model, exported again), acknowledged; a bundle
  // that does not build is refused by the device.
  EXPECT_EQ(g.post("/api/devices/home-4/thresholds", R"({"event_probability":0.8})", kToken), 202);
  EXPECT_EQ(g.post("/api/devices/home-4/bundle", json{{"model_dir", sc.model.string()}}.dump(), kToken), 202);
  EXPECT_EQ(g.post("/api/devices/home-4/bundle", R"({"model_dir":"/nonexistent"})", kToken), 202);
  EXPECT_EQ(g.post("/api/devices/home-4/bundle", "[]", kToken), 400);
  ASSERT_TRUE(wait_until(
      [&] {
        const json c = g.get("/api/devices/home-4/commands");
        return c.is_array() && c.size() == 4 && c[0]["status"] != "sent" && c[1]["status"] != "sent" &&
               c[2]["status"] != "sent";
      },
      60s))
      << g.get("/api/devices/home-4/commands").dump() << read_text(d.log);
  const json cmds = g.get("/api/devices/home-4/commands");
  std::map<std::string, std::string> status;
  for (const auto& c : cmds) status[c["kind"].get<std::string>() + (c["body"].value("model_dir", "") == "/nonexistent" ? "-bad" : "")] = c["status"];
  EXPECT_EQ(status["thresholds"], "done");
  EXPECT_EQ(status["bundle"], "done");
  EXPECT_EQ(status["bundle-bad"], "failed");

  // Reads need the token too (no --open-read).
  auto c = g.client();
  auto r = c.Get("/api/devices");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);

  d.proc.signal(SIGTERM);
  ASSERT_TRUE(d.wait_exit(20s)) << read_text(d.log);
  const json s = d.summary();
  EXPECT_EQ(s["dropped"], 0) << s.dump();
  EXPECT_EQ(s["backlog"], 0) << s.dump();
  EXPECT_EQ(s["commands"], 4) << s.dump();
  EXPECT_EQ(s["refused_commands"], 0) << s.dump();
}

TEST(ActIntegration, BrokerKilledAndRestartedNothingAcknowledgedIsLost) {
  Scene sc("broker-restart");
  GatewayProcess g;
  g.start(sc.dir, sc.broker.port(), "gw", (sc.dir / "gw.db").string());
  DeviceProcess d;
  d.start(sc.dir, sc.model, sc.broker.port(), "home-4", 200, 800, 0);
  ASSERT_TRUE(wait_until([&] { return g.rows("readings") >= 100; }, 60s)) << read_text(d.log) << read_text(g.log);
  sc.broker.kill9();
  std::this_thread::sleep_for(1s);  // the device keeps replaying into its queue
  sc.broker.start();
  ASSERT_TRUE(d.wait_exit(90s)) << read_text(d.log);
  const json s = d.summary();
  ASSERT_TRUE(s.is_object()) << read_text(d.log);
  EXPECT_EQ(s["rows"], 800);
  EXPECT_EQ(s["dropped"], 0);
  EXPECT_EQ(s["backlog"], 0) << "every message was acknowledged by the broker";
  EXPECT_EQ(s["unconfirmed"], 0) << "every numbered message was confirmed stored by the gateway";
  EXPECT_GE(s["connects"].get<int>(), 2);
  // The device numbers every message it wants stored; all of them must be in the database.
  ASSERT_TRUE(wait_until([&] { return stored_records(g) == s["numbered"].get<std::int64_t>(); }, 30s))
      << g.get("/api/stats").dump() << " numbered " << s["numbered"];
  EXPECT_EQ(g.rows("readings"), 800);
  EXPECT_EQ(g.rows("predictions"), s["windows"].get<std::int64_t>());
}

TEST(ActIntegration, GatewayKilledUnderLoadLosesNothingItAcknowledged) {
  Scene sc("gateway-kill");
  const std::string db = (sc.dir / "gw.db").string();
  GatewayProcess g;
  g.start(sc.dir, sc.broker.port(), "gw", db);
  DeviceProcess d;
  d.start(sc.dir, sc.model, sc.broker.port(), "home-4", 400, 1500, 0);
  ASSERT_TRUE(wait_until([&] { return g.rows("readings") >= 300; }, 60s)) << read_text(g.log);
  g.proc.kill9();  // mid-stream: some messages received and not yet acknowledged
  std::this_thread::sleep_for(1s);
  GatewayProcess g2;
  g2.start(sc.dir, sc.broker.port(), "gw", db);  // same client id: the broker resumes its session
  ASSERT_TRUE(d.wait_exit(60s)) << read_text(d.log);
  const json s = d.summary();
  ASSERT_EQ(s["backlog"], 0) << s.dump();
  EXPECT_EQ(s["unconfirmed"], 0) << s.dump();
  ASSERT_TRUE(wait_until([&] { return stored_records(g2) == s["numbered"].get<std::int64_t>(); }, 30s))
      << g2.get("/api/stats").dump() << " numbered " << s["numbered"];
  EXPECT_EQ(g2.rows("readings"), 1500);
}

TEST(ActIntegration, TwoGatewaysShareTheSubscription) {
  Scene sc("shared");
  GatewayProcess g1, g2;
  g1.start(sc.dir, sc.broker.port(), "gw1", (sc.dir / "gw1.db").string());
  g2.start(sc.dir, sc.broker.port(), "gw2", (sc.dir / "gw2.db").string());
  std::this_thread::sleep_for(500ms);
  DeviceProcess d;
  d.start(sc.dir, sc.model, sc.broker.port(), "home-4", 400, 600, 0);
  ASSERT_TRUE(d.wait_exit(60s)) << read_text(d.log);
  ASSERT_TRUE(wait_until([&] { return g1.rows("readings") + g2.rows("readings") == 600; }, 30s))
      << g1.rows("readings") << " + " << g2.rows("readings");
  EXPECT_GT(g1.rows("readings"), 0);
  EXPECT_GT(g2.rows("readings"), 0);
}

TEST(ActIntegration, BadInputIsRefusedAndCountedAndTheGatewayKeepsRunning) {
  Scene sc("bad-input", false);
  GatewayProcess g;
  g.start(sc.dir, sc.broker.port(), "gw", (sc.dir / "gw.db").string(), {"--allow", "dev-*", "--max-payload", "1024"});
  tinyml::gateway::MqttOptions o;
  o.port = sc.broker.port();
  o.client_id = "intruder";
  tinyml::gateway::MqttClient c(o);
  c.start();
  ASSERT_TRUE(c.wait_connected(5s));
  const std::string ok = R"({"boot":1,"seq":1,"ts":1.5,"values":{"t":1}})";
  c.publish("tinyml/dev-1/telemetry", "{not json");
  c.publish("tinyml/dev-1/telemetry", R"({"boot":1,"ts":1})");          // no seq
  c.publish("tinyml/dev-1/prediction", R"({"boot":1,"seq":2,"ts":1})");  // no class
  c.publish("tinyml/dev-1/telemetry", std::string(4096, 'x'));
  c.publish("tinyml/stranger/telemetry", ok);
  c.publish("tinyml/dev-1/weird", ok);
  c.publish("tinyml/dev-1/telemetry", ok);
  c.publish("tinyml/dev-1/telemetry", ok);  // a repeated delivery
  ASSERT_TRUE(c.wait_idle(10s));
  ASSERT_TRUE(wait_until([&] { return g.counter("received") >= 8; }, 10s)) << g.get("/api/stats").dump();
  const json s = g.get("/api/stats")["counters"];
  EXPECT_EQ(s["malformed"], 3) << s.dump();
  EXPECT_EQ(s["oversized"], 1) << s.dump();
  EXPECT_EQ(s["unknown_device"], 1) << s.dump();
  EXPECT_EQ(s["bad_topic"], 1) << s.dump();
  EXPECT_EQ(s["stored"], 1) << s.dump();
  EXPECT_EQ(s["duplicates"], 1) << s.dump();
  EXPECT_EQ(g.rows("readings"), 1);
  EXPECT_TRUE(g.proc.running());
  EXPECT_EQ(g.post("/api/devices/dev-1/actuators/x", R"({"state":"on"})", "guess"), 401);
  EXPECT_EQ(g.post("/api/login", R"({"token":"guess"})", ""), 401);
  EXPECT_EQ(g.post("/api/login", "[1,2", ""), 401);
  EXPECT_EQ(g.counter("bad_token"), 3);
}

TEST(ActIntegration, HomeAssistantDiscoveryAndSwitchThroughTheBroker) {
  Scene sc("discovery");
  DeviceProcess d;
  d.start(sc.dir, sc.model, sc.broker.port(), "home-4", 50, 20, -1);
  std::mutex mu;
  std::map<std::string, std::string> retained;
  tinyml::gateway::MqttOptions o;
  o.port = sc.broker.port();
  o.client_id = "home-assistant";
  o.clean_start = true;
  o.session_expiry_s = 0;
  tinyml::gateway::MqttClient ha(o);
  ha.subscribe("homeassistant/#", 1);
  ha.subscribe("tinyml/home-4/actuator/#", 1);
  ha.on_message([&](const tinyml::gateway::MqttMessage& m) {
    std::lock_guard lock(mu);
    retained[std::string(m.topic)] = std::string(m.payload);
  });
  ha.start();
  auto has = [&](const std::string& t) {
    std::lock_guard lock(mu);
    return retained.count(t) > 0;
  };
  ASSERT_TRUE(wait_until([&] { return has("homeassistant/switch/home-4/alarm/config"); }, 60s)) << read_text(d.log);
  for (const char* t : {"homeassistant/sensor/home-4/humidity/config", "homeassistant/sensor/home-4/temperature/config",
                        "homeassistant/sensor/home-4/prediction/config"})
    EXPECT_TRUE(has(t)) << t;
  json sw;
  {
    std::lock_guard lock(mu);
    sw = json::parse(retained["homeassistant/switch/home-4/alarm/config"]);
  }
  EXPECT_EQ(sw["command_topic"], "tinyml/home-4/cmd/actuator/alarm");
  EXPECT_EQ(sw["state_topic"], "tinyml/home-4/actuator/alarm/state");
  EXPECT_EQ(sw["device"]["identifiers"][0], "home-4");
  // Home Assistant's switch publishes plain ON.
  ha.publish("tinyml/home-4/cmd/actuator/alarm", "ON");
  EXPECT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        return retained["tinyml/home-4/actuator/alarm/state"] == "ON";
      },
      20s))
      << read_text(d.log);
  d.proc.signal(SIGTERM);
  EXPECT_TRUE(d.wait_exit(20s));
}
