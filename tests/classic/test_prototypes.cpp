#include <string>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "tinyml/classic/prototypes.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::classic;

TEST(Prototypes, CondensedByHand) {
  data::Dataset d;
  d.shape = {1};
  d.x = {0, 1, 2, 10, 11, 12};
  d.y = {0, 0, 0, 1, 1, 1};
  d.classes = {"low", "high"};
  CondenseOptions o;
  o.shuffle = false;
  const data::Dataset c = condensed_nearest_neighbour(d, o);
  // 0 starts the store, 10 is the first row it misclassifies; then every row is right.
  EXPECT_EQ(c.x, (std::vector<float>{0, 10}));
  EXPECT_EQ(c.y, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(c.classes, d.classes);
}

TEST(Prototypes, CondensedSetClassifiesEveryTrainingRow) {
  for (const char* name : {"iris", "digits"}) {
    const auto& split = classic_test::sklearn_split(name);
    const data::Dataset c = condensed_nearest_neighbour(split.train);
    EXPECT_LT(c.size(), split.train.size() / 2) << name;
    Knn knn(KnnOptions{1, Metric::L2, Weights::Uniform, 1});
    knn.fit(c);
    EXPECT_EQ(knn.predict(split.train), split.train.y) << name;
    // Deterministic for a seed.
    EXPECT_EQ(condensed_nearest_neighbour(split.train).x, c.x);
  }
}

TEST(Prototypes, KMeansPerClass) {
  const auto& split = classic_test::sklearn_split("iris");
  const data::Dataset p = kmeans_prototypes(split.train, 3);
  ASSERT_EQ(p.size(), 9u);
  EXPECT_EQ(p.y, (std::vector<std::int32_t>{0, 0, 0, 1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(p.sample_size(), 4u);
  EXPECT_EQ(kmeans_prototypes(split.train, 1000).size(), split.train.size());  // capped per class
  EXPECT_THROW(kmeans_prototypes(split.train, 0), InputError);
}

TEST(Prototypes, AccuracyTableOnDigits) {
  const auto& split = classic_test::sklearn_split("digits");
  auto [train, validation] = split_every(split.train, 4);
  PrototypeTableOptions o;
  o.per_class = {1, 4, 16};
  const auto rows = prototype_table(train, validation, o);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].method, "full");
  EXPECT_EQ(rows[0].prototypes, train.size());
  EXPECT_EQ(rows[1].method, "condensed");
  EXPECT_EQ(rows[2].prototypes, 10u);
  EXPECT_EQ(rows[4].prototypes, 160u);
  for (const auto& r : rows) EXPECT_EQ(r.bytes, r.prototypes * (64 * 4 + 1));
  EXPECT_GT(rows[0].accuracy, 0.97);
  EXPECT_GT(rows[4].accuracy, 0.95);   // 160 centroids, about 1/6 of the rows
  EXPECT_GT(rows[2].accuracy, 0.85);   // one centroid per digit
  const std::string table = format_prototype_table(rows);
  EXPECT_NE(table.find("kmeans"), std::string::npos);
  std::printf("%s", table.c_str());

  const PrototypeRow& best = best_within_budget(rows, 20000);
  EXPECT_LE(best.bytes, 20000u);
  EXPECT_EQ(best.method, "kmeans");
  EXPECT_EQ(prototypes_of(train, best, o).size(), best.prototypes);
  EXPECT_THROW(best_within_budget(rows, 100), InputError);
}
