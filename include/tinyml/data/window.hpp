// Windowing time series into samples. No window spans a gap in time, a change of group
// (device, session) or a change of split part, so windows of different parts never share
// a reading.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tinyml/data/dataset.hpp"
#include "tinyml/data/table.hpp"

namespace tinyml::data {

enum class LabelRule { Majority, Last, AnyPositive };
std::string_view to_string(LabelRule r);
LabelRule parse_label_rule(std::string_view s);

struct WindowOptions {
  std::size_t length = 1;  // rows per window; 1 makes one sample per row
  std::size_t stride = 1;
  LabelRule label_rule = LabelRule::Majority;
  // The longest step between consecutive rows inside a window, in seconds; 0 means 1.5x
  // the median sampling interval of the group.
  double max_gap_s = 0.0;
};

struct Columns {
  std::vector<std::string> features;  // empty: every number column but time, group, label
  std::string label, group;
  std::vector<std::string> class_names;  // optional display names for sorted label values
};

// Class names and the mapping from label cell value to class index, taken from the whole
// table so that every split uses the same indices.
struct LabelMap {
  std::vector<std::string> names;
  std::vector<double> values;  // sorted label cell values; class i has values[i]
  int index_of(double v) const;
};
LabelMap make_label_map(const Table& t, const Columns& cols);

struct WindowStats {
  std::size_t windows = 0, skipped_missing = 0, segments = 0, gaps = 0;
};

// Windows the rows whose `part` equals `which` (part may be empty: all rows). Rows are
// taken in (group, time) order.
Dataset make_windows(const Table& t, const Columns& cols, const LabelMap& labels,
                     const WindowOptions& opt, const std::vector<std::int8_t>& part, int which,
                     WindowStats& stats);

std::vector<std::string> feature_columns(const Table& t, const Columns& cols);

}  // namespace tinyml::data
