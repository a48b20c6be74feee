#include <cmath>

#include <gtest/gtest.h>

#include "tinyml/data/csv.hpp"
#include "tinyml/data/merge.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::data;

namespace {
Table csv(std::string_view s, std::string_view name = "t.csv") { return parse_csv(s, name); }
}  // namespace

TEST(Merge, ConcatSameColumnsRemapsCategories) {
  std::vector<NamedTable> src;
  src.push_back({"a", csv("time,room,v\n1,kitchen,1\n")});
  src.push_back({"b", csv("room,time,v\n2,hall,2\n")});  // other column order...
  // ...and here "room" holds a number in b: a type clash is an error.
  MergeOptions o;
  MergeReport r;
  EXPECT_THROW(merge(src, o, r), InputError);
  src[1] = {"b", csv("v,room,time\n2,hall,2\n3,kitchen,3\n")};
  o.source_column = "source";
  Table t = merge(src, o, r);
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.at("room").text(0), "kitchen");
  EXPECT_EQ(t.at("room").text(1), "hall");
  EXPECT_EQ(t.at("room").text(2), "kitchen");
  EXPECT_EQ(t.at("source").text(2), "b");
  EXPECT_EQ(r.sources.size(), 2u);
}

TEST(Merge, ConcatDifferentColumnsIsAnError) {
  std::vector<NamedTable> src;
  src.push_back({"a", csv("time,v\n1,1\n")});
  src.push_back({"b", csv("time,w\n1,1\n")});
  MergeReport r;
  try {
    merge(src, MergeOptions{}, r);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("source 'b' has columns [time, w]"), std::string::npos);
  }
}

TEST(Merge, JoinOnTimeWithTolerance) {
  std::vector<NamedTable> src;
  src.push_back({"temp", csv("time,v\n0,1\n10,2\n20,3\n30,4\n")});
  src.push_back({"hum", csv("time,v\n1,50\n12,60\n26,70\n")});
  MergeOptions o;
  o.method = MergeMethod::Join;
  o.tolerance_s = 2;
  MergeReport r;
  Table t = merge(src, o, r);
  ASSERT_EQ(t.rows(), 4u);
  const Column& h = t.at("hum_v");  // renamed on the clash
  EXPECT_DOUBLE_EQ(h.values[0], 50);
  EXPECT_DOUBLE_EQ(h.values[1], 60);
  EXPECT_TRUE(std::isnan(h.values[2]));  // 26 is 6 s from 20 and 4 s from 30
  EXPECT_TRUE(std::isnan(h.values[3]));
  EXPECT_EQ(r.sources[1].unmatched, 2u);
  EXPECT_EQ(r.renamed.size(), 1u);
}

TEST(Merge, JoinWithinGroups) {
  std::vector<NamedTable> src;
  src.push_back({"a", csv("time,dev,v\n0,1,1\n0,2,2\n")});
  src.push_back({"b", csv("time,dev,w\n0,2,20\n0,1,10\n")});
  MergeOptions o;
  o.method = MergeMethod::Join;
  o.group_column = "dev";
  MergeReport r;
  Table t = merge(src, o, r);
  EXPECT_DOUBLE_EQ(t.at("w").values[0], 10);
  EXPECT_DOUBLE_EQ(t.at("w").values[1], 20);
}

TEST(Merge, ResampleMeanLastLinear) {
  Table t = csv("time,v,state\n0,1,a\n4,3,b\n11,5,c\n25,9,d\n");
  std::size_t used, empty;
  Table m = resample(t, 10, Aggregate::Mean, -1, &used, &empty);
  ASSERT_EQ(m.rows(), 3u);  // bins [0,10) [10,20) [20,30)
  EXPECT_DOUBLE_EQ(m.at("v").values[0], 2);
  EXPECT_DOUBLE_EQ(m.at("v").values[1], 5);
  EXPECT_DOUBLE_EQ(m.at("v").values[2], 9);
  EXPECT_EQ(m.at("state").text(0), "b");  // non-number columns take the last reading
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(empty, 0u);
  Table l = resample(t, 10, Aggregate::Last, -1, nullptr, nullptr);
  EXPECT_DOUBLE_EQ(l.at("v").values[0], 3);
  Table lin = resample(t, 10, Aggregate::Linear, -1, nullptr, nullptr);
  EXPECT_DOUBLE_EQ(lin.at("v").values[0], 1);            // a reading at 0
  EXPECT_DOUBLE_EQ(lin.at("v").values[1], 3 + 2.0 * 6 / 7);  // between (4,3) and (11,5)
  EXPECT_DOUBLE_EQ(lin.at("v").values[2], 5 + 4.0 * 9 / 14);  // between (11,5) and (25,9)
}

TEST(Merge, ResampleCountsEmptyBinsAndMergesSources) {
  std::vector<NamedTable> src;
  src.push_back({"a", csv("time,v\n0,1\n30,4\n")});
  src.push_back({"b", csv("time,w\n2,7\n12,8\n")});
  MergeOptions o;
  o.method = MergeMethod::Resample;
  o.period_s = 10;
  MergeReport r;
  Table t = merge(src, o, r);
  ASSERT_EQ(t.rows(), 4u);
  EXPECT_EQ(r.empty_bins, 2u);  // a has nothing in [10,20) and [20,30)
  EXPECT_DOUBLE_EQ(t.at("w").values[0], 7);
  EXPECT_DOUBLE_EQ(t.at("w").values[1], 8);
  EXPECT_TRUE(std::isnan(t.at("v").values[1]));
}
