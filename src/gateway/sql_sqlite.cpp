// The SQLite connection: WAL journal, prepared statements cached by their text.
#include <sqlite3.h>

#include <unordered_map>

#include "sql.hpp"
#include "tinyml/error.hpp"

namespace tinyml::gateway::sql {

namespace {

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::string& path, bool full_sync, bool writer) : path_(path) {
    const int flags = writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      failure("cannot open the database {}: {}", path, why);
    }
    sqlite3_busy_timeout(db_, 10000);
    if (writer) {
      exec("PRAGMA journal_mode=WAL", {});
      exec(full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", {});
    }
  }
  ~SqliteConnection() override {
    for (auto& [text, st] : statements_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }

  void exec(const std::string& text, const Params& p) override {
    sqlite3_stmt* st = prepare(text, p);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) failure("{}: {} (in: {})", path_, sqlite3_errmsg(db_), text);
  }

  nlohmann::json query(const std::string& text, const Params& p) override {
    sqlite3_stmt* st = prepare(text, p);
    nlohmann::json rows = nlohmann::json::array();
    int rc = SQLITE_ROW;
    const int n = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      nlohmann::json row = nlohmann::json::object();
      for (int i = 0; i < n; ++i) {
        const char* name = sqlite3_column_name(st, i);
        switch (sqlite3_column_type(st, i)) {
          case SQLITE_INTEGER: row[name] = sqlite3_column_int64(st, i); break;
          case SQLITE_FLOAT: row[name] = sqlite3_column_double(st, i); break;
          case SQLITE_NULL: row[name] = nullptr; break;
          default: row[name] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i)),
                                           static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) failure("{}: {} (in: {})", path_, sqlite3_errmsg(db_), text);
    return rows;
  }

  std::int64_t changes() override { return sqlite3_changes64(db_); }
  bool postgres() const override { return false; }

 private:
  sqlite3_stmt* prepare(const std::string& text, const Params& p) {
    sqlite3_stmt*& st = statements_[text];
    if (st == nullptr && sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &st, nullptr) != SQLITE_OK) {
      const std::string why = sqlite3_errmsg(db_);
      statements_.erase(text);
      failure("{}: {} (in: {})", path_, why, text);
    }
    sqlite3_clear_bindings(st);
    for (std::size_t i = 0; i < p.size(); ++i) {
      // "$N" is a named parameter to SQLite, numbered by first appearance: look it up.
      const int k = sqlite3_bind_parameter_index(st, ("$" + std::to_string(i + 1)).c_str());
      if (k == 0) continue;  // not used by this statement
      if (std::holds_alternative<std::int64_t>(p[i]))
        sqlite3_bind_int64(st, k, std::get<std::int64_t>(p[i]));
      else if (std::holds_alternative<double>(p[i]))
        sqlite3_bind_double(st, k, std::get<double>(p[i]));
      else if (std::holds_alternative<std::string>(p[i]))
        sqlite3_bind_text(st, k, std::get<std::string>(p[i]).data(), static_cast<int>(std::get<std::string>(p[i]).size()),
                          SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(st, k);
    }
    return st;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

std::unique_ptr<Connection> connect_sqlite(const std::string& path, bool full_sync, bool writer) {
  return std::make_unique<SqliteConnection>(path, full_sync, writer);
}

}  // namespace tinyml::gateway::sql
