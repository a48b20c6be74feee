#include <filesystem>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "tinyml/data/csv.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/pipeline.hpp"
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

int build(const Project& p, const BuildOptions& opt, std::ostream& os) {
  const fs::path dir = p.build_dir / "data";
  const fs::path stamp = dir / ".inputs-hash";
  const std::string hash = data_stage_hash(p);
  const char* outputs[] = {"train.tds", "validation.tds", "test.tds", "report.txt", "report.json"};
  bool fresh = !opt.force && fs::exists(stamp);
  for (const char* o : outputs) fresh = fresh && fs::exists(dir / o);
  if (fresh && read_file(stamp) == hash) {
    if (opt.json) {
      json j = json::parse(read_file(dir / "report.json"));
      j["up_to_date"] = true;
      os << j.dump(2) << "\n";
    } else {
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

  if (opt.json) {
    os << r.report_json.dump(2) << "\n";
  } else {
    std::string rep = r.report;
    for (std::size_t a = 0, b; a < rep.size(); a = b + 1) {
      b = rep.find('\n', a);
      fmt::print(os, "[data] {}\n", rep.substr(a, b - a));
    }
    fmt::print(os, "[data] wrote train.tds, validation.tds, test.tds, {}normalization.json and report.txt/.json to {}\n",
               r.cleaned.rows() > 0 ? "cleaned.csv, " : "", dir.string());
  }
  return 0;
}

}  // namespace tinyml
