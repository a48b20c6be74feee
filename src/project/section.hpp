// The project file's TOML helpers: a table with a fixed set of allowed keys and typed
// getters whose errors name the file, line, column and dotted key. Shared by the project
// loader and the sections other stages parse (act/rules_config.cpp).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "tinyml/error.hpp"

namespace tinyml::project_detail {

inline std::string where(const std::string& file, const toml::source_region& r) {
  if (r.begin.line == 0) return file;
  return fmt::format("{}:{}:{}", file, r.begin.line, r.begin.column);
}

inline std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

// A TOML table with a fixed set of allowed keys and typed getters whose errors name the
// file, line, column and dotted key.
class Section {
 public:
  Section(const toml::table& t, std::string path, const std::string& file,
          std::initializer_list<std::string_view> allowed)
      : t_(t), path_(std::move(path)), file_(file) {
    std::set<std::string_view> ok(allowed.begin(), allowed.end());
    for (auto&& [k, v] : t_) {
      if (!ok.count(k.str())) {
        std::string list;
        for (auto a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
        input_error("{}: unknown key '{}' (known keys here: {})", where(file_, k.source()),
                    key(k.str()), list);
      }
    }
  }
  Section(const toml::table& t, std::string path, const std::string& file)
      : t_(t), path_(std::move(path)), file_(file) {}

  std::string key(std::string_view k) const {
    return path_.empty() ? std::string(k) : fmt::format("{}.{}", path_, k);
  }
  const toml::node* node(std::string_view k) const { return t_.get(k); }
  bool has(std::string_view k) const { return t_.contains(k); }
  [[noreturn]] void fail(std::string_view k, const std::string& msg) const {
    const toml::node* n = node(k);
    input_error("{}: {}: {}", n ? where(file_, n->source()) : where(file_, t_.source()), key(k), msg);
  }
  void expect(std::string_view k, toml::node_type want, std::string_view want_name) const {
    const toml::node* n = node(k);
    if (n && n->type() != want)
      input_error("{}: key '{}' must be {}, found {}", where(file_, n->source()), key(k), want_name,
                  type_name(n->type()));
  }

  std::optional<std::string> str(std::string_view k) const {
    expect(k, toml::node_type::string, "a string");
    if (auto n = node(k)) return std::string(*n->as_string());
    return std::nullopt;
  }
  std::optional<bool> boolean(std::string_view k) const {
    expect(k, toml::node_type::boolean, "a boolean (true or false)");
    if (auto n = node(k)) return n->as_boolean()->get();
    return std::nullopt;
  }
  std::optional<std::int64_t> integer(std::string_view k, std::int64_t lo, std::int64_t hi) const {
    expect(k, toml::node_type::integer, "an integer");
    if (auto n = node(k)) {
      std::int64_t v = n->as_integer()->get();
      if (v < lo || v > hi) fail(k, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
      return v;
    }
    return std::nullopt;
  }
  std::optional<double> number(std::string_view k, double lo, double hi) const {
    const toml::node* n = node(k);
    if (!n) return std::nullopt;
    double v;
    if (n->is_integer())
      v = static_cast<double>(n->as_integer()->get());
    else if (n->is_floating_point())
      v = n->as_floating_point()->get();
    else
      input_error("{}: key '{}' must be a number, found {}", where(file_, n->source()), key(k),
                  type_name(n->type()));
    if (!(v >= lo && v <= hi)) fail(k, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
    return v;
  }
  std::optional<std::vector<std::string>> strings(std::string_view k) const {
    expect(k, toml::node_type::array, "an array of strings");
    const toml::node* n = node(k);
    if (!n) return std::nullopt;
    std::vector<std::string> out;
    for (auto&& e : *n->as_array()) {
      if (!e.is_string())
        input_error("{}: key '{}' must hold strings only, found {}", where(file_, e.source()),
                    key(k), type_name(e.type()));
      out.emplace_back(*e.as_string());
    }
    return out;
  }
  // Array of strings or integers, returned as text (group values such as mote ids).
  std::optional<std::vector<std::string>> values_as_text(std::string_view k) const {
    expect(k, toml::node_type::array, "an array");
    const toml::node* n = node(k);
    if (!n) return std::nullopt;
    std::vector<std::string> out;
    for (auto&& e : *n->as_array()) {
      if (e.is_string())
        out.emplace_back(*e.as_string());
      else if (e.is_integer())
        out.push_back(std::to_string(e.as_integer()->get()));
      else
        input_error("{}: key '{}' must hold strings or integers, found {}",
                    where(file_, e.source()), key(k), type_name(e.type()));
    }
    return out;
  }
  std::optional<std::vector<double>> numbers(std::string_view k) const {
    expect(k, toml::node_type::array, "an array of numbers");
    const toml::node* n = node(k);
    if (!n) return std::nullopt;
    std::vector<double> out;
    for (auto&& e : *n->as_array()) {
      if (e.is_integer())
        out.push_back(static_cast<double>(e.as_integer()->get()));
      else if (e.is_floating_point())
        out.push_back(e.as_floating_point()->get());
      else
        input_error("{}: key '{}' must hold numbers only, found {}", where(file_, e.source()),
                    key(k), type_name(e.type()));
    }
    return out;
  }
  const toml::table* table(std::string_view k) const {
    expect(k, toml::node_type::table, "a table");
    const toml::node* n = node(k);
    return n ? n->as_table() : nullptr;
  }
  // Parses an enumerated string with `parse`, turning its complaint into a located error.
  template <typename F>
  auto choice(std::string_view k, F parse) const -> std::optional<decltype(parse(""))> {
    auto s = str(k);
    if (!s) return std::nullopt;
    try {
      return parse(*s);
    } catch (const std::invalid_argument& e) {
      fail(k, fmt::format("'{}' is not valid: {}", *s, e.what()));
    }
  }
  const toml::table& raw() const { return t_; }
  const std::string& file() const { return file_; }

 private:
  const toml::table& t_;
  std::string path_;
  const std::string& file_;
};

}  // namespace tinyml::project_detail
