#include "tinyml/data/table.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "tinyml/error.hpp"

namespace tinyml::data {

std::string_view to_string(ColumnType t) {
  switch (t) {
    case ColumnType::Number: return "number";
    case ColumnType::Integer: return "integer";
    case ColumnType::Categorical: return "categorical";
    case ColumnType::Timestamp: return "timestamp";
  }
  return "?";
}

std::string_view to_string(TimeFormat f) {
  switch (f) {
    case TimeFormat::Auto: return "auto";
    case TimeFormat::Iso8601: return "iso8601";
    case TimeFormat::EpochSeconds: return "epoch_s";
    case TimeFormat::EpochMillis: return "epoch_ms";
    case TimeFormat::Index: return "index";
  }
  return "?";
}

TimeFormat parse_time_format(std::string_view s) {
  for (auto f : {TimeFormat::Auto, TimeFormat::Iso8601, TimeFormat::EpochSeconds,
                 TimeFormat::EpochMillis, TimeFormat::Index})
    if (s == to_string(f)) return f;
  throw std::invalid_argument("expected one of auto, iso8601, epoch_s, epoch_ms, index");
}

std::size_t Column::missing_count() const {
  return static_cast<std::size_t>(
      std::count_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }));
}

std::string Column::text(std::size_t row) const { return cell_text(*this, values[row]); }

std::string cell_text(const Column& c, double v) {
  if (std::isnan(v)) return {};
  const auto& categories = c.categories;
  const auto time_format = c.time_format;
  const auto index_period_s = c.index_period_s;
  const auto iso_has_zone = c.iso_has_zone;
  switch (c.type) {
    case ColumnType::Categorical: return categories.at(static_cast<std::size_t>(v));
    case ColumnType::Integer: return fmt::format("{}", static_cast<long long>(v));
    case ColumnType::Timestamp:
      switch (time_format) {
        case TimeFormat::Iso8601: return format_iso8601(v, iso_has_zone);
        case TimeFormat::EpochMillis: {
          double ms = std::round(v * 1000.0);
          return fmt::format("{}", static_cast<long long>(ms));
        }
        case TimeFormat::Index: {
          double idx = v / index_period_s;
          if (idx == std::round(idx)) return fmt::format("{}", static_cast<long long>(idx));
          return fmt::format("{}", idx);
        }
        default: break;
      }
      [[fallthrough]];
    case ColumnType::Number:
      if (v == std::round(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
      return fmt::format("{}", v);
  }
  return {};
}

int Table::find(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string Table::column_list() const {
  std::string s;
  for (const auto& c : columns) {
    if (!s.empty()) s += ", ";
    s += c.name;
  }
  return s;
}

int Table::index_of(std::string_view name) const {
  int i = find(name);
  if (i < 0) input_error("{}: no column '{}' (columns: {})", source, name, column_list());
  return i;
}

const Column& Table::at(std::string_view name) const { return columns[index_of(name)]; }
Column& Table::at(std::string_view name) { return columns[index_of(name)]; }

Table take_rows(const Table& t, std::span<const std::size_t> rows) {
  Table out;
  out.source = t.source;
  out.time_column = t.time_column;
  out.columns.reserve(t.columns.size());
  for (const auto& c : t.columns) {
    Column nc;
    nc.name = c.name;
    nc.type = c.type;
    nc.categories = c.categories;
    nc.time_format = c.time_format;
    nc.index_period_s = c.index_period_s;
    nc.iso_has_zone = c.iso_has_zone;
    nc.values.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) nc.values[i] = c.values[rows[i]];
    out.columns.push_back(std::move(nc));
  }
  return out;
}

std::vector<std::size_t> order_by_group_time(const Table& t, int group_col, int time_col) {
  std::vector<std::size_t> idx(t.rows());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  const std::vector<double>* g = group_col >= 0 ? &t.columns[group_col].values : nullptr;
  const std::vector<double>* tm = time_col >= 0 ? &t.columns[time_col].values : nullptr;
  // NaN sorts last in both keys; stable sort keeps the file order among equals.
  auto key_less = [](double a, double b) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a < b;
  };
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (g) {
      double ga = (*g)[a], gb = (*g)[b];
      if (key_less(ga, gb)) return true;
      if (key_less(gb, ga)) return false;
    }
    if (tm) return key_less((*tm)[a], (*tm)[b]);
    return false;
  });
  return idx;
}

// Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian calendar).
static long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long mp = (m + 9) % 12;
  const long long doy = (153 * mp + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const long long doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  y += m <= 2 ? 1 : 0;
}

std::string format_iso8601(double seconds, bool with_zone) {
  double whole = std::floor(seconds);
  long long ms = std::llround((seconds - whole) * 1000.0);
  long long s = static_cast<long long>(whole);
  if (ms == 1000) {
    ++s;
    ms = 0;
  }
  long long days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
  long long sod = s - days * 86400;
  long long y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, sod / 3600,
                                (sod / 60) % 60, sod % 60);
  if (ms != 0) out += fmt::format(".{:03}", ms);
  if (with_zone) out += 'Z';
  return out;
}

static bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool parse_iso8601(std::string_view s, double& seconds, bool& has_zone) {
  int y, mo, d, hh = 0, mi = 0, ss = 0;
  double frac = 0;
  has_zone = false;
  // ISO 8601 basic format dates (YYYYMMDD), as some loggers and archives write them.
  if (s.size() == 8 && digits(s, 0, 4, y) && digits(s, 4, 2, mo) && digits(s, 6, 2, d)) {
    std::string ext = fmt::format("{:04}-{:02}-{:02}", y, mo, d);
    return parse_iso8601(ext, seconds, has_zone);
  }
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDays[mo - 1]) return false;
  std::size_t p = 10;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != ' ') return false;
    ++p;
    if (!digits(s, p, 2, hh) || p + 2 >= s.size() || s[p + 2] != ':' || !digits(s, p + 3, 2, mi))
      return false;
    p += 5;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, ss)) return false;
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        double scale = 0.1;
        std::size_t start = p;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          frac += (s[p] - '0') * scale;
          scale *= 0.1;
          ++p;
        }
        if (p == start) return false;
      }
    }
    if (hh > 23 || mi > 59 || ss > 60) return false;
    if (p < s.size()) {
      if (s[p] == 'Z' && p + 1 == s.size()) {
        has_zone = true;
      } else if (s[p] == '+' || s[p] == '-') {
        int oh, om = 0;
        int sign = s[p] == '+' ? 1 : -1;
        if (!digits(s, p + 1, 2, oh)) return false;
        std::size_t q = p + 3;
        if (q < s.size() && s[q] == ':') ++q;
        if (q < s.size()) {
          if (!digits(s, q, 2, om) || q + 2 != s.size()) return false;
        } else if (q != s.size()) {
          return false;
        }
        has_zone = true;
        frac -= sign * (oh * 3600 + om * 60);
      } else {
        return false;
      }
    }
  }
  long long days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  seconds = static_cast<double>(days * 86400 + hh * 3600 + mi * 60 + ss) + frac;
  return true;
}

}  // namespace tinyml::data
