// The project file, tinyml.toml: one file drives every stage. Unknown keys and wrong types
// are errors naming the file, line and column; nothing is silently ignored.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tinyml/data/clean.hpp"
#include "tinyml/data/csv.hpp"
#include "tinyml/data/merge.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"

namespace tinyml {

struct SourceConfig {
  std::string name;
  std::filesystem::path path;    // resolved against the project file's folder
  std::string format;            // csv | wav | idx
  std::filesystem::path labels;  // idx: the labels file
  data::CsvOptions csv;
};

struct Project {
  std::filesystem::path file, dir, build_dir;
  std::string name;
  std::vector<SourceConfig> sources;
  data::MergeOptions merge;
  data::Columns columns;
  bool clean_enabled = false;
  data::CleanOptions clean;
  bool window_enabled = false;
  data::WindowOptions window;
  std::string normalize = "none";
  data::SplitOptions split;
  // The data-stage configuration in a canonical form (no comments, no layout), hashed with
  // the source files to decide whether the stage must run again.
  std::string data_config;
};

Project parse_project(std::string_view text, const std::filesystem::path& file);
Project load_project(const std::filesystem::path& file);

}  // namespace tinyml
