// The gateway's store, the same checks on SQLite and on a real PostgreSQL server (a
// throwaway cluster made by initdb on a free loopback port).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "harness.hpp"
#include "tinyml/gateway/store.hpp"
#include "tinyml/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using tinyml::gateway::Kind;
using tinyml::gateway::Record;
using tinyml::gateway::Store;

namespace {

Record rec(Kind k, const std::string& device, std::int64_t seq, json body) {
  Record r;
  r.kind = k;
  r.device = device;
  r.boot = 7;
  r.seq = seq;
  r.ts = 100.0 + static_cast<double>(seq);
  r.received = r.ts + 0.01;
  body["boot"] = r.boot;
  body["seq"] = seq;
  body["ts"] = r.ts;
  r.body = std::move(body);
  return r;
}

void exercise(Store& s) {
  EXPECT_TRUE(s.add(rec(Kind::Telemetry, "d1", 1, {{"values", {{"t", 21.5}}}})));
  EXPECT_TRUE(s.add(rec(Kind::Prediction, "d1", 2, {{"class", "event"}, {"index", 1}, {"scores", {0.1, 0.9}}})));
  EXPECT_TRUE(s.add(rec(Kind::Action, "d1", 3, {{"actuator", "alarm"}, {"state", "on"}, {"source", "command"}, {"command", "c1"}})));
  EXPECT_TRUE(s.add(rec(Kind::Alert, "d1", 4, {{"level", "warning"}, {"message", "event detected"}})));
  EXPECT_FALSE(s.add(rec(Kind::Telemetry, "d1", 1, {{"values", {{"t", 21.5}}}})));  // delivered twice
  s.set_status("d1", true, {{"online", true}, {"features", {"t"}}}, 99.0);
  s.commit();
  s.add_command("c1", "d1", "actuator", {{"actuator", "alarm"}, {"state", "on"}}, 101.0);
  EXPECT_TRUE(s.add(rec(Kind::Ack, "d1", 5, {{"id", "c1"}, {"ok", true}, {"detail", "alarm on"}})));
  s.commit();

  const json counts = s.counts();
  EXPECT_EQ(counts["readings"], 1);
  EXPECT_EQ(counts["predictions"], 1);
  EXPECT_EQ(counts["actions"], 1);
  EXPECT_EQ(counts["alerts"], 1);
  EXPECT_EQ(counts["acks"], 1);
  EXPECT_EQ(counts["devices"], 1);
  const json devices = s.devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]["id"], "d1");
  EXPECT_EQ(devices[0]["online"], true);
  EXPECT_EQ(devices[0]["info"]["features"][0], "t");
  EXPECT_EQ(devices[0]["prediction"]["class"], "event");
  EXPECT_EQ(devices[0]["actuators"]["alarm"]["state"], "on");
  EXPECT_EQ(devices[0]["reading"]["body"]["values"]["t"], 21.5);
  EXPECT_EQ(devices[0]["alerts"], 1);
  EXPECT_DOUBLE_EQ(devices[0]["last_seen"].get<double>(), 105.01);
  tinyml::gateway::Query q;
  q.device = "d1";
  const json readings = s.records(Kind::Telemetry, q);
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0]["seq"], 1);
  q.since = 1000;
  EXPECT_TRUE(s.records(Kind::Telemetry, q).empty());
  q.since = 0;
  q.device = "nobody";
  EXPECT_TRUE(s.records(Kind::Telemetry, q).empty());
  const json commands = s.commands({});
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0]["status"], "done");
  EXPECT_EQ(commands[0]["detail"], "alarm on");
}

std::optional<fs::path> postgres_bin() {
  for (const char* v : {"17", "16", "15", "14", "13"}) {
    const fs::path p = fs::path("/usr/lib/postgresql") / v / "bin";
    if (fs::exists(p / "initdb") && fs::exists(p / "postgres")) return p;
  }
  return std::nullopt;
}

}  // namespace

TEST(Store, Sqlite) {
  const fs::path dir = fs::path(TINYML_TEST_WORK) / "store-sqlite";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto s = tinyml::gateway::open_sqlite((dir / "s.db").string());
  exercise(*s);
  EXPECT_NE(s->describe().find("SQLite"), std::string::npos);
}

TEST(Store, Postgres) {
  const auto bin = postgres_bin();
  ASSERT_TRUE(bin) << "PostgreSQL's server is not installed: the store's PostgreSQL test needs it "
                      "(Debian: apt-get install postgresql; scripts/test.sh installs it)";
  // The server refuses to run as root: as root, the cluster belongs to the postgres user.
  const bool root = ::getuid() == 0;
  char tmpl[] = "/tmp/tinyml-pg-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  std::vector<std::string> as_user;
  if (root) {
    tinyml::run_process({"chown", "postgres", dir.string()});
    as_user = {"runuser", "-u", "postgres", "--"};
  }
  auto cmd = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), as_user.begin(), as_user.end());
    return argv;
  };
  tinyml::ProcessResult init =
      tinyml::run_process(cmd({(*bin / "initdb").string(), "-D", (dir / "data").string(), "-A", "trust", "-U", "postgres"}),
                          {.timeout = std::chrono::minutes(2), .merge_stderr = true});
  ASSERT_EQ(init.exit_code, 0) << init.out;
  const int port = tinyml::test::free_port();
  tinyml::test::Child server;
  server.start(cmd({(*bin / "postgres").string(), "-D", (dir / "data").string(), "-p", std::to_string(port), "-k",
                    dir.string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}),
               dir / "server.log");
  ASSERT_TRUE(tinyml::test::wait_port(port, 30s)) << tinyml::test::read_text(dir / "server.log");
  std::unique_ptr<Store> s;
  // The port answers a moment before the server accepts logins.
  for (int i = 0; i < 50 && !s; ++i) {
    try {
      s = tinyml::gateway::open_postgres(fmt::format("host=127.0.0.1 port={} dbname=postgres user=postgres", port));
    } catch (const std::exception&) {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_TRUE(s) << tinyml::test::read_text(dir / "server.log");
  exercise(*s);
  EXPECT_EQ(s->describe(), "PostgreSQL");
  s.reset();
  server.signal(SIGTERM);
  server.wait(20s);
  fs::remove_all(dir);
}
