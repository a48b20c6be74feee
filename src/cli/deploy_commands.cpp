// `tinyml export` and `tinyml verify`: the deploy stage's commands.
#include "deploy_commands.hpp"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tinyml/data/dataset.hpp"
#include "tinyml/deploy/bundle.hpp"
#include "tinyml/deploy/export.hpp"
#include "tinyml/deploy/verify.hpp"
#include "tinyml/error.hpp"
#include "tinyml/format.hpp"
#include "tinyml/io.hpp"

namespace tinyml::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

optimize::Int8File load_int8(const std::string& path) {
  const std::string bytes = read_file(path);
  if (!optimize::is_int8_model(bytes))
    input_error("{} is not an int8 model (.tmq); run the optimize stage (tinyml optimize PROJECT.toml) first", path);
  return optimize::deserialize_int8(bytes, path);
}

json plan_json(const deploy::MemoryPlan& p) {
  return {{"arena_bytes", p.arena_bytes}, {"greedy_bytes", p.greedy_bytes}, {"naive_bytes", p.naive_bytes},
          {"strategy", p.strategy}};
}

}  // namespace

void DeployCommands::add(CLI::App& app) {
  export_cmd = app.add_subcommand(
      "export",
      "Generate C++ for the device from an int8 model (.tmq): a folder with <name>.h (a C API:\n"
      "init, set_input with raw sensor readings, invoke, output, class names, arena size),\n"
      "<name>.cpp (const weights and the kernel calls with precomputed parameters, no\n"
      "interpreter), the runtime kernels the model needs, and build files for CMake\n"
      "(CMakeLists.txt), make (<name>.mk) and Arduino (library.properties, src/). Activations\n"
      "live in one arena whose size is the memory plan's peak, printed next to a greedy-by-size\n"
      "plan and the no-reuse sum. --bundle writes the same model as a bundle for the runtime's\n"
      "interpreter and its two-slot over-the-air updates.\n"
      "Example: tinyml export build/optimize/model.tmq --out build/deploy/model\n"
      "Example: tinyml export build/optimize/model.tmq --bundle model.tmb --model-version 3");
  export_cmd->add_option("model", model, "The int8 model (.tmq) from the optimize stage")
      ->required()
      ->check(CLI::ExistingFile);
  export_cmd->add_option("--out", out, "The folder to write (created or replaced file by file)");
  export_cmd->add_option("--bundle", bundle,
                         "Also (or only) write the model bundle for over-the-air updates: the graph, weights and "
                         "a self-test in one checked binary the runtime's interpreter loads (docs/bundle.md)");
  export_cmd->add_option("--model-version", model_version, "With --bundle: the version number the device reports");
  export_cmd->add_option("--name", name, "C identifier naming the files and prefixing every symbol")
      ->capture_default_str();
  export_cmd->add_option("--target", export_target,
                         "The core the code is for (" + fmt::format("{}", fmt::join(deploy::target_names(), ", ")) +
                             "); the code is the same for every core, the compiler picks the fast paths")
      ->check(CLI::IsMember(deploy::target_names()));
  export_cmd->add_flag("--reuse-input", reuse_input,
                       "Let the memory plan overwrite the input tensor once it is consumed (smaller arena)");
  export_cmd->add_flag("--json", json_out, "Print machine-readable JSON");

  std::vector<std::string> all = deploy::target_names();
  all.insert(all.begin(), "host");
  verify_cmd = app.add_subcommand(
      "verify",
      "Prove the generated code computes what the host computes: export the int8 model,\n"
      "build it with test inputs (raw readings from a dataset) and compare every output\n"
      "byte with the host's int8 run. --target host builds with the host compiler and runs\n"
      "every sample; an emulated core (QEMU) runs --samples inputs and also reports flash,\n"
      "RAM, stack and instructions per inference. The arena is exactly the memory plan's\n"
      "size, with a guard region after it that must stay untouched. Exit status 1 when any\n"
      "byte differs.\n"
      "Example: tinyml verify build/optimize/model.tmq build/data/test.tds --target cortex-m4");
  verify_cmd->add_option("model", model, "The int8 model (.tmq)")->required()->check(CLI::ExistingFile);
  verify_cmd->add_option("dataset", dataset, "Test samples (.tds) from the data stage")->required()->check(CLI::ExistingFile);
  verify_cmd->add_option("--target", targets, "host or an emulated core (repeatable; 'all' for every one)")
      ->check(CLI::IsMember([&] {
        auto v = all;
        v.push_back("all");
        return v;
      }()));
  verify_cmd->add_option("--samples", samples, "Inputs to compare (default: all on host, 50 on a core)");
  verify_cmd->add_option("--work-dir", work_dir, "Where the generated folder and test programs go (default: beside the model)");
  verify_cmd->add_flag("--speed", speed,
                       "Compile the firmware for speed (-O2) instead of size (-Os, the default); the host check "
                       "is always -O2");
  verify_cmd->add_flag("--json", json_out, "Print machine-readable JSON");
}

int DeployCommands::run_export() {
  if (out.empty() && bundle.empty()) input_error("export: give --out DIR (generated code), --bundle FILE, or both");
  optimize::Int8File f = load_int8(model);
  deploy::ExportOptions o;
  o.name = name;
  o.plan.reuse_input = reuse_input;
  std::size_t bundle_bytes = 0;
  if (!bundle.empty()) {
    deploy::BundleOptions bo;
    bo.model_version = model_version;
    const std::string b = deploy::make_bundle(f, deploy::plan_memory(f.model, o.plan), bo);
    write_file_atomic(bundle, b);
    bundle_bytes = b.size();
    if (out.empty()) {
      if (json_out)
        std::cout << json{{"model", model}, {"bundle", bundle}, {"bundle_bytes", bundle_bytes}}.dump(2) << "\n";
      else
        std::cout << fmt::format("wrote {}: the model bundle, {} bytes (model version {})\n", bundle,
                                 with_commas(bundle_bytes), model_version);
      return 0;
    }
  }
  deploy::ExportResult r = deploy::export_model(f, out, o);
  if (json_out) {
    json j = {{"model", model},
              {"out", out},
              {"name", name},
              {"files", r.files},
              {"runtime_sources", r.runtime_sources},
              {"const_bytes", r.weight_bytes},
              {"plan", plan_json(r.plan)}};
    if (!export_target.empty()) j["target"] = export_target;
    if (!bundle.empty()) j["bundle"] = {{"path", bundle}, {"bytes", bundle_bytes}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{}: {} operations, {} bytes of constant data (weights, biases, requantization)\n", model,
                           f.model.ops.size(), with_commas(r.weight_bytes));
  std::cout << fmt::format("memory plan: arena {} bytes ({}); greedy by size {}; no reuse {}\n",
                           with_commas(r.plan.arena_bytes), r.plan.strategy, with_commas(r.plan.greedy_bytes),
                           with_commas(r.plan.naive_bytes));
  std::cout << fmt::format("wrote {}: src/{}.h, src/{}.cpp, {} runtime sources ({}), CMakeLists.txt, {}.mk, "
                           "library.properties, README.md\n",
                           out, name, name, r.runtime_sources.size(), fmt::join(r.runtime_sources, " "), name);
  if (!bundle.empty())
    std::cout << fmt::format("wrote {}: the model bundle, {} bytes (model version {})\n", bundle,
                             with_commas(bundle_bytes), model_version);
  return 0;
}

int DeployCommands::run_verify() {
  optimize::Int8File f = load_int8(model);
  data::Dataset d = data::load_dataset(dataset);
  std::vector<std::string> list = targets.empty() ? std::vector<std::string>{"host"} : targets;
  if (std::find(list.begin(), list.end(), "all") != list.end()) {
    list = deploy::target_names();
    list.insert(list.begin(), "host");
  }
  json rows = json::array();
  bool all_ok = true;
  std::vector<deploy::VerifyResult> results;
  for (const auto& t : list) {
    deploy::VerifyOptions o;
    o.target = t;
    o.samples = samples;
    o.optimisation = speed ? deploy::Optimisation::speed : deploy::Optimisation::size;
    o.work_dir = work_dir.empty() ? fs::path(model).parent_path() / "verify" / t : fs::path(work_dir) / t;
    results.push_back(deploy::verify(f, d, o));
    all_ok = all_ok && results.back().ok();
    rows.push_back(deploy::verify_json(results.back()));
    if (t != "host") rows.back()["optimisation"] = speed ? "-O2" : "-Os";
  }
  if (json_out) {
    std::cout << json{{"model", model}, {"dataset", dataset}, {"results", rows}, {"ok", all_ok}}.dump(2) << "\n";
  } else {
    std::cout << deploy::verify_table(results);
    std::cout << fmt::format("firmware compiled with {}\n", speed ? "-O2" : "-Os");
    std::cout << (all_ok ? "every output byte matches the host's int8 run\n"
                         : "MISMATCH: the generated code differs from the host's int8 run\n");
  }
  return all_ok ? 0 : 1;
}

}  // namespace tinyml::cli
