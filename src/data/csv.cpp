#include "tinyml/data/csv.hpp"
#include "tinyml/data/sources.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"

namespace tinyml::data {

std::size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Fast path: eight ASCII bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

namespace {

struct Position {
  std::size_t line, column;
};

// Line and column (1-based, column counted in bytes) of a byte offset.
Position position_of(std::string_view text, std::size_t offset) {
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {line, offset - line_start + 1};
}

// Splits CSV text into records. Fields point into the text, or into `owned` when a
// quoted field contained doubled quotes that had to be unescaped.
class Tokenizer {
 public:
  Tokenizer(std::string_view text, std::string_view name, char delim, std::size_t first_line)
      : s_(text), name_(name), d_(delim), line_(first_line), first_line_(first_line) {}

  // Reads the next record; returns false at end of input.
  bool next() {
    fields_.clear();
    offsets_.clear();
    if (p_ >= s_.size()) return false;
    record_line_ = line_;
    record_offset_ = p_;
    used_owned_ = 0;
    for (;;) {
      if (fields_.size() >= kMaxCsvColumns)
        error_at(p_, fmt::format("more than {} fields in one record (is the delimiter right?)",
                                 kMaxCsvColumns));
      offsets_.push_back(p_);
      if (p_ < s_.size() && s_[p_] == '"') {
        read_quoted();
      } else {
        read_plain();
      }
      if (p_ >= s_.size()) return true;
      char c = s_[p_];
      if (c == d_) {
        ++p_;
        if (p_ >= s_.size()) {  // a trailing delimiter at end of file: one more empty field
          offsets_.push_back(p_);
          fields_.emplace_back();
          return true;
        }
        continue;
      }
      if (c == '\r') {
        ++p_;
        if (p_ < s_.size() && s_[p_] == '\n') ++p_;
        ++line_;
        return true;
      }
      if (c == '\n') {
        ++p_;
        ++line_;
        return true;
      }
      error_at(p_, fmt::format("unexpected character '{}' after a quoted field", c));
    }
  }

  const std::vector<std::string_view>& fields() const { return fields_; }
  std::size_t record_line() const { return record_line_; }
  std::size_t field_column(std::size_t i) const {
    return position_of(s_, offsets_[i]).column;  // only computed on error paths
  }
  [[noreturn]] void error_at(std::size_t offset, const std::string& msg) const {
    auto pos = position_of(s_, offset);
    throw InputError(fmt::format("{}:{}:{}: {}", name_, pos.line + first_line_ - 1, pos.column, msg));
  }

 private:
  void read_plain() {
    std::size_t start = p_;
    const char* b = s_.data();
    std::size_t n = s_.size();
    std::size_t i = p_;
    while (i < n) {
      char c = b[i];
      if (c == d_ || c == '\n' || c == '\r') break;
      ++i;
    }
    if (i - start > kMaxCsvFieldBytes)
      error_at(start, fmt::format("field longer than {} bytes (is the delimiter right?)",
                                  kMaxCsvFieldBytes));
    p_ = i;
    std::string_view f = s_.substr(start, i - start);
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t') && f.front() != d_) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t') && f.back() != d_) f.remove_suffix(1);
    fields_.push_back(f);
  }

  void read_quoted() {
    std::size_t open = p_;
    ++p_;
    std::size_t start = p_;
    bool escaped = false;
    const std::size_t n = s_.size();
    for (;;) {
      if (p_ >= n)
        error_at(open, "unterminated quoted field (the closing quote is missing)");
      char c = s_[p_];
      if (c == '"') {
        if (p_ + 1 < n && s_[p_ + 1] == '"') {
          escaped = true;
          p_ += 2;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
      ++p_;
    }
    if (p_ - start > kMaxCsvFieldBytes)
      error_at(open, fmt::format("field longer than {} bytes", kMaxCsvFieldBytes));
    std::string_view raw = s_.substr(start, p_ - start);
    ++p_;  // closing quote
    // Blanks between the closing quote and the delimiter are tolerated.
    while (p_ < n && (s_[p_] == ' ' || s_[p_] == '\t') && s_[p_] != d_) ++p_;
    if (!escaped) {
      fields_.push_back(raw);
      return;
    }
    if (used_owned_ == owned_.size()) owned_.emplace_back();
    std::string& o = owned_[used_owned_++];
    o.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
      o.push_back(raw[i]);
      if (raw[i] == '"') ++i;  // skip the second quote of a doubled pair
    }
    fields_.push_back(o);
  }

  std::string_view s_;
  std::string_view name_;
  char d_;
  std::size_t p_ = 0, line_ = 1, first_line_ = 1, record_line_ = 1, record_offset_ = 0;
  std::vector<std::string_view> fields_;
  std::vector<std::size_t> offsets_;
  std::deque<std::string> owned_;  // deque: growing it keeps earlier fields in place
  std::size_t used_owned_ = 0;
};

bool parse_number(std::string_view f, double& out) {
  if (!f.empty() && f.front() == '+') f.remove_prefix(1);
  if (f.empty()) return false;
  auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
  return ec == std::errc() && ptr == f.data() + f.size() && std::isfinite(out);
}

bool is_time_name(std::string_view n) {
  std::string l(n);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* k : {"time", "timestamp", "epoch", "ts", "datetime", "date", "unix_time",
                        "time_s", "time_ms", "timestamp_ms"})
    if (l == k) return true;
  return false;
}

char detect_delimiter(std::string_view text) {
  std::size_t end = text.find('\n');
  std::string_view first = text.substr(0, end);
  char best = ',';
  std::size_t best_n = 0;
  for (char c : {',', ';', '\t', '|'}) {
    auto n = static_cast<std::size_t>(std::count(first.begin(), first.end(), c));
    if (n > best_n) {
      best = c;
      best_n = n;
    }
  }
  return best;
}

struct ColumnPlan {
  ColumnType type = ColumnType::Number;
  TimeFormat tf = TimeFormat::Auto;
  bool declared = false;  // the type came from the user, not from inference
  std::unordered_map<std::string, int> codes;
};

}  // namespace

Table parse_csv(std::string_view text, std::string_view name, const CsvOptions& opt) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF)
    text.remove_prefix(3);
  if (text.empty()) input_error("{}: empty file (expected a header row and data rows)", name);
  if (std::size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    auto pos = position_of(text, bad);
    input_error("{}:{}:{}: invalid UTF-8 byte 0x{:02X} (save the file as UTF-8)", name, pos.line,
                pos.column, static_cast<unsigned char>(text[bad]));
  }
  const char delim = opt.delimiter ? opt.delimiter : detect_delimiter(text);
  std::size_t skipped_lines = 0;
  for (std::size_t k = 0; k < opt.skip_rows; ++k) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos)
      input_error("{}: skip_rows = {} skips past the end of the file", name, opt.skip_rows);
    text.remove_prefix(nl + 1);
    ++skipped_lines;
  }
  Tokenizer tok(text, name, delim, skipped_lines + 1);

  Table t;
  t.source = std::string(name);
  std::vector<std::string> names;
  if (!tok.next()) input_error("{}: empty file (expected a header row and data rows)", name);
  std::size_t header_line = tok.record_line();
  if (opt.header) {
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < tok.fields().size(); ++i) {
      std::string n(tok.fields()[i]);
      if (n.empty()) n = fmt::format("c{}", i + 1);
      if (!seen.insert(n).second)
        input_error("{}:{}:{}: duplicate column name '{}'", name, header_line, tok.field_column(i),
                    n);
      names.push_back(std::move(n));
    }
  } else {
    for (std::size_t i = 0; i < tok.fields().size(); ++i) names.push_back(fmt::format("c{}", i + 1));
  }
  const std::size_t ncol = names.size();

  // Buffer the first rows to infer column types.
  std::vector<std::vector<std::string>> head;
  std::vector<std::size_t> head_lines;
  auto check_width = [&]() {
    if (tok.fields().size() == 1 && tok.fields()[0].empty() && ncol > 1) return false;  // blank line
    if (tok.fields().size() != ncol)
      input_error("{}:{}: expected {} fields (as in the header) but found {}", name,
                  tok.record_line(), ncol, tok.fields().size());
    return true;
  };
  if (!opt.header) {
    check_width();
    head.emplace_back(tok.fields().begin(), tok.fields().end());
    head_lines.push_back(tok.record_line());
  }
  bool more = true;
  while (head.size() < std::max<std::size_t>(opt.infer_rows, 1)) {
    if (!tok.next()) {
      more = false;
      break;
    }
    if (!check_width()) continue;
    head.emplace_back(tok.fields().begin(), tok.fields().end());
    head_lines.push_back(tok.record_line());
  }
  if (head.empty())
    input_error("{}:{}: the file has a header row but no data rows", name, header_line);

  std::unordered_set<std::string_view> missing_set(opt.missing.begin(), opt.missing.end());
  // Cells that start like a number skip the marker lookup, unless a marker itself does.
  bool numeric_markers = false;
  for (const auto& m : opt.missing)
    if (!m.empty() && (std::isdigit(static_cast<unsigned char>(m[0])) || m[0] == '-' ||
                       m[0] == '+' || m[0] == '.'))
      numeric_markers = true;
  auto is_missing = [&](std::string_view f) {
    if (!numeric_markers && !f.empty()) {
      char c0 = f[0];
      if ((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '.') return false;
    }
    return missing_set.count(f) != 0;
  };
  auto is_sentinel = [&](double v) {
    for (double s : opt.sentinels)
      if (v == s) return true;
    return false;
  };

  for (const auto& [col, type] : opt.types)
    if (std::find(names.begin(), names.end(), col) == names.end())
      input_error("{}: a type is given for column '{}', which the file does not have (columns: {})",
                  name, col, fmt::join(names, ", "));
  if (!opt.time_column.empty() &&
      std::find(names.begin(), names.end(), opt.time_column) == names.end())
    input_error("{}: time column '{}' not found (columns: {})", name, opt.time_column,
                fmt::join(names, ", "));

  // Infer a type for each column.
  std::vector<ColumnPlan> plan(ncol);
  int time_col = -1;
  for (std::size_t c = 0; c < ncol; ++c) {
    bool all_num = true, all_int = true, all_iso = true, any = false;
    std::size_t num_cells = 0, text_cells = 0;
    double maxabs = 0;
    for (const auto& row : head) {
      std::string_view f = row[c];
      if (is_missing(f)) continue;
      double v, sec;
      bool zone;
      if (parse_number(f, v)) {
        if (is_sentinel(v)) continue;
        any = true;
        all_iso = false;
        ++num_cells;
        if (v != std::floor(v)) all_int = false;
        maxabs = std::max(maxabs, std::fabs(v));
      } else {
        any = true;
        all_num = false;
        ++text_cells;
        if (all_iso && !parse_iso8601(f, sec, zone)) all_iso = false;
      }
    }
    // A column of numbers with a few stray words is a number column with bad cells (they
    // are reported with their line below), not a categorical column.
    if (!all_num && num_cells > 0 && !all_iso && num_cells >= 9 * text_cells) all_num = true;
    if (text_cells == num_cells + text_cells) all_int = false;
    ColumnPlan& p = plan[c];
    bool is_time = names[c] == opt.time_column;
    if (auto it = opt.types.find(names[c]); it != opt.types.end()) {
      p.type = it->second;
      p.declared = true;
      if (p.type == ColumnType::Timestamp) is_time = true;
    } else if (!any) {
      p.type = ColumnType::Number;
    } else if (all_num) {
      p.type = all_int ? ColumnType::Integer : ColumnType::Number;
    } else if (all_iso) {
      p.type = ColumnType::Timestamp;
    } else {
      p.type = ColumnType::Categorical;
    }
    if (opt.time_column.empty() && time_col < 0 &&
        (p.type == ColumnType::Timestamp || (all_num && any && is_time_name(names[c]))))
      is_time = true;
    if (is_time && time_col < 0) {
      time_col = static_cast<int>(c);
      TimeFormat tf = names[c] == opt.time_column ? opt.time_format : TimeFormat::Auto;
      if (tf == TimeFormat::Auto) {
        if (p.type == ColumnType::Timestamp || !all_num)
          tf = TimeFormat::Iso8601;
        else
          tf = maxabs > 1e11 ? TimeFormat::EpochMillis : TimeFormat::EpochSeconds;
      }
      if (tf != TimeFormat::Iso8601 && !all_num)
        input_error("{}: time column '{}' is declared {} but holds text", name, names[c],
                    to_string(tf));
      p.type = ColumnType::Timestamp;
      p.tf = tf;
    } else if (p.type == ColumnType::Timestamp) {
      p.tf = TimeFormat::Iso8601;
    }
  }

  // Records are at most the lines left (quoted line breaks only make fewer).
  const auto expected_rows = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  t.columns.resize(ncol);
  for (std::size_t c = 0; c < ncol; ++c) {
    t.columns[c].name = names[c];
    t.columns[c].type = plan[c].type;
    t.columns[c].time_format = plan[c].tf;
    if (plan[c].tf == TimeFormat::Index) t.columns[c].index_period_s = opt.index_period_s;
    t.columns[c].values.reserve(expected_rows);
  }
  t.time_column = time_col;

  auto convert = [&](std::size_t c, std::string_view f, std::size_t line) {
    Column& col = t.columns[c];
    ColumnPlan& p = plan[c];
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    if (is_missing(f)) {
      col.values.push_back(kNaN);
      return;
    }
    double v;
    switch (col.type) {
      case ColumnType::Number:
      case ColumnType::Integer:
        if (!parse_number(f, v)) {
          std::string shown(f.substr(0, 40));
          input_error(
              "{}:{}: column '{}' ({}{}): '{}' is not a number; mark it as missing "
              "(missing = [...]) or declare the column categorical",
              name, line, col.name, to_string(col.type),
              p.declared ? ", as declared" : ", inferred from the first rows", shown);
        }
        if (is_sentinel(v)) {
          col.values.push_back(kNaN);
          return;
        }
        if (col.type == ColumnType::Integer && v != std::floor(v)) {
          if (p.declared)
            input_error("{}:{}: column '{}' is declared integer but holds '{}'", name, line,
                        col.name, f);
          col.type = ColumnType::Number;
        }
        col.values.push_back(v);
        return;
      case ColumnType::Categorical: {
        auto it = p.codes.find(std::string(f));
        if (it == p.codes.end()) {
          it = p.codes.emplace(std::string(f), static_cast<int>(col.categories.size())).first;
          col.categories.emplace_back(f);
        }
        col.values.push_back(it->second);
        return;
      }
      case ColumnType::Timestamp: {
        bool zone = false;
        bool ok;
        switch (p.tf) {
          case TimeFormat::Iso8601:
            ok = parse_iso8601(f, v, zone);
            if (zone) col.iso_has_zone = true;
            break;
          case TimeFormat::EpochMillis:
            ok = parse_number(f, v);
            v /= 1000.0;
            break;
          case TimeFormat::Index:
            ok = parse_number(f, v);
            v *= opt.index_period_s;
            break;
          default:
            ok = parse_number(f, v);
            break;
        }
        if (!ok)
          input_error("{}:{}: column '{}': '{}' is not a {} timestamp", name, line, col.name,
                      f.substr(0, 40), to_string(p.tf));
        col.values.push_back(v);
        return;
      }
    }
  };

  for (std::size_t r = 0; r < head.size(); ++r)
    for (std::size_t c = 0; c < ncol; ++c) convert(c, head[r][c], head_lines[r]);
  head.clear();
  head.shrink_to_fit();
  while (more && tok.next()) {
    if (!check_width()) continue;
    const auto& f = tok.fields();
    for (std::size_t c = 0; c < ncol; ++c) convert(c, f[c], tok.record_line());
  }
  return t;
}

Table read_csv(const std::filesystem::path& path, const CsvOptions& opt) {
  std::string text = read_maybe_gzip(path);
  return parse_csv(text, path.string(), opt);
}

namespace {
void append_field(std::string& out, std::string_view s, char delim) {
  bool quote = s.find_first_of("\"\r\n") != std::string_view::npos ||
               s.find(delim) != std::string_view::npos ||
               (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}
}  // namespace

void write_csv(const Table& t, const Sink& sink, char delim) {
  constexpr std::size_t kChunk = 1 << 20;
  std::string out;
  out.reserve(kChunk + 4096);
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (c) out.push_back(delim);
    append_field(out, t.columns[c].name, delim);
  }
  out.push_back('\n');
  char buf[64];
  const std::size_t n = t.rows();
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (c) out.push_back(delim);
      const Column& col = t.columns[c];
      const double v = col.values[r];
      if (std::isnan(v)) continue;
      const bool plain_number =
          col.type == ColumnType::Number || col.type == ColumnType::Integer ||
          (col.type == ColumnType::Timestamp && col.time_format == TimeFormat::EpochSeconds);
      if (plain_number) {
        char* e;
        if (col.type == ColumnType::Integer || (v == std::floor(v) && std::fabs(v) < 1e15))
          e = fmt::format_to(buf, FMT_COMPILE("{}"), static_cast<long long>(v));
        else
          e = fmt::format_to(buf, FMT_COMPILE("{}"), v);
        out.append(buf, e);
      } else if (col.type == ColumnType::Categorical) {
        append_field(out, col.categories[static_cast<std::size_t>(v)], delim);
      } else {
        append_field(out, cell_text(col, v), delim);
      }
    }
    out.push_back('\n');
    if (out.size() >= kChunk) {
      sink(out);
      out.clear();
    }
  }
  if (!out.empty()) sink(out);
}

std::string write_csv(const Table& t, char delim) {
  std::string all;
  write_csv(t, [&](std::string_view piece) { all.append(piece); }, delim);
  return all;
}

}  // namespace tinyml::data
