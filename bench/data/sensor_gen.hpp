// A deterministic generator of sensor-log CSV text for the data-stage benchmarks.
//
// The output depends only on the options: the random numbers come from SplitMix64 (not
// from <random>'s distributions, whose algorithms differ between standard libraries), the
// signals use only + - * / and floor (exact in IEEE arithmetic; no libm sin/log, whose last
// bit may differ between versions), and values are printed from integers in fixed point.
//
// Layout: a `time` column in epoch seconds, one row per second, then seven sensor columns.
// A given share of the sensor cells is empty, and a given share of the rows are exact
// copies of the row just before them (same time, same text), so time never decreases.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tinyml_bench {

// SplitMix64 (Steele, Lea and Flood): a 64-bit state, one add and a few xor-shift-multiply
// rounds per number.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  // Roughly normal with mean 0 and standard deviation 1: the Irwin-Hall sum of four
  // uniforms, centred and scaled by sqrt(3).
  double normalish() {
    double s = uniform() + uniform() + uniform() + uniform();
    return (s - 2.0) * 1.7320508075688772;
  }

 private:
  std::uint64_t state_;
};

// sin(2 pi turns), by Bhaskara I's rational approximation (error below 0.002): smooth
// enough for a test signal and the same on every machine.
inline double approx_sin_turns(double turns) {
  double f = turns - std::floor(turns);  // [0, 1)
  double sign = 1.0;
  if (f >= 0.5) {
    f -= 0.5;
    sign = -1.0;
  }
  double y = 2.0 * f;  // [0, 1): a half turn
  double a = y * (1.0 - y);
  return sign * 16.0 * a / (5.0 - 4.0 * a);
}

struct SensorChannel {
  const char* name;
  int decimals;
  double base;
  double slow_amp, slow_period_s, slow_phase;  // a daily-ish cycle
  double fast_amp, fast_period_s, fast_phase;  // a faster ripple
  double noise_sd;                             // white noise
  double walk_sd;                              // a slow random walk (drift)
};

inline constexpr SensorChannel kSensorChannels[] = {
    {"temperature_c", 3, 21.0, 4.0, 86400.0, 0.10, 0.5, 3600.0, 0.30, 0.05, 0.002},
    {"humidity_pct", 2, 45.0, 10.0, 86400.0, 0.60, 2.0, 5400.0, 0.10, 0.30, 0.01},
    {"pressure_hpa", 2, 1013.25, 3.0, 604800.0, 0.20, 0.4, 10800.0, 0.70, 0.05, 0.003},
    {"accel_x_g", 4, 0.0, 0.20, 13.0, 0.00, 0.05, 2.7, 0.20, 0.01, 0.0005},
    {"accel_y_g", 4, 0.0, 0.15, 17.0, 0.25, 0.04, 3.1, 0.40, 0.01, 0.0005},
    {"accel_z_g", 4, 1.0, 0.05, 29.0, 0.50, 0.02, 1.9, 0.60, 0.01, 0.0005},
    {"light_lux", 1, 300.0, 250.0, 86400.0, 0.75, 20.0, 900.0, 0.80, 5.00, 0.2},
};
inline constexpr std::size_t kSensorCount = sizeof(kSensorChannels) / sizeof(kSensorChannels[0]);

struct SensorCsvOptions {
  std::uint64_t rows = 1'000'000;  // total, duplicates included
  std::uint64_t seed = 0x7E57DA7A2024ULL;
  double missing = 0.05;     // share of sensor cells left empty (of the distinct rows)
  double duplicates = 0.02;  // share of all rows that copy the row before them
  std::int64_t start_time = 1'700'000'000;  // epoch seconds of the first row
};

struct SensorCsvStats {
  std::uint64_t rows = 0, distinct_rows = 0, duplicate_rows = 0;
  std::uint64_t sensor_cells = 0, missing_cells = 0;  // over all rows written
  std::uint64_t bytes = 0;
};

namespace detail {

// Appends v rounded to `decimals` places ("-12.340"), from a fixed-point integer.
inline void append_fixed(std::string& out, double v, int decimals) {
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  std::int64_t q = std::llround(v * static_cast<double>(scale));
  if (q < 0) {
    out.push_back('-');
    q = -q;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, q / scale);
  out.append(buf, r.ptr);
  if (decimals > 0) {
    out.push_back('.');
    std::int64_t frac = q % scale;
    char digits[20];
    for (int i = decimals - 1; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    out.append(digits, static_cast<std::size_t>(decimals));
  }
}

}  // namespace detail

// Generates the CSV and hands it to `sink(std::string_view chunk)` in pieces of about
// 1 MiB. Returns counts of what was written.
template <typename Sink>
SensorCsvStats generate_sensor_csv(const SensorCsvOptions& opt, Sink&& sink) {
  SensorCsvStats st;
  const std::uint64_t dups = static_cast<std::uint64_t>(
      std::llround(opt.duplicates * static_cast<double>(opt.rows)));
  const std::uint64_t distinct = opt.rows - (dups <= opt.rows / 2 ? dups : opt.rows / 2);
  const std::uint64_t dup_target = opt.rows - distinct;
  const std::uint64_t cells = distinct * kSensorCount;
  const std::uint64_t missing_target = static_cast<std::uint64_t>(
      std::llround(opt.missing * static_cast<double>(cells)));

  // Independent streams, so that changing one share does not move the others.
  SplitMix64 noise_rng(opt.seed), hole_rng(opt.seed ^ 0xA5A5A5A5A5A5A5A5ULL),
      dup_rng(opt.seed ^ 0x5A5A5A5A5A5A5A5AULL);
  double drift[kSensorCount] = {};

  std::string buf;
  buf.reserve(1 << 21);
  auto flush = [&](bool force) {
    if (buf.size() >= (1u << 20) || (force && !buf.empty())) {
      st.bytes += buf.size();
      sink(std::string_view(buf));
      buf.clear();
    }
  };

  buf += "time";
  for (const auto& ch : kSensorChannels) {
    buf.push_back(',');
    buf += ch.name;
  }
  buf.push_back('\n');

  // Selection sampling (Knuth's algorithm S): exactly `missing_target` holes among the
  // cells and exactly `dup_target` duplicated rows, spread uniformly.
  std::uint64_t cells_left = cells, holes_left = missing_target;
  std::uint64_t rows_left = distinct, dups_left = dup_target;
  for (std::uint64_t i = 0; i < distinct; ++i) {
    const std::size_t line_start = buf.size();
    std::uint64_t row_holes = 0;
    const double t = static_cast<double>(i);
    char tbuf[24];
    auto tr = std::to_chars(tbuf, tbuf + sizeof tbuf, opt.start_time + static_cast<std::int64_t>(i));
    buf.append(tbuf, tr.ptr);
    for (std::size_t c = 0; c < kSensorCount; ++c) {
      const SensorChannel& ch = kSensorChannels[c];
      drift[c] = 0.999 * drift[c] + ch.walk_sd * noise_rng.normalish();
      double v = ch.base + ch.slow_amp * approx_sin_turns(t / ch.slow_period_s + ch.slow_phase) +
                 ch.fast_amp * approx_sin_turns(t / ch.fast_period_s + ch.fast_phase) + drift[c] +
                 ch.noise_sd * noise_rng.normalish();
      buf.push_back(',');
      bool hole = hole_rng.uniform() * static_cast<double>(cells_left) <
                  static_cast<double>(holes_left);
      --cells_left;
      if (hole) {
        --holes_left;
        ++row_holes;
        ++st.missing_cells;
      } else {
        detail::append_fixed(buf, v, ch.decimals);
      }
    }
    buf.push_back('\n');
    ++st.rows;
    bool dup = dup_rng.uniform() * static_cast<double>(rows_left) < static_cast<double>(dups_left);
    --rows_left;
    if (dup) {
      --dups_left;
      const std::string line = buf.substr(line_start);
      buf += line;
      st.missing_cells += row_holes;
      ++st.rows;
      ++st.duplicate_rows;
    }
    flush(false);
  }
  flush(true);
  st.distinct_rows = distinct;
  st.sensor_cells = st.rows * kSensorCount;
  return st;
}

}  // namespace tinyml_bench
