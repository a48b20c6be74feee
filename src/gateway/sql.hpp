// A minimal SQL connection interface with two implementations (SQLite, PostgreSQL), so that
// the gateway's store is written once. Parameters are $1, $2, ... in both (SQLite reads
// "$1" as a named parameter, bound by name).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace tinyml::gateway::sql {

using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using Params = std::vector<Value>;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual void exec(const std::string& sql, const Params& p = {}) = 0;
  // Rows as JSON objects keyed by column name (numbers as numbers, NULL as null).
  virtual nlohmann::json query(const std::string& sql, const Params& p = {}) = 0;
  // Statements that change rows report how many.
  virtual std::int64_t changes() = 0;
  virtual bool postgres() const = 0;
};

std::unique_ptr<Connection> connect_sqlite(const std::string& path, bool full_sync, bool writer);
std::unique_ptr<Connection> connect_postgres(const std::string& conninfo);

}  // namespace tinyml::gateway::sql
