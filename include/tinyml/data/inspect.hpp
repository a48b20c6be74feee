// A first look at a table: column types, missing counts, duplicates, time span, sampling
// interval and gaps, label balance.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tinyml/data/dataset.hpp"
#include "tinyml/data/table.hpp"

namespace tinyml::data {

struct InspectOptions {
  std::string label;  // empty: a column named label/class/target/y, if any
  std::string group;  // sampling interval and gaps are measured within a group
};

nlohmann::json inspect(const Table& t, const InspectOptions& opt);
nlohmann::json inspect(const Dataset& d, const std::string& name);
std::string inspect_text(const nlohmann::json& j);

// The time overlaps between samples of two sets within the same group: the number of
// samples of `b` whose [t_begin, t_end] intersects a sample of `a`. Used to prove that a
// split does not leak.
std::size_t count_time_overlaps(const Dataset& a, const Dataset& b);

}  // namespace tinyml::data
