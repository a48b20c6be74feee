// Fuzzes the CSV reader (and the writer, on what it reads: a table read back from its own
// CSV must have the same shape).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tinyml/data/csv.hpp"
#include "tinyml/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tinyml::data::CsvOptions opt;
  opt.infer_rows = 3;  // reach the post-inference conversion path on small inputs
  if (size > 0 && data[0] == ';') opt.delimiter = ';';
  if (size > 1 && data[1] == '!') opt.delimiter = '\0';
  if (size > 2 && data[2] == '#') opt.sentinels = {-999};
  try {
    tinyml::data::Table t = tinyml::data::parse_csv(text, "fuzz.csv", opt);
    std::string out = tinyml::data::write_csv(t);
    tinyml::data::CsvOptions again;
    again.types.clear();
    tinyml::data::Table u = tinyml::data::parse_csv(out, "again.csv", again);
    if (u.columns.size() != t.columns.size() || u.rows() != t.rows()) __builtin_trap();
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
