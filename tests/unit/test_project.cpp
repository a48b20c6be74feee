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

TEST(Project, ParsesTheClassicModelSections) {
  Project p = parse_project(R"([[sources]]
path = "a.csv"
[knn]
k = 3
prototypes = "kmeans"
per_class = 4
flash_bytes = 2048
[tree]
criterion = "entropy"
max_depth = 5
min_samples_split = 4
min_samples_leaf = 2
max_features = 3
seed = 7
[forest]
trees = 25
bootstrap = false
max_features = 2
seed = 9
[anomaly]
method = "kmeans"
normal_class = "normal"
target_fpr = 0.05
clusters = 6
)",
                            "p/tinyml.toml");
  EXPECT_TRUE(p.trains());
  EXPECT_FALSE(p.model_enabled);
  EXPECT_EQ(p.knn_prototypes, "kmeans");
  EXPECT_EQ(p.knn_per_class, 4u);
  EXPECT_EQ(p.knn_flash_bytes, 2048u);
  ASSERT_TRUE(p.tree_enabled);
  EXPECT_EQ(p.tree.criterion, classic::Criterion::Entropy);
  EXPECT_EQ(p.tree.max_depth, 5u);
  EXPECT_EQ(p.tree.min_samples_split, 4u);
  EXPECT_EQ(p.tree.min_samples_leaf, 2u);
  EXPECT_EQ(p.tree.max_features, 3u);
  EXPECT_EQ(p.tree.seed, 7u);
  ASSERT_TRUE(p.forest_enabled);
  EXPECT_EQ(p.forest.n_trees, 25u);
  EXPECT_FALSE(p.forest.bootstrap);
  EXPECT_EQ(p.forest.tree.max_features, 2u);
  EXPECT_EQ(p.forest.tree.criterion, classic::Criterion::Gini);
  EXPECT_EQ(p.forest.seed, 9u);
  ASSERT_TRUE(p.anomaly_enabled);
  EXPECT_EQ(p.anomaly.method, "kmeans");
  EXPECT_EQ(p.anomaly.normal_class, "normal");
  EXPECT_EQ(p.anomaly.target_fpr, 0.05);
  EXPECT_EQ(p.anomaly.clusters, 6u);

  Project a = parse_project("[[sources]]\npath = \"a.csv\"\n[anomaly]\nmethod = \"autoencoder\"\nwidth = 0.5\n"
                            "epochs = 4\nbatch_size = 16\nlr = 0.01\n",
                            "p/tinyml.toml");
  EXPECT_EQ(a.anomaly.method, "autoencoder");
  EXPECT_EQ(a.anomaly.normal_class, "");
  EXPECT_EQ(a.anomaly.target_fpr, 0.01);
  EXPECT_EQ(a.anomaly.width, 0.5);
  EXPECT_EQ(a.anomaly.epochs, 4);
  EXPECT_EQ(a.anomaly.batch_size, 16);
  EXPECT_FLOAT_EQ(a.anomaly.lr, 0.01f);
  EXPECT_FALSE(parse_project("[[sources]]\npath = \"a.csv\"\n", "t.toml").trains());
}

TEST(Project, ClassicSectionErrorsNameLineColumnAndKey) {
  const std::string src = "[[sources]]\npath = \"a.csv\"\n";
  const std::pair<std::string, std::string> cases[] = {
      {"[knn]\nprototypes = \"random\"\n",
       "p/tinyml.toml:4:14: knn.prototypes: 'random' is not valid: expected none, condensed or kmeans"},
      {"[knn]\nprototypes = \"condensed\"\nper_class = 4\n",
       "p/tinyml.toml:5:13: knn.per_class: is for prototypes = \"kmeans\""},
      {"[knn]\nflash_bytes = 0\n", "p/tinyml.toml:4:15: knn.flash_bytes: 0 is out of range [1, 9223372036854775807]"},
      {"[tree]\ncriterion = \"log_loss\"\n",
       "p/tinyml.toml:4:13: tree.criterion: 'log_loss' is not valid: expected gini or entropy"},
      {"[tree]\nmin_samples_split = 1\n",
       "p/tinyml.toml:4:21: tree.min_samples_split: 1 is out of range [2, 9223372036854775807]"},
      {"[tree]\ndepth = 3\n",
       "p/tinyml.toml:4:1: unknown key 'tree.depth' (known keys here: criterion, max_depth, min_samples_split, "
       "min_samples_leaf, max_features, seed)"},
      {"[forest]\ntrees = 0\n", "p/tinyml.toml:4:9: forest.trees: 0 is out of range [1, 100000]"},
      {"[forest]\nbootstrap = \"yes\"\n",
       "p/tinyml.toml:4:13: key 'forest.bootstrap' must be a boolean (true or false), found a string"},
      {"[anomaly]\nmethod = \"isolation_forest\"\n",
       "p/tinyml.toml:4:10: anomaly.method: 'isolation_forest' is not valid: expected kmeans or autoencoder"},
      {"[anomaly]\ntarget_fpr = 1.5\n", "p/tinyml.toml:4:14: anomaly.target_fpr: 1.5 is out of range [0, 1]"},
      {"[anomaly]\nmethod = \"autoencoder\"\nclusters = 4\n",
       "p/tinyml.toml:5:12: anomaly.clusters: is for method = \"kmeans\""},
      {"[anomaly]\nepochs = 4\n", "p/tinyml.toml:4:10: anomaly.epochs: is for method = \"autoencoder\""},
      {"[anomaly]\nnormal_class = 0\n",
       "p/tinyml.toml:4:16: key 'anomaly.normal_class' must be a string, found an integer"},
  };
  for (const auto& [toml, message] : cases) EXPECT_EQ(error_of(src + toml), message) << toml;
}

TEST(Project, ClassicSectionsAreTrainConfiguration) {
  const std::string src = "[[sources]]\npath = \"a.csv\"\n";
  Project a = parse_project(src, "t.toml");
  Project b = parse_project(src + "[forest]\ntrees = 5\n", "t.toml");
  Project c = parse_project(src + "[forest]\ntrees = 6\n", "t.toml");
  Project d = parse_project(src + "[anomaly]\nclusters = 3\n[tree]\n", "t.toml");
  EXPECT_EQ(a.data_config, b.data_config);
  EXPECT_EQ(a.data_config, d.data_config);
  EXPECT_NE(b.train_config, c.train_config);
  EXPECT_NE(a.train_config, d.train_config);
  EXPECT_NE(d.train_config.find("anomaly"), std::string::npos);
  EXPECT_NE(d.train_config.find("tree"), std::string::npos);
}
