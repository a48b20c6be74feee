#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "tinyml/data/dataset.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"

using namespace tinyml;
using namespace tinyml::data;

namespace {
Dataset sample() {
  Dataset d;
  d.shape = {2, 2};
  d.features = {"a", "b"};
  d.classes = {"normal", "event"};
  d.x = {1, 2, 3, 4, 5, 6, 7, 8};
  d.y = {0, 1};
  d.group = {3, 4};
  d.t_begin = {0, 10};
  d.t_end = {5, 15};
  d.norm.method = "zscore";
  d.norm.features = {"a", "b"};
  d.norm.offset = {1.5, 2.5};
  d.norm.scale = {0.5, 2};
  return d;
}
std::string error_of(std::string_view bytes) {
  try {
    deserialize(bytes, "d.tds");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Dataset, RoundTripIsExact) {
  Dataset d = sample();
  std::string b = serialize(d);
  Dataset e = deserialize(b, "d.tds");
  EXPECT_EQ(e.shape, d.shape);
  EXPECT_EQ(e.features, d.features);
  EXPECT_EQ(e.classes, d.classes);
  EXPECT_EQ(e.x, d.x);
  EXPECT_EQ(e.y, d.y);
  EXPECT_EQ(e.group, d.group);
  EXPECT_EQ(e.t_end, d.t_end);
  EXPECT_EQ(e.norm.offset, d.norm.offset);
  EXPECT_EQ(serialize(e), b);
}

TEST(Dataset, TruncatedCorruptedAndNewerFilesAreRefused) {
  std::string b = serialize(sample());
  EXPECT_NE(error_of(b.substr(0, b.size() - 7)).find("checksum mismatch"), std::string::npos);
  std::string c = b;
  c[c.size() / 2] ^= 0x10;
  EXPECT_NE(error_of(c).find("checksum mismatch"), std::string::npos);
  std::string v = b;
  v[8] = 9;  // format version 9, with a valid checksum
  std::uint32_t crc = crc32(std::string_view(v).substr(0, v.size() - 4));
  std::memcpy(v.data() + v.size() - 4, &crc, 4);
  EXPECT_NE(error_of(v).find("version 9 is newer"), std::string::npos);
  EXPECT_NE(error_of("hello").find("bad magic"), std::string::npos);
}

TEST(Dataset, Crc32KnownValue) {
  // The standard check value of CRC-32/ISO-HDLC.
  EXPECT_EQ(crc32(std::string_view("123456789")), 0xCBF43926U);
}

TEST(Dataset, NormalizationFittedOnTrainOnly) {
  Dataset train;
  train.shape = {1};
  train.features = {"a"};
  train.x = {1, 2, 3};
  train.y = {0, 0, 0};
  Normalization n = fit_normalization(train, "zscore");
  EXPECT_DOUBLE_EQ(n.offset[0], 2.0);
  EXPECT_DOUBLE_EQ(n.scale[0], std::sqrt(2.0 / 3.0));
  Dataset test = train;
  test.x = {10};
  test.y = {0};
  apply_normalization(test, n);
  EXPECT_FLOAT_EQ(test.x[0], static_cast<float>(8.0 / std::sqrt(2.0 / 3.0)));
  Normalization m = fit_normalization(train, "minmax");
  EXPECT_DOUBLE_EQ(m.offset[0], 1.0);
  EXPECT_DOUBLE_EQ(m.scale[0], 2.0);
}
