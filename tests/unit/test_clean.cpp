#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tinyml/data/clean.hpp"
#include "tinyml/data/csv.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::data;

namespace {
Table csv(std::string_view s) { return parse_csv(s, "t.csv"); }
std::vector<double> col(const Table& t, const char* name) { return t.at(name).values; }
bool isnan_at(const Table& t, const char* name, std::size_t r) { return std::isnan(t.at(name).values[r]); }
}  // namespace

TEST(Clean, ExactDuplicatesRemovedAndCounted) {
  Table t = csv("time,v\n1,10\n2,20\n2,20\n3,30\n1,10\n");
  CleanReport r;
  Table out = clean(t, CleanOptions{}, r);
  EXPECT_EQ(r.duplicates_removed, 2u);
  EXPECT_EQ(out.rows(), 3u);
  EXPECT_EQ(col(out, "v"), (std::vector<double>{10, 20, 30}));
}

TEST(Clean, RepeatedValuesAtOtherTimesAreKeptButCounted) {
  Table t = csv("time,v\n1,10\n2,10\n3,10\n");
  CleanReport r;
  Table out = clean(t, CleanOptions{}, r);
  EXPECT_EQ(r.duplicates_removed, 0u);
  EXPECT_EQ(r.repeated_values_kept, 2u);
  EXPECT_EQ(out.rows(), 3u);
}

TEST(Clean, RepeatedTimestampsFirstLastMean) {
  Table t = csv("time,v\n1,10\n2,20\n2,40\n3,30\n");
  CleanOptions o;
  CleanReport r;
  o.repeated_timestamps = RepeatedTime::First;
  EXPECT_EQ(col(clean(t, o, r), "v"), (std::vector<double>{10, 20, 30}));
  EXPECT_EQ(r.repeated_timestamps_merged, 1u);
  o.repeated_timestamps = RepeatedTime::Last;
  EXPECT_EQ(col(clean(t, o, r), "v"), (std::vector<double>{10, 40, 30}));
  o.repeated_timestamps = RepeatedTime::Mean;
  EXPECT_EQ(col(clean(t, o, r), "v"), (std::vector<double>{10, 30, 30}));
}

TEST(Clean, RepeatedTimestampsStayWithinGroups) {
  Table t = csv("time,dev,v\n1,1,10\n1,2,20\n2,1,30\n");
  CleanOptions o;
  o.group_column = "dev";
  o.repeated_timestamps = RepeatedTime::First;
  CleanReport r;
  Table out = clean(t, o, r);
  EXPECT_EQ(r.repeated_timestamps_merged, 0u);
  // Ordered by group, then time.
  EXPECT_EQ(col(out, "v"), (std::vector<double>{10, 30, 20}));
}

TEST(Clean, MissingDropRow) {
  Table t = csv("a,b\n1,2\n,3\n4,\n5,6\n");
  CleanOptions o;
  o.missing_default.method = MissingMethod::DropRow;
  CleanReport r;
  Table out = clean(t, o, r);
  EXPECT_EQ(out.rows(), 2u);
  ASSERT_EQ(r.missing.size(), 2u);
  EXPECT_EQ(r.missing[0].rows_dropped, 1u);
  EXPECT_EQ(r.missing[1].rows_dropped, 1u);
}

TEST(Clean, MissingMeanMedianConstant) {
  Table t = csv("a\n1\n\n2\n10\n");
  CleanOptions o;
  CleanReport r;
  o.missing_default.method = MissingMethod::Mean;
  EXPECT_DOUBLE_EQ(col(clean(t, o, r), "a")[1], 13.0 / 3.0);
  EXPECT_EQ(r.missing[0].filled, 1u);
  EXPECT_EQ(r.missing[0].left_missing, 0u);
  o.missing_default.method = MissingMethod::Median;
  EXPECT_DOUBLE_EQ(col(clean(t, o, r), "a")[1], 2.0);
  o.missing_default.method = MissingMethod::Constant;
  o.missing_default.constant = -1;
  EXPECT_DOUBLE_EQ(col(clean(t, o, r), "a")[1], -1.0);
}

TEST(Clean, ForwardFillWithMaximumGap) {
  // Times 0, 10, 20, 60: a value is carried at most 15 s.
  Table t = csv("time,v\n0,1\n10,\n20,\n60,\n");
  CleanOptions o;
  o.missing_default = {MissingMethod::ForwardFill, 0, 15};
  CleanReport r;
  Table out = clean(t, o, r);
  EXPECT_DOUBLE_EQ(col(out, "v")[1], 1.0);
  EXPECT_TRUE(isnan_at(out, "v", 2));
  EXPECT_TRUE(isnan_at(out, "v", 3));
  EXPECT_EQ(r.missing[0].filled, 1u);
  EXPECT_EQ(r.missing[0].left_missing, 2u);
}

TEST(Clean, TimeAwareInterpolation) {
  // Uneven times: at t=30 between (0, 0) and (40, 8) the value is 6, not the midpoint 4.
  Table t = csv("time,v\n0,0\n30,\n40,8\n");
  CleanOptions o;
  o.missing_default.method = MissingMethod::Interpolate;
  CleanReport r;
  EXPECT_DOUBLE_EQ(col(clean(t, o, r), "v")[1], 6.0);
}

TEST(Clean, InterpolationRespectsMaxGapEdgesAndGroups) {
  Table t = csv(
      "time,dev,v\n"
      "0,1,0\n10,1,\n20,1,2\n"       // bridged: 20 s between known readings
      "100,1,\n"                     // trailing hole: not extrapolated
      "0,2,\n10,2,5\n"               // leading hole in group 2
      "20,2,\n200,2,7\n");           // 190 s span: over the 60 s limit
  CleanOptions o;
  o.group_column = "dev";
  o.missing_default = {MissingMethod::Interpolate, 0, 60};
  CleanReport r;
  Table out = clean(t, o, r);
  auto v = col(out, "v");
  EXPECT_DOUBLE_EQ(v[1], 1.0);
  EXPECT_TRUE(std::isnan(v[3]));
  EXPECT_TRUE(std::isnan(v[4]));
  EXPECT_TRUE(std::isnan(v[6]));
  EXPECT_EQ(r.missing[0].filled, 1u);
  EXPECT_EQ(r.missing[0].left_missing, 3u);
}

TEST(Clean, InterpolationWithoutTimeUsesRowPositions) {
  Table t = csv("v\n1\n\n\n4\n");
  CleanOptions o;
  o.drop_duplicates = false;  // the two empty rows are duplicates of each other
  o.missing_default.method = MissingMethod::Interpolate;
  CleanReport r;
  auto v = col(clean(t, o, r), "v");
  EXPECT_DOUBLE_EQ(v[1], 2.0);
  EXPECT_DOUBLE_EQ(v[2], 3.0);
}

TEST(Clean, PerColumnRulesAndLabelsUntouched) {
  Table t = csv("a,b,label\n1,,0\n,5,\n3,7,1\n");
  CleanOptions o;
  o.missing_default.method = MissingMethod::Mean;
  o.missing["b"] = {MissingMethod::Constant, 9, INFINITY};
  o.label_columns = {"label"};
  CleanReport r;
  Table out = clean(t, o, r);
  EXPECT_DOUBLE_EQ(col(out, "a")[1], 2.0);
  EXPECT_DOUBLE_EQ(col(out, "b")[0], 9.0);
  EXPECT_TRUE(isnan_at(out, "label", 1));
}

TEST(Clean, CategoricalColumnsRefuseNumericFills) {
  Table t = csv("a,c\n1,x\n2,\n3,y\n");
  CleanOptions o;
  o.missing["c"] = {MissingMethod::Mean, 0, INFINITY};
  CleanReport r;
  EXPECT_THROW(clean(t, o, r), InputError);
  o.missing["c"] = {MissingMethod::ForwardFill, 0, INFINITY};
  Table out = clean(t, o, r);
  EXPECT_EQ(out.at("c").text(1), "x");
}

TEST(Clean, PercentileMatchesLinearInterpolation) {
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 25), 1.75);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile({1, NAN, 3}, 100), 3.0);
}

TEST(Clean, OutliersClipToPercentiles) {
  std::string s = "v\n";
  for (int i = 1; i <= 100; ++i) s += std::to_string(i) + "\n";
  Table t = csv(s);
  CleanOptions o;
  o.outliers = OutlierMethod::Percentile;
  o.low_percentile = 5;
  o.high_percentile = 95;
  CleanReport r;
  Table out = clean(t, o, r);
  ASSERT_EQ(r.outliers.size(), 1u);
  EXPECT_DOUBLE_EQ(r.outliers[0].low, 5.95);
  EXPECT_DOUBLE_EQ(r.outliers[0].high, 95.05);
  EXPECT_EQ(r.outliers[0].clipped, 10u);
  EXPECT_DOUBLE_EQ(col(out, "v")[0], 5.95);
}

TEST(Clean, OutliersClipByZScore) {
  Table t = csv("v\n0\n0\n0\n0\n0\n0\n0\n0\n0\n100\n");
  CleanOptions o;
  o.drop_duplicates = false;
  o.outliers = OutlierMethod::ZScore;
  o.z = 2;
  CleanReport r;
  Table out = clean(t, o, r);
  // mean 10, sample sd 31.6227766...; 100 is above 10 + 2 sd = 73.2455...
  EXPECT_EQ(r.outliers[0].clipped, 1u);
  EXPECT_NEAR(col(out, "v")[9], 10 + 2 * std::sqrt(1000.0), 1e-9);
}

TEST(Clean, ReportJsonAndText) {
  Table t = csv("time,v\n1,1\n1,1\n2,\n3,3\n");
  CleanOptions o;
  o.missing_default.method = MissingMethod::Interpolate;
  CleanReport r;
  clean(t, o, r);
  auto j = r.json();
  EXPECT_EQ(j["duplicates_removed"], 1);
  EXPECT_EQ(j["missing"][0]["filled"], 1);
  EXPECT_NE(r.text().find("exact duplicate rows removed: 1"), std::string::npos);
}

TEST(Clean, NormalizeTable) {
  Table t = csv("time,a,label\n1,1,0\n2,3,1\n");
  auto n = normalize_table(t, "zscore", {"label"});
  ASSERT_EQ(n.features, std::vector<std::string>{"a"});
  EXPECT_DOUBLE_EQ(t.at("a").values[0], -1.0);
  EXPECT_DOUBLE_EQ(t.at("a").values[1], 1.0);
  EXPECT_DOUBLE_EQ(t.at("label").values[1], 1.0);
}
