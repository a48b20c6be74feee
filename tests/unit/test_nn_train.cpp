// Training on real data with fixed seeds: the accuracy floors the train stage promises.
#include <gtest/gtest.h>

#include "tinyml/data/csv.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"
#include "tinyml/nn/parallel.hpp"
#include "tinyml/nn/train.hpp"
#include "digits.hpp"

using namespace tinyml;
using namespace tinyml::nn;

namespace {

Model small_cnn() {
  Model m;
  m.layers.push_back(std::make_unique<Reshape>(Shape{8, 8, 1}));
  m.layers.push_back(std::make_unique<Conv2D>(ConvSpec{16, 3, 3, 1, 1, 1, 1, Padding::Same, 1}));
  m.layers.push_back(std::make_unique<Activation>(Act::ReLU));
  m.layers.push_back(std::make_unique<Pool2D>(true, 2, 2, 2, 2, Padding::Valid, false));
  m.layers.push_back(std::make_unique<Conv2D>(ConvSpec{32, 3, 3, 1, 1, 1, 1, Padding::Same, 1}));
  m.layers.push_back(std::make_unique<Activation>(Act::ReLU));
  m.layers.push_back(std::make_unique<Pool2D>(true, 2, 2, 2, 2, Padding::Valid, false));
  m.layers.push_back(std::make_unique<Reshape>(Shape{}, true));
  m.layers.push_back(std::make_unique<Dense>(10));
  m.build({8, 8}, 42);
  return m;
}

double accuracy(const std::vector<std::int32_t>& p, const std::vector<std::int32_t>& y) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < y.size(); ++i) ok += p[i] == y[i];
  return static_cast<double>(ok) / static_cast<double>(y.size());
}

}  // namespace

TEST(NnTrain, DigitsSmallCnnReaches97PercentAndIsDeterministic) {
  auto d = testdata::digits();
  TrainConfig c;
  c.epochs = 15;
  c.batch_size = 32;
  c.optimizer.lr = 3e-3f;
  c.schedule = "cosine";
  Model m = small_cnn();
  TrainResult r = train_classifier(m, d[0], &d[1], c);
  double acc = accuracy(predict(m, d[2]), d[2].y);
  std::printf("digits small CNN: %zu parameters, test accuracy %.4f (best epoch %d)\n", m.parameter_count(), acc,
              r.best_epoch);
  EXPECT_GE(acc, 0.97);
  // Same data and seed: the same weights, bit for bit, on one thread or several (the
  // work is cut into chunks by the batch size alone, and the chunks' sums are added in
  // chunk order).
  const int before = threads();
  for (int t : {1, 2, 3}) {
    set_threads(t);
    Model again = small_cnn();
    train_classifier(again, d[0], &d[1], c);
    auto a = m.params(), b = again.params();
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i]->w, b[i]->w) << "threads " << t << ", parameter " << i;
  }
  set_threads(before);
}

TEST(NnParallel, ChunksDependOnTheSizeOnlyAndCoverEveryItemOnce) {
  EXPECT_EQ(chunk_count(0, 1), 1);
  EXPECT_EQ(chunk_count(10, 16), 1);
  EXPECT_EQ(chunk_count(64, 16), 4);
  EXPECT_EQ(chunk_count(100000, 1), kMaxChunks);
  const int before = threads();
  for (int t : {1, 2, 4}) {
    set_threads(t);
    for (std::size_t n : {0UL, 1UL, 5UL, 64UL, 1000UL}) {
      std::vector<int> hits(n, 0);
      std::vector<int> seen(kMaxChunks, 0);
      int chunks = parallel_for(n, 3, [&](int k, std::size_t b, std::size_t e) {
        seen[static_cast<std::size_t>(k)] += 1;
        for (std::size_t i = b; i < e; ++i) hits[i] += 1;
      });
      EXPECT_EQ(chunks, chunk_count(n, 3));
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i], 1) << "n " << n << " item " << i;
      for (int k = 0; k < chunks; ++k) EXPECT_EQ(seen[static_cast<std::size_t>(k)], 1);
    }
  }
  set_threads(before);
}
