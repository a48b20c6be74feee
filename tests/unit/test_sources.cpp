#include <cmath>
#include <filesystem>

#include <unistd.h>

#include <gtest/gtest.h>
#include <sndfile.h>

#include "tinyml/data/sources.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"

using namespace tinyml;
using namespace tinyml::data;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  fs::path p = fs::temp_directory_path() / ("tinyml_test_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}
std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
}  // namespace

TEST(Wav, ReadsWhatLibsndfileWrote) {
  fs::path p = temp_dir() / "tone.wav";
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 2;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  std::vector<short> pcm;
  for (int i = 0; i < 800; ++i) {
    pcm.push_back(static_cast<short>(i * 10));
    pcm.push_back(static_cast<short>(-i * 10));
  }
  sf_writef_short(f, pcm.data(), 800);
  sf_close(f);
  Table t = read_wav(p);
  ASSERT_EQ(t.rows(), 800u);
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.time_column, 0);
  EXPECT_DOUBLE_EQ(t.at("time").values[400], 0.05);
  EXPECT_DOUBLE_EQ(t.at("ch1").values[100], 1000.0 / 32768.0);
  EXPECT_DOUBLE_EQ(t.at("ch2").values[100], -1000.0 / 32768.0);

  // The same file cut short: the data chunk promises more than it holds.
  std::string bytes = read_file(p);
  write_file_atomic(p.parent_path() / "cut.wav", bytes.substr(0, bytes.size() / 2));
  try {
    read_wav(p.parent_path() / "cut.wav");
    FAIL() << "a truncated WAV was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated WAV"), std::string::npos) << e.what();
  }
  fs::remove_all(p.parent_path());
}

TEST(Idx, ParsesImagesAndLabels) {
  std::string img = std::string("\0\0\x08\x03", 4) + be32(2) + be32(2) + be32(3);
  for (int i = 0; i < 12; ++i) img.push_back(static_cast<char>(i * 20));
  std::string lab = std::string("\0\0\x08\x01", 4) + be32(2) + std::string("\x07\x02", 2);
  fs::path d = temp_dir();
  write_file_atomic(d / "img-idx3-ubyte", img);
  write_file_atomic(d / "lab-idx1-ubyte", lab);
  Dataset ds = read_idx(d / "img-idx3-ubyte", d / "lab-idx1-ubyte");
  EXPECT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.shape, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_FLOAT_EQ(ds.x[7], 140.f);
  EXPECT_EQ(ds.y, (std::vector<std::int32_t>{7, 2}));
  EXPECT_EQ(ds.classes.size(), 8u);
  // Truncated: one value short.
  EXPECT_THROW(parse_idx(img.substr(0, img.size() - 1), "x"), InputError);
  EXPECT_THROW(parse_idx(std::string("\1\0\x08\x01", 4), "x"), InputError);
  EXPECT_THROW(parse_idx(std::string("\0\0\x08\x04", 4) + be32(1), "x"), InputError);
  fs::remove_all(d);
}

TEST(Idx, FashionMnistWhenInstalled) {
  fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir / "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  Dataset d = read_idx(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(d.size(), 10000u);
  EXPECT_EQ(d.shape, (std::vector<std::uint32_t>{28, 28}));
  EXPECT_EQ(d.classes.size(), 10u);
  auto counts = d.class_counts();
  for (auto c : counts) EXPECT_EQ(c, 1000u);
}

TEST(Wav, ChunkSizeNearFourGigabytesDoesNotHang) {
  // Found by fuzzing: a chunk size of 0xFFFFFFF8 made the chunk walk wrap around.
  std::string b = "RIFF" + std::string("\x24\0\0\0", 4) + "WAVE" + "junk" +
                  std::string("\xF8\xFF\xFF\xFF", 4) + std::string(16, '\0');
  EXPECT_THROW(parse_wav(b, "x.wav"), InputError);
}
