// Runs the stages a project file configures, in order, writing artefacts under the
// project's build folder. A stage whose inputs (configuration and source file contents)
// hash to the value recorded at its last run is not run again.
#pragma once

#include <array>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "tinyml/act/rules.hpp"
#include "tinyml/act/simulate.hpp"
#include "tinyml/classic/model_file.hpp"
#include "tinyml/data/dataset.hpp"
#include "tinyml/data/table.hpp"
#include "tinyml/deploy/export.hpp"
#include "tinyml/deploy/verify.hpp"
#include "tinyml/eval/metrics.hpp"
#include "tinyml/nn/model_file.hpp"
#include "tinyml/optimize/int8_file.hpp"
#include "tinyml/project.hpp"

namespace tinyml {

// Loads one CSV or WAV source as a table.
data::Table load_source_table(const SourceConfig& src);

struct DataStageResult {
  std::array<data::Dataset, 3> parts;  // train, validation, test
  data::Table cleaned;                 // the merged, cleaned table (empty for IDX sources)
  std::string report;                  // human-readable
  nlohmann::json report_json;
};

DataStageResult run_data_stage(const Project& p);

// The data stage's table before splitting: every table source loaded, merged and cleaned
// as the project says. The sources' and cleaning's report lines are added to `report`
// and `report_json`.
data::Table load_clean_table(const Project& p, std::string& report, nlohmann::json& report_json);

struct TrainStageResult {
  bool has_model = false;  // the [model] network was trained (model, result, validation, test)
  nn::ModelFile model;
  nn::TrainResult result;
  eval::Evaluation validation, test;
  // The classic models and the anomaly detector, with their file names ("knn.tmc", ...).
  std::vector<std::pair<std::string, classic::ClassicModelFile>> classic;
  std::string report;
  nlohmann::json report_json;
};

// Trains the project's [model], [knn], [tree], [forest] and [anomaly] on the datasets in
// `data_dir`; progress goes to `os` (a progress bar when `tty`, one line per epoch otherwise).
TrainStageResult run_train_stage(const Project& p, const std::filesystem::path& data_dir, std::ostream& os,
                                 bool tty);

// The report lines of one evaluation: "<prefix><part name>: <evaluation>", and a note for
// each class the part holds no sample of. `part` is 1 (validation) or 2 (test).
std::string part_report(const std::string& prefix, int part, const eval::Evaluation& e);

// The [knn], [tree], [forest] and [anomaly] part of the train stage, on parts[0..2] (train,
// validation, test): adds report lines, report_json entries and model files to `r`.
void train_classic_models(const Project& p, const data::Dataset* parts, TrainStageResult& r, std::ostream& os);

struct OptimizeStageResult {
  nn::ModelFile model;  // the float network that was quantized (after pruning or QAT)
  optimize::Int8File int8;  // the int8 model (model.tmq)
  std::string report;
  nlohmann::json report_json;
};

// Prunes (when [optimize] asks), quantizes the trained network of `train_dir` to int8 and
// measures float and int8 side by side on the datasets of `data_dir`.
OptimizeStageResult run_optimize_stage(const Project& p, const std::filesystem::path& data_dir,
                                       const std::filesystem::path& train_dir, std::ostream& os);

struct DeployStageResult {
  deploy::ExportResult exported;
  std::vector<deploy::VerifyResult> verified;  // one per target, in [deploy] verify order
  bool identical = true;                       // every target matched the host byte for byte
  bool fits = true;                            // within the [target] budget (true without one)
  std::string report;
  nlohmann::json report_json;
};

// Exports the int8 model of `optimize_dir` to out_dir/<name>, verifies the generated code
// on each target of [deploy] verify (and the [target] core) with the test split of
// `data_dir`, and checks the [target] budget.
DeployStageResult run_deploy_stage(const Project& p, const std::filesystem::path& data_dir,
                                   const std::filesystem::path& optimize_dir, const std::filesystem::path& out_dir,
                                   std::ostream& os);

// The project's [[rules]] compiled for its int8 model (class and feature names resolved),
// and export options that put them beside the model (act/codegen.hpp) when it has rules.
act::RuleTables project_rule_tables(const Project& p, const optimize::Int8File& f);
deploy::ExportOptions with_rules(const Project& p, const optimize::Int8File& f, deploy::ExportOptions eo);

// The recordings `tinyml simulate` replays: the project's sources (or `data_file`, read as
// the first source), cleaned and windowed as the data stage does, one recording per group
// (device) whose readings belong to `part` (train, validation, test, or all), with the
// labelled events of each.
std::vector<act::Recording> replay_recordings(const Project& p, const std::string& part,
                                              const std::filesystem::path& data_file);

struct SimulateStageOptions {
  std::string part;                 // empty: [simulate] part
  std::filesystem::path data_file;  // empty: the project's sources
  double speed = -1;                // < 0: [simulate] speed
  bool timeline = true;
};

struct SimulateStageResult {
  act::SimulateResult sim;
  std::string report;  // the summary
  nlohmann::json report_json;
};

// Replays the recordings through the exported code of `deploy_dir`/<name> (built for the
// host) and through the host's int8 run and rules; the timeline goes to `timeline`.
SimulateStageResult run_simulate_stage(const Project& p, const std::filesystem::path& optimize_dir,
                                       const std::filesystem::path& deploy_dir, const std::filesystem::path& out_dir,
                                       const SimulateStageOptions& so, std::ostream& timeline);

struct BuildOptions {
  bool force = false;  // run every stage even when its inputs are unchanged
  bool json = false;   // print the reports as one JSON document
  bool progress = false;  // draw progress bars (a terminal)
  std::string until;      // stop after this stage ("data", "train", "optimize", "deploy", "simulate"); empty: every stage
};

// Returns the process exit status. Progress and reports go to `out`.
int build(const Project& p, const BuildOptions& opt, std::ostream& out);

// The hash of everything the data stage reads: the tool version, the configuration and
// the bytes of every source file.
std::string data_stage_hash(const Project& p);

}  // namespace tinyml
