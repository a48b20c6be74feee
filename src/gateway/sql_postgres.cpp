// The PostgreSQL connection (libpq): parameters sent as text, results converted by column
// type (integers, floating point and booleans become JSON numbers and booleans).
#include <libpq-fe.h>

#include <fmt/format.h>

#include "sql.hpp"
#include "tinyml/error.hpp"

namespace tinyml::gateway::sql {

namespace {

// Type OIDs of the built-in types (pg_type.h).
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

struct Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* p) : r(p) {}
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result() { PQclear(r); }
};

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(const std::string& conninfo) {
    pg_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(pg_) != CONNECTION_OK) {
      const std::string why = PQerrorMessage(pg_);
      PQfinish(pg_);
      pg_ = nullptr;
      failure("cannot connect to PostgreSQL: {}", why);
    }
    Result r(PQexec(pg_, "SET client_min_messages TO warning"));
  }
  ~PostgresConnection() override { PQfinish(pg_); }

  void exec(const std::string& text, const Params& p) override {
    Result r(run(text, p));
    const auto st = PQresultStatus(r.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      failure("PostgreSQL: {} (in: {})", PQresultErrorMessage(r.r), text);
    const char* n = PQcmdTuples(r.r);
    changes_ = (n != nullptr && *n != '\0') ? std::stoll(n) : 0;
  }

  nlohmann::json query(const std::string& text, const Params& p) override {
    Result r(run(text, p));
    if (PQresultStatus(r.r) != PGRES_TUPLES_OK) failure("PostgreSQL: {} (in: {})", PQresultErrorMessage(r.r), text);
    nlohmann::json rows = nlohmann::json::array();
    const int nrows = PQntuples(r.r), ncols = PQnfields(r.r);
    for (int i = 0; i < nrows; ++i) {
      nlohmann::json row = nlohmann::json::object();
      for (int c = 0; c < ncols; ++c) {
        const char* name = PQfname(r.r, c);
        if (PQgetisnull(r.r, i, c)) {
          row[name] = nullptr;
          continue;
        }
        const std::string v = PQgetvalue(r.r, i, c);
        switch (PQftype(r.r, c)) {
          case kInt2:
          case kInt4:
          case kInt8: row[name] = std::stoll(v); break;
          case kFloat4:
          case kFloat8:
          case kNumeric: row[name] = std::stod(v); break;
          case kBool: row[name] = v == "t"; break;
          default: row[name] = v;
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::int64_t changes() override { return changes_; }
  bool postgres() const override { return true; }

 private:
  PGresult* run(const std::string& text, const Params& p) {
    std::vector<std::string> texts(p.size());
    std::vector<const char*> values(p.size(), nullptr);
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (std::holds_alternative<std::int64_t>(p[i]))
        texts[i] = std::to_string(std::get<std::int64_t>(p[i]));
      else if (std::holds_alternative<double>(p[i]))
        texts[i] = fmt::format("{}", std::get<double>(p[i]));
      else if (std::holds_alternative<std::string>(p[i]))
        texts[i] = std::get<std::string>(p[i]);
      if (!std::holds_alternative<std::nullptr_t>(p[i])) values[i] = texts[i].c_str();
    }
    PGresult* r = PQexecParams(pg_, text.c_str(), static_cast<int>(p.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    if (r == nullptr) failure("PostgreSQL: {}", PQerrorMessage(pg_));
    return r;
  }

  PGconn* pg_ = nullptr;
  std::int64_t changes_ = 0;
};

}  // namespace

std::unique_ptr<Connection> connect_postgres(const std::string& conninfo) {
  return std::make_unique<PostgresConnection>(conninfo);
}

}  // namespace tinyml::gateway::sql
