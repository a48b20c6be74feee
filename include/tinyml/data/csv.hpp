// CSV as real sensor exports write it: RFC 4180 quoting (delimiters, quotes and line
// breaks inside quoted fields), CRLF or LF, an optional UTF-8 byte-order mark, a header
// row, a configurable delimiter, configurable missing-value markers and sentinels.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tinyml/data/table.hpp"
#include "tinyml/io.hpp"

namespace tinyml::data {

struct CsvOptions {
  char delimiter = ',';  // '\0' detects one of , ; TAB | from the header line
  std::size_t skip_rows = 0;  // lines before the header (a preamble) to skip
  bool header = true;         // false: columns are named c1, c2, ...
  // Cells (after trimming blanks) that mean "missing".
  std::vector<std::string> missing = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"};
  // Numeric values that mean "missing" (sensor sentinels such as -999).
  std::vector<double> sentinels;
  // The time axis: a column name, or empty to detect one (an ISO 8601 column, or a numeric
  // column named time/timestamp/epoch/ts/datetime/date).
  std::string time_column;
  TimeFormat time_format = TimeFormat::Auto;
  double index_period_s = 1.0;  // TimeFormat::Index: seconds between consecutive indices
  std::map<std::string, ColumnType> types;  // per-column type overrides
  std::size_t infer_rows = 1000;            // rows used to infer column types
};

// Limits that turn a pathological file into a clear error rather than exhausted memory.
inline constexpr std::size_t kMaxCsvColumns = 65536;
inline constexpr std::size_t kMaxCsvFieldBytes = 1 << 20;

// Parses CSV text; `name` is used in messages ("name:line:column: ...").
// Throws InputError on malformed input.
Table parse_csv(std::string_view text, std::string_view name, const CsvOptions& opt = {});
Table read_csv(const std::filesystem::path& path, const CsvOptions& opt = {});

// Writes a table as CSV (header row, LF line ends, quoting only where needed), in pieces
// of about 1 MiB to `sink`; the second form returns the whole text.
void write_csv(const Table& t, const Sink& sink, char delimiter = ',');
std::string write_csv(const Table& t, char delimiter = ',');

// Returns the byte offset of the first invalid UTF-8 sequence, or npos when valid.
std::size_t find_invalid_utf8(std::string_view s);

}  // namespace tinyml::data
