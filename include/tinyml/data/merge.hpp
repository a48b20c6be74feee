// Combining several sources into one table: concatenate (same columns), join on time
// with a tolerance, or resample every source to one fixed rate first.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tinyml/data/table.hpp"

namespace tinyml::data {

enum class MergeMethod { Concat, Join, Resample };
std::string_view to_string(MergeMethod m);
MergeMethod parse_merge_method(std::string_view s);

enum class Aggregate { Mean, Last, Linear };
std::string_view to_string(Aggregate a);
Aggregate parse_aggregate(std::string_view s);

struct MergeOptions {
  MergeMethod method = MergeMethod::Concat;
  double tolerance_s = 0.0;  // Join: the largest time difference between matched rows
  double period_s = 1.0;     // Resample: the fixed sampling period
  Aggregate aggregate = Aggregate::Mean;
  std::string group_column;   // rows are matched and resampled within a group
  std::string source_column;  // Concat: add a column naming each row's source
  // Resample: label columns take the last value of a bin, never a mean.
  std::vector<std::string> label_columns;
};

struct NamedTable {
  std::string name;
  Table table;
};

struct MergeReport {
  std::string method;
  struct Source {
    std::string name;
    std::size_t rows = 0;
    std::size_t matched = 0;    // Join: rows of this source used; Resample: rows that fell in a bin
    std::size_t unmatched = 0;  // Join: base rows left without a partner from this source
  };
  std::vector<Source> sources;
  std::size_t rows_out = 0;
  std::size_t empty_bins = 0;  // Resample: bins with no reading (cells left missing)
  std::vector<std::string> renamed;  // "source.column -> new name" on name clashes
  std::string text() const;
  nlohmann::json json() const;
};

Table merge(std::vector<NamedTable> sources, const MergeOptions& opt, MergeReport& report);

// Resamples one table to a fixed period within each group (exposed for tests).
// Number and integer columns are aggregated by `agg`; categorical columns and the columns
// named in `labels` take the last reading of each bin.
Table resample(const Table& t, double period_s, Aggregate agg, int group_col,
               std::size_t* rows_used, std::size_t* empty_bins,
               const std::vector<std::string>& labels = {});

}  // namespace tinyml::data
