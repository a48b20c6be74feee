// The columnar table that flows through the data stage: every cell is a double,
// NaN marks a missing value, categorical cells hold an index into `categories`,
// timestamps hold seconds since the Unix epoch (or sample index x period).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tinyml::data {

enum class ColumnType { Number, Integer, Categorical, Timestamp };
std::string_view to_string(ColumnType t);

// How a timestamp column was written in its source, so that it is written back alike.
enum class TimeFormat { Auto, Iso8601, EpochSeconds, EpochMillis, Index };
std::string_view to_string(TimeFormat f);
TimeFormat parse_time_format(std::string_view s);  // throws std::invalid_argument

struct Column {
  std::string name;
  ColumnType type = ColumnType::Number;
  std::vector<double> values;
  std::vector<std::string> categories;  // Categorical only
  TimeFormat time_format = TimeFormat::Auto;  // Timestamp only
  double index_period_s = 1.0;                // TimeFormat::Index only
  bool iso_has_zone = false;                  // Iso8601: the source carried a zone

  bool missing(std::size_t row) const { return std::isnan(values[row]); }
  std::size_t missing_count() const;
  // The cell as text, as a CSV writer would print it ("" when missing).
  std::string text(std::size_t row) const;
};

struct Table {
  std::string source;  // a name for messages: the file it came from, or what made it
  std::vector<Column> columns;
  int time_column = -1;  // index into columns, or -1 when the table has no time axis

  std::size_t rows() const { return columns.empty() ? 0 : columns.front().values.size(); }
  int find(std::string_view name) const;
  // The column called `name`; throws InputError naming the table and the columns it has.
  const Column& at(std::string_view name) const;
  Column& at(std::string_view name);
  int index_of(std::string_view name) const;  // like at(), but the index
  const Column* time() const { return time_column >= 0 ? &columns[time_column] : nullptr; }
  std::string column_list() const;
};

// A new table with the given rows, in the given order.
Table take_rows(const Table& t, std::span<const std::size_t> rows);

// Row indices ordered by (group value, time, original position); group or time may be -1.
std::vector<std::size_t> order_by_group_time(const Table& t, int group_col, int time_col);

// A cell value as text, as a CSV writer prints it ("" when missing).
std::string cell_text(const Column& c, double v);

// Formats seconds since the epoch as ISO 8601 (UTC); parses ISO 8601 into seconds.
std::string format_iso8601(double seconds, bool with_zone);
// Returns false when `s` is not an ISO 8601 date or date-time. Sets has_zone when a
// zone designator (Z or +hh:mm) was present; times without a zone are taken as UTC.
bool parse_iso8601(std::string_view s, double& seconds, bool& has_zone);

}  // namespace tinyml::data
