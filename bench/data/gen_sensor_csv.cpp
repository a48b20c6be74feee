// gen_sensor_csv: writes the deterministic sensor-log CSV used by the data-stage benchmark.
//
//   gen_sensor_csv OUT.csv [--rows N] [--seed S] [--missing F] [--duplicates F]
//
// Defaults: 1,000,000 rows (duplicates included), 5% of the sensor cells empty, 2% of the
// rows exact copies of the row before them, a fixed seed. Prints one line of counts
// ("rows=... distinct_rows=... duplicate_rows=... missing_cells=... bytes=...") on stdout.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "sensor_gen.hpp"

namespace {

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "gen_sensor_csv: %s\n"
               "usage: gen_sensor_csv OUT.csv [--rows N] [--seed S] [--missing F] [--duplicates F]\n",
               msg);
  std::exit(2);
}

std::uint64_t parse_u64(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 0);
  if (errno || end == s || *end) usage((std::string("bad number for ") + what).c_str());
  return v;
}

double parse_share(const char* s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end || !(v >= 0.0 && v < 1.0))
    usage((std::string(what) + " must be a share in [0, 1)").c_str());
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  tinyml_bench::SensorCsvOptions opt;
  const char* out_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage((std::string(a) + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--rows")
      opt.rows = parse_u64(value(), "--rows");
    else if (a == "--seed")
      opt.seed = parse_u64(value(), "--seed");
    else if (a == "--missing")
      opt.missing = parse_share(value(), "--missing");
    else if (a == "--duplicates")
      opt.duplicates = parse_share(value(), "--duplicates");
    else if (a == "-h" || a == "--help")
      usage("help");
    else if (!a.empty() && a[0] == '-')
      usage((std::string("unknown option ") + argv[i]).c_str());
    else if (!out_path)
      out_path = argv[i];
    else
      usage("only one output file");
  }
  if (!out_path) usage("no output file given");
  if (opt.rows == 0) usage("--rows must be positive");

  std::FILE* f = std::fopen(out_path, "wb");
  if (!f) {
    std::fprintf(stderr, "gen_sensor_csv: cannot write %s: %s\n", out_path, std::strerror(errno));
    return 1;
  }
  bool ok = true;
  auto st = tinyml_bench::generate_sensor_csv(opt, [&](std::string_view chunk) {
    if (ok && std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size()) ok = false;
  });
  if (std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "gen_sensor_csv: write error on %s\n", out_path);
    return 1;
  }
  std::printf("rows=%llu distinct_rows=%llu duplicate_rows=%llu sensor_cells=%llu missing_cells=%llu "
              "bytes=%llu\n",
              static_cast<unsigned long long>(st.rows),
              static_cast<unsigned long long>(st.distinct_rows),
              static_cast<unsigned long long>(st.duplicate_rows),
              static_cast<unsigned long long>(st.sensor_cells),
              static_cast<unsigned long long>(st.missing_cells),
              static_cast<unsigned long long>(st.bytes));
  return 0;
}
