// The act stage's command (`tinyml simulate`), kept out of main.cpp.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace tinyml::cli {

struct ActCommands {
  CLI::App* simulate_cmd = nullptr;
  std::string project, data, part, build_dir;
  double speed = 0;
  bool json_out = false, quiet = false;

  void add(CLI::App& app);  // registers the command; the options point into this object
  int run_simulate();
};

}  // namespace tinyml::cli
