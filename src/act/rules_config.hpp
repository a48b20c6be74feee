// Parsing the act stage's sections of tinyml.toml: [actuators], [[rules]] and [simulate]
// (docs/project-file.md). Internal to the host library: project.cpp calls it.
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "tinyml/act/rules.hpp"

namespace tinyml::act {

// The statistics a window reading can be reduced to, in tinyml_rt_window_stat order.
inline constexpr const char* kStatNames[] = {"last", "first", "mean", "min", "max", "delta"};

// `classes` and `features` are the data section's names when the project gives them
// (empty: checked later, against the model, by compile_rules); `kmeans_anomaly` whether
// the project trains a k-means [anomaly] detector (the "anomaly" signal). InputError naming
// the file, line, column and key of the first problem.
ActConfig parse_act(const toml::table& root, const std::string& file, const std::vector<std::string>& classes,
                    const std::vector<std::string>& features, bool kmeans_anomaly);

// The signal a rule watches, resolved; InputError naming the rule's key when a class,
// feature or statistic does not exist. An empty list is not checked.
tinyml_rt_signal resolve_signal(const RuleSpec& r, const std::vector<std::string>& classes,
                                const std::vector<std::string>& features);

}  // namespace tinyml::act
