// The deploy stage's commands (`tinyml export`, `tinyml verify`), kept out of main.cpp.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace tinyml::cli {

struct DeployCommands {
  CLI::App* export_cmd = nullptr;
  CLI::App* verify_cmd = nullptr;
  std::string model, out, name = "model", export_target, dataset, work_dir, bundle;
  std::uint32_t model_version = 0;
  std::vector<std::string> targets;
  std::size_t samples = 0;
  bool reuse_input = false, json_out = false, speed = false;

  void add(CLI::App& app);  // registers both; the options point into this object
  int run_export();
  int run_verify();
};

}  // namespace tinyml::cli
