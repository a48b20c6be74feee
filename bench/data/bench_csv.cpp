// Micro-benchmarks of the data stage's hot paths on the benchmark's sensor CSV (generated
// in memory, 100,000 rows by default): CSV parse, cleaning (dedupe + interpolate), z-score,
// CSV write. Throughput is reported in bytes of CSV text per second where that applies.
//
//   build/release/bench/bench_csv [--benchmark_filter=Parse] [google benchmark flags]
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "sensor_gen.hpp"
#include "tinyml/data/clean.hpp"
#include "tinyml/data/csv.hpp"

namespace {

const std::string& sensor_text(std::uint64_t rows) {
  static std::uint64_t cached_rows = 0;
  static std::string text;
  if (cached_rows != rows) {
    text.clear();
    tinyml_bench::SensorCsvOptions opt;
    opt.rows = rows;
    tinyml_bench::generate_sensor_csv(opt, [](std::string_view chunk) { text.append(chunk); });
    cached_rows = rows;
  }
  return text;
}

tinyml::data::Table sensor_table(std::uint64_t rows) {
  return tinyml::data::parse_csv(sensor_text(rows), "sensor.csv");
}

tinyml::data::CleanOptions interpolate_options() {
  tinyml::data::CleanOptions o;
  o.missing_default.method = tinyml::data::MissingMethod::Interpolate;
  return o;
}

void BM_ParseCsv(benchmark::State& state) {
  const std::string& text = sensor_text(static_cast<std::uint64_t>(state.range(0)));
  for (auto _ : state) {
    auto t = tinyml::data::parse_csv(text, "sensor.csv");
    benchmark::DoNotOptimize(t.columns.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ParseCsv)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_Clean(benchmark::State& state) {
  const auto in = sensor_table(static_cast<std::uint64_t>(state.range(0)));
  const auto opt = interpolate_options();
  for (auto _ : state) {
    tinyml::data::CleanReport rep;
    auto t = tinyml::data::clean(in, opt, rep);
    benchmark::DoNotOptimize(t.columns.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Clean)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_NormalizeZscore(benchmark::State& state) {
  const auto in = sensor_table(static_cast<std::uint64_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    auto t = in;
    state.ResumeTiming();
    auto n = tinyml::data::normalize_table(t, "zscore", {});
    benchmark::DoNotOptimize(n.scale.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_NormalizeZscore)->Arg(100'000)->Unit(benchmark::kMillisecond);

// Writes the table as the benchmark job does: after z-scoring, so that most cells print
// with the full 15-17 significant digits.
void BM_WriteCsv(benchmark::State& state) {
  auto t = sensor_table(static_cast<std::uint64_t>(state.range(0)));
  tinyml::data::CleanReport rep;
  t = tinyml::data::clean(t, interpolate_options(), rep);
  tinyml::data::normalize_table(t, "zscore", {});
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string s = tinyml::data::write_csv(t);
    bytes = s.size();
    benchmark::DoNotOptimize(s.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(t.rows()));
}
BENCHMARK(BM_WriteCsv)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
