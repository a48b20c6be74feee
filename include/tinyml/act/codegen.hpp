// The rules as generated code beside an exported model (deploy/export.hpp):
// src/<name>_rules.h (a C API: reset, step after each invoke, the names behind every index)
// and src/<name>_rules.cpp (the rule tables as const structs, floats as exact hexadecimal
// literals, the state in zero-initialized memory, no heap, no static constructors), on the
// runtime's rules engine (tinyml_rt_rules.h), whose sources the export copies beside them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tinyml/act/rules.hpp"

namespace tinyml::act {

struct RulesCode {
  std::vector<std::pair<std::string, std::string>> sources;  // file name under src/ -> text
  std::vector<std::string> runtime;                          // runtime files they need
};

// `name` is the export's name (the model's header is <name>.h); `output_scale` the scale
// of the model's int8 output (the logits the softmax turns into probabilities).
RulesCode generate_rules_code(const RuleTables& t, const std::string& name, float output_scale);

}  // namespace tinyml::act
