// Cleaning: exact duplicate rows, repeated timestamps, outliers and missing values.
// Every action is counted in a CleanReport.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tinyml/data/table.hpp"

namespace tinyml::data {

enum class MissingMethod { Keep, DropRow, Mean, Median, Constant, ForwardFill, Interpolate };
std::string_view to_string(MissingMethod m);
MissingMethod parse_missing_method(std::string_view s);  // throws std::invalid_argument

struct MissingRule {
  MissingMethod method = MissingMethod::Keep;
  double constant = 0.0;  // Constant
  // ForwardFill: the longest time a value is carried forward. Interpolate: the longest span
  // between the two known readings around a hole that is bridged. Seconds when the table
  // has a time axis, rows otherwise. Infinity: no limit.
  double max_gap = std::numeric_limits<double>::infinity();
};

enum class RepeatedTime { Keep, First, Last, Mean };
std::string_view to_string(RepeatedTime r);
RepeatedTime parse_repeated_time(std::string_view s);

enum class OutlierMethod { None, Percentile, ZScore };
std::string_view to_string(OutlierMethod m);
OutlierMethod parse_outlier_method(std::string_view s);

struct CleanOptions {
  bool drop_duplicates = true;
  RepeatedTime repeated_timestamps = RepeatedTime::Keep;
  // Repeated timestamps, forward fill and interpolation never cross a change of this column.
  std::string group_column;
  // Applied to every number or integer column without a rule of its own, except the
  // group column and those in `label_columns`. Categorical and time columns are touched
  // only by a rule naming them.
  MissingRule missing_default;
  std::vector<std::string> label_columns;
  std::map<std::string, MissingRule> missing;
  OutlierMethod outliers = OutlierMethod::None;
  double low_percentile = 1.0, high_percentile = 99.0;  // Percentile: clip to these
  double z = 4.0;                                       // ZScore: clip to mean +- z sd
  std::vector<std::string> outlier_columns;             // empty: every number column
};

struct CleanReport {
  std::size_t rows_in = 0, rows_out = 0;
  std::size_t duplicates_removed = 0;
  // Rows equal to an earlier row in every column but time: separate readings that happen
  // to repeat a value. Counted, never removed.
  std::size_t repeated_values_kept = 0;
  std::size_t repeated_timestamps_merged = 0;
  std::size_t missing_time_dropped = 0;
  struct ColumnMissing {
    std::string column, method;
    std::size_t missing = 0, filled = 0, rows_dropped = 0, left_missing = 0;
  };
  std::vector<ColumnMissing> missing;
  struct ColumnOutliers {
    std::string column;
    double low = 0, high = 0;
    std::size_t clipped = 0;
  };
  std::vector<ColumnOutliers> outliers;

  std::string text() const;
  nlohmann::json json() const;
};

// Takes the table by value: move it in to avoid a copy.
Table clean(Table t, const CleanOptions& opt, CleanReport& report);

// Linear-interpolated percentile (0..100) of the non-missing values, as numpy's default.
double percentile(std::vector<double> values, double p);

}  // namespace tinyml::data

#include "tinyml/data/dataset.hpp"

namespace tinyml::data {

// Normalizes every number column of a table except those named in `skip` (and the time
// column), fitting the parameters on the table itself; "zscore" uses the population
// standard deviation. Returns the parameters.
Normalization normalize_table(Table& t, const std::string& method,
                              const std::vector<std::string>& skip);

}  // namespace tinyml::data
