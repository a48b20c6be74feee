// `tinyml simulate`: the act stage's command.
#include "act_commands.hpp"

#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tinyml/error.hpp"
#include "tinyml/pipeline.hpp"
#include "tinyml/project.hpp"

namespace tinyml::cli {

namespace fs = std::filesystem;

void ActCommands::add(CLI::App& app) {
  simulate_cmd = app.add_subcommand(
      "simulate",
      "Replay recorded readings through the exported model and its [[rules]], as the device\n"
      "would see them: the project's sources (or --data FILE) cleaned and windowed as the data\n"
      "stage does, one recording per device (group), window by window in time order. The\n"
      "exported folder (model, rules, runtime) is built with the host's C++ compiler; the host\n"
      "runs the same windows through the int8 model and the rules, and every output byte,\n"
      "signal and action must agree (else exit status 1). Prints a timeline (time, predicted\n"
      "class, the rule's signal, rule fired or released, actions), then the labelled events\n"
      "caught, their delay, false alarms per hour of replay and the actions taken. Runs the\n"
      "stages before it first when their inputs changed.\n"
      "Example: tinyml simulate examples/home/tinyml.toml --speed 600");
  simulate_cmd->add_option("project", project, "The project file (tinyml.toml)")->required();
  simulate_cmd->add_option("--data", data, "A CSV file with the sources' columns to replay instead of the project's data")
      ->check(CLI::ExistingFile);
  simulate_cmd->add_option("--part", part, "Which recordings: train, validation, test or all (default: [simulate] part)")
      ->check(CLI::IsMember({"train", "validation", "test", "all"}));
  simulate_cmd->add_option("--speed", speed, "Replay at N x real time (default: as fast as possible)")
      ->check(CLI::PositiveNumber);
  simulate_cmd->add_flag("--quiet", quiet, "Only the summary, no timeline");
  simulate_cmd->add_flag("--json", json_out, "Print the result as JSON (no timeline)");
  simulate_cmd->add_option("--build-dir", build_dir, "Artefacts folder instead of build/ beside the project");
}

int ActCommands::run_simulate() {
  Project p = load_project(project);
  if (!p.act.enabled()) input_error("{}: no [[rules]]: nothing to simulate", project);
  if (!build_dir.empty()) p.build_dir = build_dir;
  BuildOptions opt;
  opt.until = "deploy";
  opt.json = json_out;
  std::ostringstream stages;
  const int rc = build(p, opt, json_out ? stages : std::cout);
  if (rc != 0) {
    if (json_out) std::cout << stages.str();
    return rc;
  }
  SimulateStageOptions so;
  so.part = part;
  so.data_file = data;
  so.speed = speed > 0 ? speed : -1;
  so.timeline = !json_out && !quiet;
  std::ostringstream none;
  SimulateStageResult r = run_simulate_stage(p, p.build_dir / "optimize", p.build_dir / "deploy",
                                             p.build_dir / "simulate" / "command", so, so.timeline ? std::cout : none);
  if (json_out)
    std::cout << r.report_json.dump(2) << "\n";
  else
    std::cout << r.report;
  if (!r.sim.agree) {
    std::cerr << "tinyml: failure: the generated code and the host's rules differ: " << r.sim.first_difference << "\n";
    return 1;
  }
  return 0;
}

}  // namespace tinyml::cli
