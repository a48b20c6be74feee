// The deploy stage: the int8 model becomes generated code (tinyml export), which is then
// verified byte for byte against the host on the targets [deploy] names, and measured
// against the [target] board's budget.
#include <algorithm>

#include <fmt/format.h>

#include "tinyml/deploy/boards.hpp"
#include "tinyml/deploy/bundle.hpp"
#include "tinyml/deploy/verify.hpp"
#include "tinyml/error.hpp"
#include "tinyml/format.hpp"
#include "tinyml/io.hpp"
#include "tinyml/pipeline.hpp"

namespace tinyml {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The budget lines and whether the model fits.
bool check_budget(const Project& p, const deploy::VerifyResult& r, std::string& report, json& j) {
  const auto& g = p.target;
  const std::uint64_t weights = r.exported.weight_bytes, flash = deploy::model_flash(r);
  const std::uint64_t code = flash > weights ? flash - weights : 0;
  const std::uint64_t arena = r.exported.plan.arena_bytes, stack = r.stack_bytes, ram = deploy::model_ram(r);
  const std::uint64_t other = ram - stack - std::min<std::uint64_t>(arena, ram - stack);
  const std::uint64_t flash_limit = static_cast<std::uint64_t>(g.flash_kb * 1024);
  const std::uint64_t ram_limit = static_cast<std::uint64_t>(g.ram_kb * 1024);
  std::string who = g.board.empty() ? g.core : fmt::format("{} ({})", g.board, deploy::find_board(g.board).mcu);
  report += fmt::format("budget of {}, measured on the emulated {}:\n", who, g.core);
  auto limit = [](std::uint64_t used, std::uint64_t lim) {
    return lim ? fmt::format(" of {} ({:.1f}%)", with_commas(lim), 100.0 * static_cast<double>(used) / static_cast<double>(lim))
               : std::string(" (no limit)");
  };
  report += fmt::format("  flash {} B{}: weights and constants {} + code {}\n", with_commas(flash), limit(flash, flash_limit),
                        with_commas(weights), with_commas(code));
  report += fmt::format("  RAM   {} B{}: arena {} + other data {} + stack {}\n", with_commas(ram), limit(ram, ram_limit),
                        with_commas(arena), with_commas(other), with_commas(stack));
  std::vector<std::string> over;
  if (flash_limit && flash > flash_limit) over.push_back(fmt::format("flash {} B > {} B", with_commas(flash), with_commas(flash_limit)));
  if (ram_limit && ram > ram_limit) over.push_back(fmt::format("RAM {} B > {} B", with_commas(ram), with_commas(ram_limit)));
  j = {{"core", g.core},       {"board", g.board},         {"flash_bytes", flash}, {"flash_limit", flash_limit},
       {"weights", weights},   {"code", code},             {"ram_bytes", ram},     {"ram_limit", ram_limit},
       {"arena", arena},       {"other_ram", other},       {"stack", stack}};
  if (g.clock_mhz > 0 && r.instructions) {
    const double ms = static_cast<double>(*r.instructions) / (g.clock_mhz * 1e3);
    report += fmt::format("  latency about {:.3f} ms per inference ({} instructions at {:g} MHz, one per cycle){}\n", ms,
                          with_commas(*r.instructions), g.clock_mhz,
                          g.latency_ms > 0 ? fmt::format(" of {:g} ms", g.latency_ms) : std::string());
    j["latency_ms"] = ms;
    if (g.latency_ms > 0 && ms > g.latency_ms) over.push_back(fmt::format("latency {:.3f} ms > {:g} ms", ms, g.latency_ms));
  }
  j["fits"] = over.empty();
  if (over.empty()) {
    report += "  fits\n";
  } else {
    report += fmt::format("  DOES NOT FIT: {}\n", fmt::join(over, "; "));
  }
  return over.empty();
}

}  // namespace

DeployStageResult run_deploy_stage(const Project& p, const fs::path& data_dir, const fs::path& optimize_dir,
                                   const fs::path& out_dir, std::ostream& os) {
  DeployStageResult r;
  const fs::path model_path = optimize_dir / "model.tmq";
  const optimize::Int8File f = optimize::deserialize_int8(read_file(model_path), model_path.string());
  const data::Dataset test = data::load_dataset(data_dir / "test.tds");
  std::vector<std::string> targets;
  for (const auto& t : p.deploy.verify) {
    if (t == "all") {
      targets.push_back("host");
      for (const auto& n : deploy::target_names()) targets.push_back(n);
    } else {
      targets.push_back(t);
    }
  }
  if (p.target_enabled) targets.push_back(p.target.core);
  std::vector<std::string> unique;
  for (const auto& t : targets)
    if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(t);

  deploy::ExportOptions eo;
  eo.name = p.deploy.name;
  eo.plan.reuse_input = p.deploy.reuse_input;
  eo = with_rules(p, f, eo);
  const fs::path code_dir = out_dir / p.deploy.name;
  r.exported = deploy::export_model(f, code_dir, eo);
  const auto& plan = r.exported.plan;
  deploy::BundleOptions bo;
  bo.self_test_input = data::raw_sample(test, 0);
  const std::string bundle = deploy::make_bundle(f, plan, bo);
  write_file_atomic(out_dir / (p.deploy.name + ".tmb"), bundle);
  r.report += fmt::format("exported \"{}\" to {}: {} operations, {} bytes of weights and constants, kernels: {}\n",
                          p.deploy.name, code_dir.string(), f.model.ops.size(), with_commas(r.exported.weight_bytes),
                          fmt::join(r.exported.runtime_sources, " "));
  r.report += fmt::format("memory plan: arena {} B ({}); greedy by size {} B; no reuse {} B\n", with_commas(plan.arena_bytes),
                          plan.strategy, with_commas(plan.greedy_bytes), with_commas(plan.naive_bytes));
  r.report += fmt::format("bundle for over-the-air updates: {}.tmb, {} B (checked and self-tested by the runtime)\n",
                          p.deploy.name, with_commas(bundle.size()));
  os << fmt::format("[deploy] exporting \"{}\" to {}\n", p.deploy.name, code_dir.string()) << std::flush;
  json rows = json::array();
  for (const auto& t : unique) {
    os << fmt::format("[deploy] verifying on {} ...\n", t) << std::flush;
    deploy::VerifyOptions vo;
    vo.target = t;
    vo.samples = t == "host" ? 0 : p.deploy.samples;
    vo.work_dir = out_dir / "verify" / t;
    vo.export_options = eo;
    r.verified.push_back(deploy::verify(f, test, vo));
    r.identical = r.identical && r.verified.back().ok();
    rows.push_back(deploy::verify_json(r.verified.back()));
  }
  r.report += "verify: the generated code against the host's int8 run on the test split\n";
  r.report += deploy::verify_table(r.verified);
  r.report += r.identical ? "every output byte matches the host's int8 run\n"
                          : "MISMATCH: the generated code differs from the host's int8 run\n";
  r.report_json = {{"name", p.deploy.name},
                   {"folder", code_dir.string()},
                   {"files", r.exported.files},
                   {"runtime_sources", r.exported.runtime_sources},
                   {"const_bytes", r.exported.weight_bytes},
                   {"plan",
                    {{"arena_bytes", plan.arena_bytes},
                     {"greedy_bytes", plan.greedy_bytes},
                     {"naive_bytes", plan.naive_bytes},
                     {"strategy", plan.strategy}}},
                   {"bundle", {{"file", p.deploy.name + ".tmb"}, {"bytes", bundle.size()}}},
                   {"verify", rows},
                   {"identical", r.identical}};
  if (p.target_enabled) {
    const auto it = std::find(unique.begin(), unique.end(), p.target.core);
    const deploy::VerifyResult& v = r.verified[static_cast<std::size_t>(it - unique.begin())];
    json b;
    r.fits = check_budget(p, v, r.report, b);
    r.report_json["budget"] = b;
  }
  return r;
}

}  // namespace tinyml
