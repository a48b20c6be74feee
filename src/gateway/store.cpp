// The gateway's store, written once over sql::Connection for SQLite and PostgreSQL.
//
// Every device -> fleet record table has the identity (device, boot, seq) as its primary
// key; inserting is "ON CONFLICT DO NOTHING", so a message delivered twice (QoS 1 is at
// least once; a gateway that crashed before acknowledging gets it again) is stored once.
#include <array>
#include <functional>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "sql.hpp"
#include "tinyml/gateway/store.hpp"

namespace tinyml::gateway {

namespace {

using sql::Params;

struct TableDef {
  Kind kind;
  const char* name;
  const char* extra_columns;  // after the identity, ts, received, body
};

constexpr std::array<TableDef, 5> kTables = {{
    {Kind::Telemetry, "readings", ""},
    {Kind::Prediction, "predictions", ", class TEXT NOT NULL, class_index INTEGER NOT NULL"},
    {Kind::Action, "actions", ", actuator TEXT NOT NULL, state TEXT NOT NULL, source TEXT, command TEXT"},
    {Kind::Alert, "alerts", ", level TEXT, message TEXT NOT NULL"},
    {Kind::Ack, "acks", ", command TEXT NOT NULL, ok INTEGER NOT NULL, detail TEXT"},
}};

const TableDef& table_of(Kind k) {
  for (const auto& t : kTables)
    if (t.kind == k) return t;
  return kTables[0];
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

sql::Value opt_str(const nlohmann::json& j, const char* key) {
  if (j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return nullptr;
}

// Turns the stored body text back into JSON for the API.
nlohmann::json with_body(nlohmann::json rows) {
  for (auto& r : rows)
    if (r.contains("body") && r["body"].is_string()) r["body"] = nlohmann::json::parse(r["body"].get<std::string>(), nullptr, false);
  return rows;
}

class SqlStore final : public Store {
 public:
  // The reader is opened after the schema exists (a read-only SQLite connection cannot
  // create it).
  SqlStore(std::unique_ptr<sql::Connection> writer, const std::function<std::unique_ptr<sql::Connection>()>& reader,
           std::string what)
      : w_(std::move(writer)), what_(std::move(what)) {
    create_schema();
    r_ = reader();
  }

  bool add(const Record& rec) override {
    std::lock_guard lock(wmu_);
    begin();
    const std::string body = rec.body.dump();
    const TableDef& t = table_of(rec.kind);
    Params p = {rec.device, rec.boot, rec.seq, rec.ts, rec.received, body};
    std::string cols = "device, boot, seq, ts, received, body", vals = "$1, $2, $3, $4, $5, $6";
    switch (rec.kind) {
      case Kind::Prediction:
        cols += ", class, class_index";
        vals += ", $7, $8";
        p.push_back(str(rec.body, "class"));
        p.push_back(rec.body["index"].get<std::int64_t>());
        break;
      case Kind::Action:
        cols += ", actuator, state, source, command";
        vals += ", $7, $8, $9, $10";
        p.push_back(str(rec.body, "actuator"));
        p.push_back(str(rec.body, "state"));
        p.push_back(opt_str(rec.body, "source"));
        p.push_back(opt_str(rec.body, "command"));
        break;
      case Kind::Alert:
        cols += ", level, message";
        vals += ", $7, $8";
        p.push_back(opt_str(rec.body, "level"));
        p.push_back(str(rec.body, "message"));
        break;
      case Kind::Ack:
        cols += ", command, ok, detail";
        vals += ", $7, $8, $9";
        p.push_back(str(rec.body, "id"));
        p.push_back(static_cast<std::int64_t>(rec.body["ok"].get<bool>() ? 1 : 0));
        p.push_back(opt_str(rec.body, "detail"));
        break;
      default: break;
    }
    w_->exec(fmt::format("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING", t.name, cols, vals), p);
    const bool inserted = w_->changes() > 0;
    if (inserted && rec.kind == Kind::Ack) {
      w_->exec("UPDATE commands SET status = $2, detail = $3, done = $4 WHERE id = $1",
               {str(rec.body, "id"), std::string(rec.body["ok"].get<bool>() ? "done" : "failed"),
                opt_str(rec.body, "detail"), rec.received});
    }
    double& seen = seen_[rec.device];
    seen = std::max(seen, rec.received);
    return inserted;
  }

  void set_status(const std::string& device, bool online, const nlohmann::json& info, double at) override {
    std::lock_guard lock(wmu_);
    begin();
    w_->exec(
        "INSERT INTO devices (id, online, info, first_seen, last_seen) VALUES ($1, $2, $3, $4, $4) "
        "ON CONFLICT (id) DO UPDATE SET online = excluded.online, last_seen = excluded.last_seen, "
        "info = COALESCE(excluded.info, devices.info)",
        {device, static_cast<std::int64_t>(online ? 1 : 0),
         info.is_object() && !info.empty() ? sql::Value(info.dump()) : sql::Value(nullptr), at});
  }

  void commit() override {
    std::lock_guard lock(wmu_);
    if (!open_) return;
    const std::string greatest = w_->postgres() ? "GREATEST" : "max";
    for (const auto& [device, at] : seen_)
      w_->exec(fmt::format("INSERT INTO devices (id, online, first_seen, last_seen) VALUES ($1, 1, $2, $2) "
                           "ON CONFLICT (id) DO UPDATE SET last_seen = {}(devices.last_seen, excluded.last_seen)",
                           greatest),
               {device, at});
    seen_.clear();
    w_->exec("COMMIT");
    open_ = false;
  }

  void add_command(const std::string& id, const std::string& device, const std::string& kind,
                   const nlohmann::json& body, double at) override {
    std::lock_guard lock(wmu_);
    w_->exec("INSERT INTO commands (id, device, kind, body, created, status) VALUES ($1, $2, $3, $4, $5, 'sent')",
             {id, device, kind, body.dump(), at});
  }

  nlohmann::json devices() override {
    std::lock_guard lock(rmu_);
    nlohmann::json list = r_->query("SELECT id, online, info, first_seen, last_seen FROM devices ORDER BY id");
    for (auto& d : list) {
      const std::string id = d["id"];
      d["online"] = d["online"].is_number() && d["online"].get<std::int64_t>() != 0;
      if (d["info"].is_string()) d["info"] = nlohmann::json::parse(d["info"].get<std::string>(), nullptr, false);
      auto pred = with_body(r_->query(
          "SELECT class, class_index, ts, body FROM predictions WHERE device = $1 ORDER BY ts DESC, seq DESC LIMIT 1",
          {id}));
      d["prediction"] = pred.empty() ? nlohmann::json(nullptr) : pred[0];
      auto reading =
          with_body(r_->query("SELECT ts, body FROM readings WHERE device = $1 ORDER BY ts DESC, seq DESC LIMIT 1", {id}));
      d["reading"] = reading.empty() ? nlohmann::json(nullptr) : reading[0];
      nlohmann::json acts = nlohmann::json::object();
      for (const auto& a : r_->query("SELECT actuator, state, ts FROM actions WHERE device = $1 ORDER BY ts, seq", {id}))
        acts[a["actuator"].get<std::string>()] = {{"state", a["state"]}, {"ts", a["ts"]}};
      d["actuators"] = std::move(acts);
      const auto alerts = r_->query("SELECT count(*) AS n FROM alerts WHERE device = $1", {id});
      d["alerts"] = alerts.empty() ? 0 : alerts[0]["n"].get<std::int64_t>();
    }
    return list;
  }

  nlohmann::json records(Kind k, const Query& q) override {
    std::lock_guard lock(rmu_);
    return with_body(r_->query(fmt::format("SELECT * FROM {} WHERE ($1 = '' OR device = $1) AND ts > $2 "
                                           "ORDER BY ts DESC, seq DESC LIMIT $3",
                                           table_of(k).name),
                               {q.device, q.since, static_cast<std::int64_t>(q.limit)}));
  }

  nlohmann::json commands(const Query& q) override {
    std::lock_guard lock(rmu_);
    return with_body(r_->query("SELECT * FROM commands WHERE ($1 = '' OR device = $1) AND created > $2 "
                               "ORDER BY created DESC LIMIT $3",
                               {q.device, q.since, static_cast<std::int64_t>(q.limit)}));
  }

  nlohmann::json counts() override {
    std::lock_guard lock(rmu_);
    nlohmann::json c = nlohmann::json::object();
    for (const auto& t : kTables) c[t.name] = r_->query(fmt::format("SELECT count(*) AS n FROM {}", t.name))[0]["n"];
    c["devices"] = r_->query("SELECT count(*) AS n FROM devices")[0]["n"];
    c["commands"] = r_->query("SELECT count(*) AS n FROM commands")[0]["n"];
    return c;
  }

  std::string describe() const override { return what_; }

 private:
  void begin() {
    if (open_) return;
    w_->exec("BEGIN");
    open_ = true;
  }

  void create_schema() {
    std::lock_guard lock(wmu_);
    w_->exec(
        "CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, online INTEGER NOT NULL DEFAULT 0, info TEXT, "
        "first_seen DOUBLE PRECISION, last_seen DOUBLE PRECISION)");
    for (const auto& t : kTables) {
      w_->exec(fmt::format("CREATE TABLE IF NOT EXISTS {} (device TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL, "
                           "ts DOUBLE PRECISION NOT NULL, received DOUBLE PRECISION NOT NULL, body TEXT NOT NULL{}, "
                           "PRIMARY KEY (device, boot, seq))",
                           t.name, t.extra_columns));
      w_->exec(fmt::format("CREATE INDEX IF NOT EXISTS {0}_device_ts ON {0} (device, ts)", t.name));
    }
    w_->exec(
        "CREATE TABLE IF NOT EXISTS commands (id TEXT PRIMARY KEY, device TEXT NOT NULL, kind TEXT NOT NULL, "
        "body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, status TEXT NOT NULL, detail TEXT, "
        "done DOUBLE PRECISION)");
  }

  std::unique_ptr<sql::Connection> w_, r_;
  std::string what_;
  std::mutex wmu_, rmu_;
  bool open_ = false;
  std::map<std::string, double> seen_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path, SyncMode sync) {
  return std::make_unique<SqlStore>(
      sql::connect_sqlite(path, sync == SyncMode::Full, true),
      [&] { return sql::connect_sqlite(path, false, false); }, "SQLite " + path);
}

std::unique_ptr<Store> open_postgres(const std::string& conninfo) {
  return std::make_unique<SqlStore>(
      sql::connect_postgres(conninfo), [&] { return sql::connect_postgres(conninfo); }, "PostgreSQL");
}

}  // namespace tinyml::gateway
