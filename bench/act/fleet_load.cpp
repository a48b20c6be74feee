// The gateway's load benchmark (bench/act/run.sh drives it).
//
//   fleet_load publish --broker HOST:PORT --devices 500 --rate 20 --seconds 60
//     N simulated devices (one MQTT connection each, QoS 1) publish telemetry at `rate`
//     messages per second each; prints how many were published, acknowledged and dropped.
//   fleet_load report DB [DB...]
//     counts the stored readings of the gateways' SQLite files and prints the sustained
//     throughput (stored / span of receipt times) and the delivery latency (receipt time at
//     the gateway minus publish time at the device; both on this machine's clock).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tinyml/gateway/mqtt.hpp"
#include "tinyml/gateway/protocol.hpp"

using namespace tinyml::gateway;

namespace {

int publish(int argc, char** argv) {
  std::string broker = "127.0.0.1:1883";
  int devices = 500;
  double rate = 20, seconds = 60;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--broker") broker = v;
    else if (k == "--devices") devices = std::stoi(v);
    else if (k == "--rate") rate = std::stod(v);
    else if (k == "--seconds") seconds = std::stod(v);
  }
  const auto colon = broker.rfind(':');
  std::vector<std::unique_ptr<MqttClient>> fleet;
  const std::int64_t boot = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  for (int d = 0; d < devices; ++d) {
    MqttOptions o;
    o.host = broker.substr(0, colon);
    o.port = std::stoi(broker.substr(colon + 1));
    o.client_id = fmt::format("sim-{:04d}", d);
    o.clean_start = true;
    o.session_expiry_s = 0;
    o.max_queue = 100000;
    fleet.push_back(std::make_unique<MqttClient>(o));
    fleet.back()->start();
  }
  for (auto& c : fleet)
    if (!c->wait_connected(std::chrono::seconds(30))) {
      std::fprintf(stderr, "fleet_load: a device could not connect\n");
      return 1;
    }
  std::fprintf(stderr, "fleet_load: %d devices connected, publishing %.0f msg/s each for %.0f s\n", devices, rate, seconds);
  // Device d publishes at start + (k + d / devices) / rate: the fleet's messages spread evenly.
  const auto start = std::chrono::steady_clock::now();
  const auto period = std::chrono::duration<double>(1.0 / rate);
  const std::int64_t per_device = static_cast<std::int64_t>(rate * seconds);
  std::vector<std::int64_t> seq(static_cast<std::size_t>(devices), 0);
  std::int64_t total = 0;
  for (std::int64_t k = 0; k < per_device; ++k) {
    for (int d = 0; d < devices; ++d) {
      const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   period * (static_cast<double>(k) + static_cast<double>(d) / devices));
      std::this_thread::sleep_until(due);
      const nlohmann::json body = {{"boot", boot},
                                   {"seq", ++seq[static_cast<std::size_t>(d)]},
                                   {"ts", now_seconds()},
                                   {"values", {{"temperature", 20.0 + static_cast<double>(k % 50) / 10}, {"humidity", 40}}}};
      fleet[static_cast<std::size_t>(d)]->publish(device_topic(fmt::format("sim-{:04d}", d), Kind::Telemetry), body.dump());
      ++total;
    }
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::uint64_t acked = 0, dropped = 0;
  for (auto& c : fleet) {
    c->wait_idle(std::chrono::seconds(120));
    acked += c->stats().acknowledged;
    dropped += c->stats().dropped;
  }
  std::printf("published %lld in %.1f s (%.0f msg/s offered), acknowledged by the broker %llu, dropped %llu\n",
              static_cast<long long>(total), took, static_cast<double>(total) / took,
              static_cast<unsigned long long>(acked), static_cast<unsigned long long>(dropped));
  for (auto& c : fleet) c->stop();
  return 0;
}

int report(int argc, char** argv) {
  std::vector<double> latency;
  double first = 1e300, last = 0;
  long long stored = 0;
  for (int i = 2; i < argc; ++i) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(argv[i], &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "cannot open %s\n", argv[i]);
      return 1;
    }
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT received - ts, received FROM readings WHERE device LIKE 'sim-%'", -1, &st, nullptr);
    long long n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      latency.push_back(sqlite3_column_double(st, 0));
      const double r = sqlite3_column_double(st, 1);
      first = std::min(first, r);
      last = std::max(last, r);
      ++n;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    std::printf("%s: %lld readings\n", argv[i], n);
    stored += n;
  }
  if (latency.empty()) return 1;
  std::sort(latency.begin(), latency.end());
  auto pct = [&](double p) { return latency[std::min(latency.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latency.size())))]; };
  std::printf("stored %lld readings; sustained %.0f msg/s over %.1f s; delivery latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              stored, static_cast<double>(stored) / std::max(1e-9, last - first), last - first, pct(0.5) * 1e3,
              pct(0.99) * 1e3, latency.back() * 1e3);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "publish") return publish(argc, argv);
  if (argc >= 3 && std::string(argv[1]) == "report") return report(argc, argv);
  std::fprintf(stderr, "usage: fleet_load publish --broker HOST:PORT --devices N --rate R --seconds S\n"
                       "       fleet_load report GATEWAY.db [GATEWAY.db...]\n");
  return 2;
}
