#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "tinyml/data/csv.hpp"
#include "tinyml/data/inspect.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::data;

namespace {
Table series(int n_per_group, int groups, int gap_at = -1) {
  std::string s = "time,dev,v,label\n";
  for (int g = 1; g <= groups; ++g)
    for (int i = 0; i < n_per_group; ++i) {
      int t = i * 5 + (gap_at >= 0 && i >= gap_at ? 1000 : 0);
      int label = (i >= 20 && i < 26) ? 1 : 0;
      s += std::to_string(t) + "," + std::to_string(g) + "," + std::to_string(i + 100 * g) + "," +
           std::to_string(label) + "\n";
    }
  return parse_csv(s, "s.csv");
}
Columns cols() {
  Columns c;
  c.features = {"v"};
  c.label = "label";
  c.group = "dev";
  return c;
}
}  // namespace

TEST(Window, CountsShapesAndValues) {
  Table t = series(40, 1);
  WindowOptions o;
  o.length = 10;
  o.stride = 5;
  WindowStats st;
  LabelMap lm = make_label_map(t, cols());
  Dataset d = make_windows(t, cols(), lm, o, {}, 0, st);
  EXPECT_EQ(d.size(), 7u);  // starts 0,5,...,30
  EXPECT_EQ(d.shape, (std::vector<std::uint32_t>{10, 1}));
  EXPECT_FLOAT_EQ(d.x[10], 105.f);  // second window starts at row 5
  EXPECT_DOUBLE_EQ(d.t_begin[1], 25);
  EXPECT_DOUBLE_EQ(d.t_end[1], 70);
}

TEST(Window, LabelRules) {
  Table t = series(40, 1);
  LabelMap lm = make_label_map(t, cols());
  WindowOptions o;
  o.length = 10;
  o.stride = 10;  // windows rows 0-9, 10-19, 20-29 (6 positives), 30-39
  WindowStats st;
  o.label_rule = LabelRule::Majority;
  EXPECT_EQ(make_windows(t, cols(), lm, o, {}, 0, st).y, (std::vector<std::int32_t>{0, 0, 1, 0}));
  o.stride = 5;  // window 15-24 holds 5 positives of 10
  o.label_rule = LabelRule::AnyPositive;
  auto y = make_windows(t, cols(), lm, o, {}, 0, st).y;
  EXPECT_EQ(y, (std::vector<std::int32_t>{0, 0, 0, 1, 1, 1, 0}));
  o.label_rule = LabelRule::Last;  // last rows 9, 14, 19, 24, 29, 34, 39
  y = make_windows(t, cols(), lm, o, {}, 0, st).y;
  EXPECT_EQ(y, (std::vector<std::int32_t>{0, 0, 0, 1, 0, 0, 0}));
}

TEST(Window, NoWindowSpansAGapOrAGroupChange) {
  Table t = series(40, 2, /*gap_at=*/17);
  LabelMap lm = make_label_map(t, cols());
  WindowOptions o;
  o.length = 10;
  o.stride = 1;
  WindowStats st;
  Dataset d = make_windows(t, cols(), lm, o, {}, 0, st);
  // Per group: rows 0-16 give 8 windows, rows 17-39 give 14.
  EXPECT_EQ(d.size(), 2u * (8 + 14));
  EXPECT_EQ(st.gaps, 2u);
  for (std::size_t i = 0; i < d.size(); ++i) EXPECT_DOUBLE_EQ(d.t_end[i] - d.t_begin[i], 45.0);
}

TEST(Window, MissingValuesSkipTheWindow) {
  Table t = parse_csv("time,v\n0,1\n1,\n2,3\n3,4\n4,5\n", "m.csv");
  Columns c;
  c.features = {"v"};
  WindowOptions o;
  o.length = 2;
  WindowStats st;
  Dataset d = make_windows(t, c, make_label_map(t, c), o, {}, 0, st);
  // Windows of two rows, stride 1: rows 0-1 and 1-2 hold the hole; 2-3 and 3-4 do not.
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(st.skipped_missing, 2u);
}

TEST(Split, TimeBlocksDoNotLeak) {
  Table t = series(200, 3);
  SplitOptions s;
  s.method = SplitMethod::Time;
  s.group_column = "dev";
  auto part = split_rows(t, s);
  WindowOptions o;
  o.length = 12;
  o.stride = 3;
  LabelMap lm = make_label_map(t, cols());
  Dataset p[3];
  for (int k = 0; k < 3; ++k) {
    WindowStats st;
    p[k] = make_windows(t, cols(), lm, o, part, k, st);
    EXPECT_GT(p[k].size(), 0u);
  }
  EXPECT_EQ(count_time_overlaps(p[0], p[1]), 0u);
  EXPECT_EQ(count_time_overlaps(p[0], p[2]), 0u);
  EXPECT_EQ(count_time_overlaps(p[1], p[2]), 0u);
  // Every training window ends before every test window of the same group begins.
  for (std::size_t i = 0; i < p[0].size(); ++i)
    for (std::size_t j = 0; j < p[2].size(); ++j)
      if (p[0].group[i] == p[2].group[j]) {
        ASSERT_LT(p[0].t_end[i], p[2].t_begin[j]);
      }
  // Windowing the whole table, a random split of overlapping windows would leak:
  WindowStats st;
  Dataset all = make_windows(t, cols(), lm, o, {}, 0, st);
  SplitOptions r;
  r.method = SplitMethod::Random;
  auto sp = split_samples(all.y, r);
  EXPECT_GT(count_time_overlaps(select(all, sp, 0), select(all, sp, 2)), 0u);
}

TEST(Split, CountTimeOverlaps) {
  Dataset a, b;
  a.group = {1, 1};
  a.t_begin = {0, 100};
  a.t_end = {50, 150};
  a.y = {0, 0};
  b.group = {1, 1, 2, 1};
  b.t_begin = {50, 60, 0, 151};
  b.t_end = {55, 99, 200, 160};
  b.y = {0, 0, 0, 0};
  EXPECT_EQ(count_time_overlaps(a, b), 1u);  // only [50,55] touches [0,50]
}

TEST(Split, SameSeedSameSplitOtherSeedOther) {
  std::vector<std::int32_t> y;
  for (int i = 0; i < 1000; ++i) y.push_back(i % 7 == 0 ? 1 : 0);
  SplitOptions s;
  s.method = SplitMethod::Stratified;
  s.seed = 123;
  auto a = split_samples(y, s), b = split_samples(y, s);
  EXPECT_EQ(a, b);
  s.seed = 124;
  EXPECT_NE(a, split_samples(y, s));
}

TEST(Split, StratifiedKeepsClassShares) {
  std::vector<std::int32_t> y;
  for (int i = 0; i < 1000; ++i) y.push_back(i < 100 ? 1 : 0);
  SplitOptions s;
  s.method = SplitMethod::Stratified;
  auto part = split_samples(y, s);
  std::size_t pos[3] = {0, 0, 0}, all[3] = {0, 0, 0};
  for (std::size_t i = 0; i < y.size(); ++i) {
    ++all[part[i]];
    if (y[i]) ++pos[part[i]];
  }
  EXPECT_EQ(pos[0], 70u);
  EXPECT_EQ(pos[1], 15u);
  EXPECT_EQ(pos[2], 15u);
  EXPECT_EQ(all[0], 700u);
}

TEST(Split, RngIsFixed) {
  // SplitMix64 from seed 0: the first outputs are fixed by its definition.
  Rng r(0);
  EXPECT_EQ(r.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(r.next(), 0x6E789E6AA1B965F4ULL);
}

TEST(Split, GroupsExplicitAndRandom) {
  Table t = series(10, 5);
  SplitOptions s;
  s.method = SplitMethod::Group;
  s.group_column = "dev";
  s.groups[0] = {"1", "2", "3"};
  s.groups[1] = {"4"};
  s.groups[2] = {"5"};
  auto part = split_rows(t, s);
  for (std::size_t r = 0; r < t.rows(); ++r) {
    double g = t.at("dev").values[r];
    EXPECT_EQ(part[r], g <= 3 ? 0 : g == 4 ? 1 : 2);
  }
  s.groups[2] = {"5", "1"};
  EXPECT_THROW(split_rows(t, s), InputError);  // listed twice
  s.groups[2] = {};
  EXPECT_THROW(split_rows(t, s), InputError);  // 5 not listed
  SplitOptions r;
  r.method = SplitMethod::Group;
  r.group_column = "dev";
  auto a = split_rows(t, r);
  EXPECT_EQ(a, split_rows(t, r));
  std::set<std::int8_t> parts(a.begin(), a.end());
  EXPECT_EQ(parts.size(), 3u);  // every part gets a group
  // A group never straddles parts.
  for (std::size_t i = 1; i < t.rows(); ++i)
    if (t.at("dev").values[i] == t.at("dev").values[i - 1]) {
      EXPECT_EQ(a[i], a[i - 1]);
    }
}
