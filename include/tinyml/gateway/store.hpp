// Where the gateway keeps what the fleet sends: SQLite (WAL) by default, PostgreSQL when
// given a connection string. Writes come in batches from the MQTT thread (add..., commit);
// reads come from the HTTP threads and never block the writer for long.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/gateway/protocol.hpp"

namespace tinyml::gateway {

struct Query {
  std::string device;     // empty: every device
  double since = 0;       // ts > since
  std::size_t limit = 200;
};

class Store {
 public:
  virtual ~Store() = default;

  // Adds a record to the open batch (opening one when needed); false when a record with the
  // same identity is already stored (a repeated QoS 1 delivery) or earlier in the batch.
  virtual bool add(const Record& r) = 0;
  // A device's status message (retained, last will): upserts the device row.
  virtual void set_status(const std::string& device, bool online, const nlohmann::json& info, double at) = 0;
  // Makes the batch durable. Nothing of it is acknowledged to the broker before this returns.
  virtual void commit() = 0;

  // A command sent to a device (stored at once, outside the batch).
  virtual void add_command(const std::string& id, const std::string& device, const std::string& kind,
                           const nlohmann::json& body, double at) = 0;

  // Reads (JSON arrays of objects, newest first unless said otherwise).
  virtual nlohmann::json devices() = 0;  // with the latest prediction and actuator states
  virtual nlohmann::json records(Kind k, const Query& q) = 0;
  virtual nlohmann::json commands(const Query& q) = 0;
  virtual nlohmann::json counts() = 0;  // rows per table
  virtual std::string describe() const = 0;
};

enum class SyncMode { Normal, Full };

// SQLite at `path` in WAL mode. Full: every commit is on disk before it returns (survives
// power loss); Normal: survives a crash of the gateway, not of the machine.
std::unique_ptr<Store> open_sqlite(const std::string& path, SyncMode sync = SyncMode::Full);
// PostgreSQL with a libpq connection string ("host=... dbname=... user=...", or a URI).
std::unique_ptr<Store> open_postgres(const std::string& conninfo);

}  // namespace tinyml::gateway
