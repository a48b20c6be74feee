#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "tinyml/data/csv.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/pipeline.hpp"
#include "tinyml/report/html.hpp"
#include "tinyml/version.hpp"

namespace tinyml {
namespace fs = std::filesystem;
using nlohmann::json;

std::string data_stage_hash(const Project& p) {
  std::uint64_t h = hash64(kVersion);
  h = hash64(p.data_config, h);
  for (const auto& s : p.sources) {
    h = hash64(s.path.string(), h);
    h = hash64(read_file(s.path), h);
    if (!s.labels.empty()) h = hash64(read_file(s.labels), h);
  }
  return hex64(h);
}

int data_stage(const Project& p, const BuildOptions& opt, std::ostream& os, json& all, std::string& hash);

namespace {

// A stage is fresh when every output exists and the stamp holds the hash of its inputs.
bool stage_fresh(const fs::path& dir, const std::string& hash, const std::vector<std::string>& outputs,
                 bool force) {
  if (force || !fs::exists(dir / ".inputs-hash")) return false;
  for (const auto& o : outputs)
    if (!fs::exists(dir / o)) return false;
  return read_file(dir / ".inputs-hash") == hash;
}

// Prints a stage's report with the stage's tag before every line.
void print_tagged(std::ostream& os, const std::string& tag, const std::string& text) {
  for (std::size_t a = 0, b; a < text.size(); a = b + 1) {
    b = text.find('\n', a);
    if (b == std::string::npos) b = text.size();
    fmt::print(os, "[{}] {}\n", tag, text.substr(a, b - a));
  }
}

int train_stage(const Project& p, const std::string& data_hash, const BuildOptions& opt, std::ostream& os,
                json& all, std::string& hash) {
  const fs::path dir = p.build_dir / "train";
  const fs::path stamp = dir / ".inputs-hash";
  hash = hex64(hash64(p.train_config, hash64(data_hash)));
  std::vector<std::string> outputs{"report.json"};
  if (p.model_enabled) outputs.push_back("model.tmm");
  if (p.knn_enabled) outputs.push_back("knn.tmc");
  if (p.tree_enabled) outputs.push_back("tree.tmc");
  if (p.forest_enabled) outputs.push_back("forest.tmc");
  if (p.anomaly_enabled) outputs.push_back("anomaly.tmc");
  if (stage_fresh(dir, hash, outputs, opt.force)) {
    all["train"] = json::parse(read_file(dir / "report.json"));
    all["train"]["up_to_date"] = true;
    if (!opt.json) fmt::print(os, "[train] up to date (inputs unchanged, hash {}); nothing to do\n", hash);
    return 0;
  }
  if (!opt.json) fmt::print(os, "[train] training on {}\n", (p.build_dir / "data").string());
  std::ostringstream quiet;
  TrainStageResult r = run_train_stage(p, p.build_dir / "data", opt.json ? quiet : os, opt.progress && !opt.json);
  r.report_json["inputs_hash"] = hash;
  r.report_json["up_to_date"] = false;
  AtomicOutputs outs;
  std::string written;
  if (r.has_model) {
    outs.add(dir / "model.tmm", nn::serialize(r.model));
    written += "model.tmm, ";
  }
  for (auto& [name, f] : r.classic) {
    outs.add(dir / name, classic::serialize(f));
    written += name + ", ";
  }
  outs.add(dir / "report.txt", r.report);
  outs.add(dir / "report.json", r.report_json.dump(2) + "\n");
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  outs.add(dir / "report.html",
           report::training_report_html(r.report_json, p.name,
                                        data::format_iso8601(static_cast<double>(now), true)));
  outs.commit();
  // Model files of sections no longer in the project go, so build/train/ holds what the
  // project trains now.
  for (const char* f : {"model.tmm", "knn.tmc", "tree.tmc", "forest.tmc", "anomaly.tmc"})
    if (std::find(outputs.begin(), outputs.end(), f) == outputs.end()) fs::remove(dir / f);
  write_file_atomic(stamp, hash);
  all["train"] = r.report_json;
  if (!opt.json) {
    print_tagged(os, "train", r.report);
    fmt::print(os, "[train] wrote {}report.txt/.json and report.html (open it in a browser) to {}\n", written,
               dir.string());
  }
  return 0;
}

int optimize_stage(const Project& p, const std::string& train_hash, const BuildOptions& opt, std::ostream& os,
                   json& all, std::string& hash_out) {
  const fs::path dir = p.build_dir / "optimize";
  const std::string hash = hex64(hash64(p.optimize_config, hash64(train_hash)));
  hash_out = hash;
  if (stage_fresh(dir, hash, {"model.tmm", "model.tmq", "report.json"}, opt.force)) {
    all["optimize"] = json::parse(read_file(dir / "report.json"));
    all["optimize"]["up_to_date"] = true;
    if (!opt.json) fmt::print(os, "[optimize] up to date (inputs unchanged, hash {}); nothing to do\n", hash);
    return 0;
  }
  if (!opt.json) fmt::print(os, "[optimize] quantizing {} to int8\n", (p.build_dir / "train" / "model.tmm").string());
  std::ostringstream quiet;
  OptimizeStageResult r = run_optimize_stage(p, p.build_dir / "data", p.build_dir / "train", opt.json ? quiet : os);
  r.report_json["inputs_hash"] = hash;
  r.report_json["up_to_date"] = false;
  AtomicOutputs outs;
  outs.add(dir / "model.tmm", nn::serialize(r.model));
  outs.add(dir / "model.tmq", optimize::serialize(r.int8));
  outs.add(dir / "report.txt", r.report);
  outs.add(dir / "report.json", r.report_json.dump(2) + "\n");
  outs.commit();
  write_file_atomic(dir / ".inputs-hash", hash);
  all["optimize"] = r.report_json;
  if (!opt.json) {
    print_tagged(os, "optimize", r.report);
    fmt::print(os, "[optimize] wrote model.tmq (int8), model.tmm (the float network it came from) and report.txt/.json to {}\n",
               dir.string());
  }
  return 0;
}

int deploy_stage(const Project& p, const std::string& optimize_hash, const BuildOptions& opt, std::ostream& os,
                 json& all, std::string& hash_out) {
  const fs::path dir = p.build_dir / "deploy";
  const std::string hash = hex64(hash64(p.deploy_config, hash64(optimize_hash)));
  hash_out = hash;
  if (stage_fresh(dir, hash, {"report.json", "report.txt"}, opt.force)) {
    all["deploy"] = json::parse(read_file(dir / "report.json"));
    all["deploy"]["up_to_date"] = true;
    if (!opt.json) fmt::print(os, "[deploy] up to date (inputs unchanged, hash {}); nothing to do\n", hash);
    return 0;
  }
  fs::remove(dir / ".inputs-hash");
  std::ostringstream quiet;
  DeployStageResult r = run_deploy_stage(p, p.build_dir / "data", p.build_dir / "optimize", dir, opt.json ? quiet : os);
  r.report_json["inputs_hash"] = hash;
  r.report_json["up_to_date"] = false;
  AtomicOutputs outs;
  outs.add(dir / "report.txt", r.report);
  outs.add(dir / "report.json", r.report_json.dump(2) + "\n");
  outs.commit();
  all["deploy"] = r.report_json;
  if (!opt.json) {
    print_tagged(os, "deploy", r.report);
    fmt::print(os, "[deploy] wrote the generated code and report.txt/.json to {}\n", dir.string());
  }
  if (!r.identical) {
    fmt::print(std::cerr, "tinyml: failure: [deploy] the generated code differs from the host's int8 run\n");
    return 1;
  }
  if (!r.fits) {
    fmt::print(std::cerr, "tinyml: failure: [deploy] the model does not fit the [target] budget (see the breakdown)\n");
    return 1;
  }
  write_file_atomic(dir / ".inputs-hash", hash);
  return 0;
}

// Replays the project's recordings through the exported model and rules; fails when the
// generated code and the host disagree.
int simulate_stage(const Project& p, const std::string& deploy_hash, const BuildOptions& opt, std::ostream& os,
                   json& all) {
  const fs::path dir = p.build_dir / "simulate";
  const std::string hash = hex64(hash64(p.simulate_config, hash64(deploy_hash)));
  if (stage_fresh(dir, hash, {"report.json", "report.txt", "timeline.txt"}, opt.force)) {
    all["simulate"] = json::parse(read_file(dir / "report.json"));
    all["simulate"]["up_to_date"] = true;
    if (!opt.json) {
      fmt::print(os, "[simulate] up to date (inputs unchanged, hash {}); the last replay:\n", hash);
      print_tagged(os, "simulate", read_file(dir / "report.txt"));
    }
    return 0;
  }
  fs::remove(dir / ".inputs-hash");
  if (!opt.json)
    fmt::print(os, "[simulate] replaying recorded readings through the exported model and rules ({})\n",
               (p.build_dir / "deploy" / p.deploy.name).string());
  // The timeline goes out as it happens (paced with [simulate] speed) and to timeline.txt.
  std::ostringstream timeline;
  struct Tee : std::streambuf {
    std::ostream* a;
    std::ostream* b;
    bool line_start = true;
    int overflow(int c) override {
      if (c == EOF) return 0;
      if (line_start && a) *a << "[simulate] ";
      line_start = c == '\n';
      if (a) a->put(static_cast<char>(c));
      b->put(static_cast<char>(c));
      return c;
    }
    int sync() override {
      if (a) a->flush();
      return 0;
    }
  } tee;
  tee.a = opt.json ? nullptr : &os;
  tee.b = &timeline;
  std::ostream tl(&tee);
  SimulateStageResult r = run_simulate_stage(p, p.build_dir / "optimize", p.build_dir / "deploy", dir, {}, tl);
  tl.flush();
  r.report_json["inputs_hash"] = hash;
  r.report_json["up_to_date"] = false;
  AtomicOutputs outs;
  outs.add(dir / "report.txt", r.report);
  outs.add(dir / "report.json", r.report_json.dump(2) + "\n");
  outs.add(dir / "timeline.txt", timeline.str());
  outs.commit();
  all["simulate"] = r.report_json;
  if (!opt.json) {
    print_tagged(os, "simulate", r.report);
    fmt::print(os, "[simulate] wrote report.txt/.json and timeline.txt to {}\n", dir.string());
  }
  if (!r.sim.agree) {
    fmt::print(std::cerr, "tinyml: failure: [simulate] the generated code and the host's rules differ: {}\n",
               r.sim.first_difference);
    return 1;
  }
  write_file_atomic(dir / ".inputs-hash", hash);
  return 0;
}

}  // namespace

int build(const Project& p, const BuildOptions& opt, std::ostream& os) {
  if (!opt.until.empty() && opt.until != "data" && opt.until != "train" && opt.until != "optimize" &&
      opt.until != "deploy" && opt.until != "simulate")
    input_error("--until: '{}' is not a stage (data, train, optimize, deploy, simulate)", opt.until);
  json all;
  std::ostringstream data_out;
  std::string data_hash;
  int rc = data_stage(p, opt, opt.json ? data_out : os, all, data_hash);
  if (rc != 0 || !p.trains() || opt.until == "data") {
    if (opt.json) os << all.dump(2) << "\n";
    return rc;
  }
  std::string train_hash;
  rc = train_stage(p, data_hash, opt, os, all, train_hash);
  std::string optimize_hash;
  if (rc == 0 && p.optimize_enabled && opt.until != "train") rc = optimize_stage(p, train_hash, opt, os, all, optimize_hash);
  std::string deploy_hash;
  if (rc == 0 && p.deploy_enabled && opt.until != "train" && opt.until != "optimize")
    rc = deploy_stage(p, optimize_hash, opt, os, all, deploy_hash);
  if (rc == 0 && p.deploy_enabled && p.act.enabled() && opt.until != "train" && opt.until != "optimize" &&
      opt.until != "deploy")
    rc = simulate_stage(p, deploy_hash, opt, os, all);
  if (opt.json) os << all.dump(2) << "\n";
  return rc;
}

// Runs the data stage unless it is fresh; `hash` receives the hash of its inputs (read
// once: the train stage's hash builds on it).
int data_stage(const Project& p, const BuildOptions& opt, std::ostream& os, json& all, std::string& hash) {
  const fs::path dir = p.build_dir / "data";
  const fs::path stamp = dir / ".inputs-hash";
  hash = data_stage_hash(p);
  if (stage_fresh(dir, hash, {"train.tds", "validation.tds", "test.tds", "report.txt", "report.json"},
                  opt.force)) {
    all["data"] = json::parse(read_file(dir / "report.json"));
    all["data"]["up_to_date"] = true;
    if (!opt.json) {
      fmt::print(os, "[data] up to date (inputs unchanged, hash {}); nothing to do\n", hash);
      fmt::print(os, "[data] outputs in {}\n", dir.string());
    }
    return 0;
  }
  if (!opt.json) fmt::print(os, "[data] project '{}': running the data stage\n", p.name);
  DataStageResult r = run_data_stage(p);
  r.report_json["inputs_hash"] = hash;
  r.report_json["up_to_date"] = false;

  // Publish every output together; the hash stamp last, so an interrupted build re-runs.
  AtomicOutputs outs;
  for (std::size_t k = 0; k < 3; ++k)
    outs.add(dir / fmt::format("{}.tds", data::kPartNames[k]), data::serialize(r.parts[k]));
  if (r.cleaned.rows() > 0)
    outs.add_stream(dir / "cleaned.csv", [&](const Sink& sink) { data::write_csv(r.cleaned, sink); });
  outs.add(dir / "normalization.json", r.parts[0].norm.json().dump(2) + "\n");
  outs.add(dir / "report.txt", r.report);
  outs.add(dir / "report.json", r.report_json.dump(2) + "\n");
  outs.commit();
  write_file_atomic(stamp, hash);

  all["data"] = r.report_json;
  if (!opt.json) {
    print_tagged(os, "data", r.report);
    fmt::print(os, "[data] wrote train.tds, validation.tds, test.tds, {}normalization.json and report.txt/.json to {}\n",
               r.cleaned.rows() > 0 ? "cleaned.csv, " : "", dir.string());
  }
  return 0;
}

}  // namespace tinyml
