#include <gtest/gtest.h>

#include "tinyml/error.hpp"
#include "tinyml/project.hpp"

using namespace tinyml;

namespace {
std::string error_of(std::string_view toml) {
  try {
    parse_project(toml, "p/tinyml.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Project, ParsesAFullProject) {
  Project p = parse_project(R"(
[project]
name = "home"

[[sources]]
name = "motes"
path = "data.csv"
time_column = "reading"
time_format = "index"
index_period_s = 5
missing = ["", "NA"]
sentinels = [-999]
types = { label = "integer" }

[data]
label = "label"
group = "mote_id"
features = ["humidity", "temperature"]

[clean]
duplicates = "drop"
repeated_timestamps = "mean"
missing = { default = "interpolate", max_gap_s = 30, humidity = "median", temperature = { method = "constant", value = 20 } }
outliers = { method = "percentile", low = 1, high = 99 }

[window]
length = 12
stride = 6
label_rule = "any_positive"

[normalize]
method = "minmax"

[split]
method = "group"
train = [1, 3]
validation = [2]
test = ["4"]
)",
                            "p/tinyml.toml");
  EXPECT_EQ(p.name, "home");
  ASSERT_EQ(p.sources.size(), 1u);
  EXPECT_EQ(p.sources[0].path, std::filesystem::path("p/data.csv"));
  EXPECT_EQ(p.sources[0].csv.time_format, data::TimeFormat::Index);
  EXPECT_EQ(p.sources[0].csv.sentinels, std::vector<double>{-999});
  EXPECT_EQ(p.clean.repeated_timestamps, data::RepeatedTime::Mean);
  EXPECT_EQ(p.clean.missing_default.method, data::MissingMethod::Interpolate);
  EXPECT_EQ(p.clean.missing_default.max_gap, 30);
  EXPECT_EQ(p.clean.missing.at("humidity").method, data::MissingMethod::Median);
  EXPECT_EQ(p.clean.missing.at("humidity").max_gap, 30);
  EXPECT_EQ(p.clean.missing.at("temperature").constant, 20);
  EXPECT_EQ(p.clean.outliers, data::OutlierMethod::Percentile);
  EXPECT_EQ(p.window.stride, 6u);
  EXPECT_EQ(p.normalize, "minmax");
  EXPECT_EQ(p.split.groups[0], (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(p.split.groups[2], (std::vector<std::string>{"4"}));
  EXPECT_EQ(p.clean.label_columns, std::vector<std::string>{"label"});
}

TEST(Project, ErrorsNameLineColumnAndKey) {
  EXPECT_EQ(error_of("[[sources]]\npath = \"a.csv\"\nfoo = 1\n"),
            "p/tinyml.toml:3:1: unknown key 'sources[0].foo' (known keys here: name, path, format, "
            "labels, part, delimiter, header, skip_rows, missing, sentinels, time_column, time_format, "
            "index_period_s, types, infer_rows)");
  EXPECT_EQ(error_of("[[sources]]\npath = \"a.csv\"\n[window]\nlength = 1.5\n"),
            "p/tinyml.toml:4:10: key 'window.length' must be an integer, found a number");
  EXPECT_EQ(error_of("[[sources]]\npath = \"a.csv\"\n[split]\nmethod = \"shuffle\"\n"),
            "p/tinyml.toml:4:10: split.method: 'shuffle' is not valid: expected one of time, "
            "group, stratified, random");
  EXPECT_EQ(error_of("[[sources]]\npath = 3\n"),
            "p/tinyml.toml:2:8: key 'sources[0].path' must be a string, found an integer");
  EXPECT_EQ(error_of("[[sources]]\npath = \"a.csv\"\n[window]\nlength = 0\n"),
            "p/tinyml.toml:4:10: window.length: 0 is out of range [1, 1000000]");
  EXPECT_EQ(error_of("[sources]\npath = \"a.csv\"\n"),
            "p/tinyml.toml:1:1: key 'sources' must be an array of tables ([[sources]])");
  EXPECT_EQ(error_of("[project]\nname = \"x\"\n"),
            "p/tinyml.toml: no [[sources]]: the project needs at least one data source");
  EXPECT_EQ(error_of("[[sources]]\npath = \"a.csv\"\n[clean]\nmissing = { temp = \"avg\" }\n"),
            "p/tinyml.toml:4:20: clean.missing.temp: 'avg' is not valid: expected one of keep, drop, "
            "mean, median, constant, ffill, interpolate");
  EXPECT_EQ(error_of("[[sources]]\npath = \"a.csv\"\n[split]\nmethod = \"group\"\n"),
            "p/tinyml.toml:4:10: split.method: a group split needs data.group (the column naming "
            "the device or session)");
  std::string syntax = error_of("[[sources]]\npath = \"a.csv\n");
  EXPECT_EQ(syntax.rfind("p/tinyml.toml:2:", 0), 0u) << syntax;
}

TEST(Project, CanonicalConfigIgnoresComments) {
  Project a = parse_project("[[sources]]\npath = \"a.csv\"\n", "t.toml");
  Project b = parse_project("# hello\n[[sources]]\npath = \"a.csv\" # there\n", "t.toml");
  Project c = parse_project("[[sources]]\npath = \"b.csv\"\n", "t.toml");
  EXPECT_EQ(a.data_config, b.data_config);
  EXPECT_NE(a.data_config, c.data_config);
}
