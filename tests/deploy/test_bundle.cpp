// The model bundle: written on the host, checked and run by the runtime's interpreter
// exactly as run_int8 runs the model; every single-byte corruption and every truncation is
// refused; fields the CRC cannot vouch for (a bundle whose CRC is made good again) are
// checked field by field and never make the interpreter step outside its buffers; updates
// through two flash slots survive a power loss at every step.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>

#include "bundle_format.hpp"
#include "models.hpp"
#include "tinyml/deploy/bundle.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml_rt_bundle.h"
#include "tinyml_rt_slots.h"

using namespace tinyml;
using namespace tinyml::deploy;
namespace rb = tinyml_rt::bundle;

namespace {

// Bytes at a 4-byte aligned address, as flash holds a bundle.
struct Aligned {
  std::vector<std::uint32_t> words;
  std::size_t size = 0;
  explicit Aligned(const std::string& s) : words((s.size() + 3) / 4 + 1), size(s.size()) {
    std::memcpy(words.data(), s.data(), s.size());
  }
  std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(words.data()); }
};

tinyml_rt_status check(const std::string& bytes, tinyml_rt_bundle* out = nullptr) {
  Aligned a(bytes);
  tinyml_rt_bundle bd;
  const tinyml_rt_status st = tinyml_rt_bundle_check(a.data(), a.size, &bd);
  if (out) *out = bd;
  return st;
}

// The bundle with its CRC made good again.
std::string resealed(std::string bytes) {
  const std::uint32_t crc = crc32(std::string_view(bytes).substr(0, bytes.size() - 4));
  rb::wr32(reinterpret_cast<std::uint8_t*>(bytes.data()) + bytes.size() - 4, crc);
  return bytes;
}
// The bundle with 32-bit field `at` set to v, resealed.
std::string patched(std::string bytes, std::size_t at, std::uint32_t v) {
  rb::wr32(reinterpret_cast<std::uint8_t*>(bytes.data()) + at, v);
  return resealed(std::move(bytes));
}
std::uint32_t field(const std::string& bytes, std::size_t at) {
  return rb::rd32(reinterpret_cast<const std::uint8_t*>(bytes.data()) + at);
}

// An arena of exactly `bytes` between guard regions that must keep their pattern.
class GuardedArena {
 public:
  explicit GuardedArena(std::size_t bytes) : bytes_(bytes), words_((bytes + 2 * kGuard) / 4 + 1) {
    std::memset(words_.data(), 0x5A, words_.size() * 4);
  }
  void* arena() { return base() + kGuard; }
  std::size_t size() const { return bytes_; }
  bool guards_intact() const {
    const std::uint8_t* p = reinterpret_cast<const std::uint8_t*>(words_.data());
    for (std::size_t i = 0; i < words_.size() * 4; ++i)
      if ((i < kGuard || i >= kGuard + bytes_) && p[i] != 0x5A) return false;
    return true;
  }

 private:
  static constexpr std::size_t kGuard = 64;
  std::uint8_t* base() { return reinterpret_cast<std::uint8_t*>(words_.data()); }
  std::size_t bytes_;
  std::vector<std::uint32_t> words_;
};

optimize::Int8File file_of(optimize::Int8Model m) {
  optimize::Int8File f;
  f.model = std::move(m);
  f.classes = {"low", "high"};
  return f;
}

std::string random_bundle(std::uint64_t seed, std::uint32_t version = 1) {
  const optimize::Int8File f = file_of(deploy_test::random_model(seed));
  BundleOptions o;
  o.model_version = version;
  return make_bundle(f, plan_memory(f.model), o);
}

}  // namespace

TEST(Bundle, Crc32MatchesTheHostsAndTheStandardCheckValue) {
  EXPECT_EQ(tinyml_rt_crc32(0, "123456789", 9), 0xCBF43926u);
  data::Rng rng(5);
  std::string s;
  for (int i = 0; i < 5000; ++i) s.push_back(static_cast<char>(rng.below(256)));
  EXPECT_EQ(tinyml_rt_crc32(0, s.data(), s.size()), crc32(s));
  // In two pieces, as the update streams it.
  EXPECT_EQ(tinyml_rt_crc32(tinyml_rt_crc32(0, s.data(), 1234), s.data() + 1234, s.size() - 1234), crc32(s));
}

TEST(Bundle, TrainedModelRunsOnTheInterpreterAsRunInt8Does) {
  const optimize::Int8File f = deploy_test::trained_digits_model();
  const MemoryPlan p = plan_memory(f.model);
  auto d = testdata::digits();
  BundleOptions o;
  o.model_version = 7;
  o.self_test_input = data::raw_sample(d[2], 0);
  o.thresholds = {0.5f, 2.0f};
  const std::string bytes = make_bundle(f, p, o);
  Aligned a(bytes);
  tinyml_rt_bundle bd;
  ASSERT_EQ(tinyml_rt_bundle_check(a.data(), a.size, &bd), TINYML_RT_OK) << bd.problem;
  std::printf("digits bundle: %zu bytes (%zu weight bytes), arena %u bytes, %u operations\n", bytes.size(),
              f.model.weight_bytes(), bd.arena_bytes, bd.num_ops);
  EXPECT_EQ(bd.model_version, 7u);
  EXPECT_EQ(bd.arena_bytes, p.arena_bytes);
  EXPECT_EQ(bd.runtime_compat, 1u);
  EXPECT_EQ(bd.num_ops, f.model.ops.size());
  ASSERT_EQ(bd.num_classes, 10u);
  for (std::uint32_t k = 0; k < 10; ++k) EXPECT_EQ(tinyml_rt_bundle_class_name(&bd, k), f.classes[k]);
  EXPECT_EQ(tinyml_rt_bundle_class_name(&bd, 10), nullptr);
  ASSERT_EQ(bd.num_thresholds, 2u);
  EXPECT_EQ(bd.thresholds[1], 2.0f);
  ASSERT_EQ(bd.input_quantization.channels, static_cast<std::int32_t>(f.model.input_mul.size()));
  GuardedArena arena(bd.arena_bytes);
  EXPECT_EQ(tinyml_rt_bundle_self_test(&bd, arena.arena(), arena.size()), TINYML_RT_OK);
  std::size_t agree = 0;
  for (std::size_t i = 0; i < d[2].size(); ++i) {
    // The device's path: raw readings through the bundle's input quantization, then the
    // interpreter.
    const std::vector<float> raw = data::raw_sample(d[2], i);
    std::vector<std::int8_t> q(bd.input_bytes), y(bd.output_bytes);
    ASSERT_EQ(tinyml_rt_quantize_affine_f32_s8(&bd.input_quantization, raw.data(), q.data(),
                                               static_cast<std::int32_t>(q.size())),
              TINYML_RT_OK);
    ASSERT_EQ(q, optimize::quantize_input(f.model, raw.data()));
    ASSERT_EQ(tinyml_rt_bundle_invoke(&bd, arena.arena(), arena.size(), q.data(), y.data()), TINYML_RT_OK);
    ASSERT_EQ(y, optimize::run_int8(f.model, raw.data())) << "sample " << i;
    agree += 1;
  }
  EXPECT_TRUE(arena.guards_intact());
  EXPECT_EQ(agree, d[2].size());
  // One byte less of arena is refused before anything runs.
  std::vector<std::int8_t> y(bd.output_bytes, 9);
  EXPECT_EQ(tinyml_rt_bundle_invoke(&bd, arena.arena(), arena.size() - 1, bd.self_test_input, y.data()),
            TINYML_RT_SCRATCH_TOO_SMALL);
  EXPECT_EQ(y, std::vector<std::int8_t>(bd.output_bytes, 9));
}

TEST(Bundle, RandomModelsRunOnTheInterpreterAsRunInt8Does) {
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    const optimize::Int8File f = file_of(deploy_test::random_model(seed));
    PlanOptions po;
    po.reuse_input = seed % 2 == 0;
    const std::string bytes = make_bundle(f, plan_memory(f.model, po));
    tinyml_rt_bundle bd;
    Aligned a(bytes);
    ASSERT_EQ(tinyml_rt_bundle_check(a.data(), a.size, &bd), TINYML_RT_OK) << "seed " << seed << ": " << bd.problem;
    GuardedArena arena(bd.arena_bytes);
    data::Rng rng(seed);
    for (int trial = 0; trial < 4; ++trial) {
      std::vector<std::int8_t> x(bd.input_bytes), y(bd.output_bytes);
      for (auto& v : x) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
      ASSERT_EQ(tinyml_rt_bundle_invoke(&bd, arena.arena(), arena.size(), x.data(), y.data()), TINYML_RT_OK);
      ASSERT_EQ(y, optimize::run_int8_quantized(f.model, x.data())) << "seed " << seed;
    }
    EXPECT_TRUE(arena.guards_intact()) << "seed " << seed;
  }
}

TEST(Bundle, EverySingleByteCorruptionAndEveryTruncationIsRefused) {
  const optimize::Int8File f = deploy_test::trained_digits_model();
  const std::string bytes = make_bundle(f, plan_memory(f.model));
  ASSERT_EQ(check(bytes), TINYML_RT_OK);
  std::size_t cases = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned x : {0x01u, 0x80u, 0xFFu, 0x5Au}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ static_cast<char>(x));
      ASSERT_NE(check(bad), TINYML_RT_OK) << "byte " << i << " xor " << x;
      ++cases;
    }
  }
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ASSERT_NE(check(bytes.substr(0, n)), TINYML_RT_OK) << "cut to " << n;
    ++cases;
  }
  EXPECT_NE(check(bytes + '\0'), TINYML_RT_OK);
  std::printf("%zu-byte bundle: %zu corruptions and truncations, all refused\n", bytes.size(), cases);
}

TEST(Bundle, CorruptionsBehindAGoodCrcAreRefusedOrRunSafely) {
  // Each byte changed and the CRC made good again: the structural checks refuse what
  // would be unsafe; what they accept (a changed weight, say) must run inside its buffers
  // (AddressSanitizer watches the exact-size arena and the bundle).
  for (std::uint64_t seed : {3u, 8u, 21u}) {
    const std::string bytes = random_bundle(seed);
    std::size_t refused = 0, ran = 0;
    for (std::size_t i = 0; i + 4 < bytes.size(); ++i) {
      for (unsigned x : {0x01u, 0xFFu}) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ static_cast<char>(x));
        Aligned a(resealed(bad));
        tinyml_rt_bundle bd;
        if (tinyml_rt_bundle_check(a.data(), a.size, &bd) != TINYML_RT_OK) {
          ++refused;
          continue;
        }
        if (bd.arena_bytes > (1u << 20)) continue;  // a huge arena claimed: nothing to run it in
        std::vector<std::uint32_t> arena(bd.arena_bytes / 4 + 1);
        std::vector<std::int8_t> y(bd.output_bytes);
        tinyml_rt_bundle_invoke(&bd, arena.data(), bd.arena_bytes, bd.self_test_input, y.data());
        ++ran;
      }
    }
    std::printf("seed %u: %zu-byte bundle, %zu changes refused by the checks, %zu accepted and run safely\n",
                static_cast<unsigned>(seed), bytes.size(), refused, ran);
    EXPECT_GT(refused, 0u);
  }
}

TEST(Bundle, ImpossibleFieldsAreRefusedByName) {
  const optimize::Int8File f = deploy_test::trained_digits_model();
  const std::string bytes = make_bundle(f, plan_memory(f.model));
  const std::uint32_t ops = field(bytes, rb::at(rb::kOpsOffset)), tensors = field(bytes, rb::at(rb::kTensorsOffset));
  auto refused = [&](std::size_t at, std::uint32_t v, tinyml_rt_status want, const std::string& says) {
    tinyml_rt_bundle bd;
    EXPECT_EQ(check(patched(bytes, at, v), &bd), want) << says;
    EXPECT_NE(std::string(bd.problem ? bd.problem : "").find(says), std::string::npos)
        << (bd.problem ? bd.problem : "(none)") << "; expected " << says;
  };
  // The first convolution (operation 1; operation 0 is the reshape of the input).
  ASSERT_EQ(field(bytes, ops + rb::kOpBytes + rb::at(rb::kOpKind)), rb::kConv2D);
  const std::size_t conv = ops + rb::kOpBytes;
  const std::uint32_t mult = field(bytes, conv + rb::at(rb::kOpMultipliersOffset));
  refused(mult + 8, 12345, TINYML_RT_BAD_BUNDLE, "multiplier outside [2^30, 2^31)");
  refused(field(bytes, conv + rb::at(rb::kOpShiftsOffset)), 40, TINYML_RT_BAD_BUNDLE, "shift outside [-31, 30]");
  refused(tensors + 2 * rb::kTensorBytes + rb::at(rb::kTensorZeroPoint), 200, TINYML_RT_BAD_BUNDLE, "zero point outside int8");
  refused(tensors + 2 * rb::kTensorBytes + rb::at(rb::kTensorScale), 0, TINYML_RT_BAD_BUNDLE, "scale is not positive");
  refused(tensors + 2 * rb::kTensorBytes + rb::at(rb::kTensorScale), 0x7F800000u, TINYML_RT_BAD_BUNDLE, "scale is not positive");
  refused(rb::at(rb::kArenaBytes), field(bytes, rb::at(rb::kArenaBytes)) - 1, TINYML_RT_BAD_BUNDLE, "arena");
  refused(conv + rb::at(rb::kOpParams) + 4 * 8, 200, TINYML_RT_BAD_BUNDLE, "convolution parameters");  // act_min 200
  refused(conv + rb::at(rb::kOpParams), 0, TINYML_RT_BAD_BUNDLE, "convolution parameters");             // stride 0
  refused(conv + rb::at(rb::kOpParams) + 4 * 6, 5, TINYML_RT_BAD_BUNDLE, "zero points differ");
  refused(conv + rb::at(rb::kOpWeightsBytes), field(bytes, conv + rb::at(rb::kOpWeightsBytes)) - 1, TINYML_RT_BAD_BUNDLE,
          "weight bytes do not fill");
  refused(conv + rb::at(rb::kOpOutput), field(bytes, conv + rb::at(rb::kOpInput)), TINYML_RT_BAD_BUNDLE, "shape does not match");
  refused(conv + rb::at(rb::kOpKind), 99, TINYML_RT_BAD_BUNDLE, "unknown kind");
  refused(rb::at(rb::kNumOps), 100000, TINYML_RT_BAD_BUNDLE, "operation table out of bounds");
  refused(rb::at(rb::kDataBytes), 0xFFFFFF00u, TINYML_RT_BAD_BUNDLE, "data area out of bounds");
  refused(rb::at(rb::kNumClasses), 9, TINYML_RT_BAD_BUNDLE, "class names");
  refused(rb::at(rb::kInputChannels), 7, TINYML_RT_BAD_BUNDLE, "input quantization channels");
  refused(rb::at(rb::kReservedBegin) + 4, 1, TINYML_RT_BAD_BUNDLE, "reserved");
  refused(rb::at(rb::kRuntimeCompat), TINYML_RT_COMPAT_VERSION + 1, TINYML_RT_INCOMPATIBLE, "newer runtime");
  refused(rb::at(rb::kFormatVersion), TINYML_RT_BUNDLE_FORMAT_VERSION + 1, TINYML_RT_INCOMPATIBLE, "format version");
}

TEST(Bundle, HostRefusesAPlanThatDoesNotFitAndASelfTestOfTheWrongSize) {
  const optimize::Int8File f = file_of(deploy_test::random_model(4));
  MemoryPlan p = plan_memory(f.model);
  BundleOptions o;
  o.self_test_input = {1.0f};
  EXPECT_THROW(make_bundle(f, p, o), Failure);
  p.arena_bytes -= 1;
  EXPECT_THROW(make_bundle(f, p), Failure);
}

// ---- Two slots over a simulated flash ---------------------------------------------------

namespace {

constexpr std::uint32_t kSlotBytes = 1 << 16;

// NOR-like flash: erase sets 0xFF, writes clear bits (dst &= src). After `budget`
// operations (erases and writes) the power fails: that operation does half its work and
// every later one fails.
class Flash {
 public:
  explicit Flash(std::uint32_t slot_bytes) : slot_bytes_(slot_bytes) {
    for (auto& s : slot_) s.assign(slot_bytes / 4, 0xFFFFFFFFu);
    for (auto& m : meta_) m.assign(64, 0xFF);
  }
  long budget = -1;  // operations before the power fails; -1: never
  long operations = 0;
  bool read_fails = false;

  tinyml_rt_flash api() {
    tinyml_rt_flash f{};
    f.context = this;
    f.read = [](void* c, int32_t r, uint32_t off, void* data, uint32_t n) {
      return static_cast<Flash*>(c)->read(r, off, data, n);
    };
    f.erase = [](void* c, int32_t r) { return static_cast<Flash*>(c)->erase(r); };
    f.write = [](void* c, int32_t r, uint32_t off, const void* data, uint32_t n) {
      return static_cast<Flash*>(c)->write(r, off, data, n);
    };
    f.slot_data[0] = bytes(0);
    f.slot_data[1] = bytes(1);
    f.slot_bytes = slot_bytes_;
    return f;
  }
  std::uint8_t* bytes(int region) {
    return region < 2 ? reinterpret_cast<std::uint8_t*>(slot_[region].data()) : meta_[region - 2].data();
  }
  std::size_t region_size(int region) const { return region < 2 ? slot_bytes_ : meta_[region - 2].size(); }

 private:
  // Counts an operation: 1 to do it, 0 to do half of it (the power fails), -1 to fail.
  int tick() {
    ++operations;
    if (budget < 0 || operations <= budget) return 1;
    return operations == budget + 1 ? 0 : -1;
  }
  int read(int32_t r, uint32_t off, void* data, uint32_t n) {
    if (read_fails || r < 0 || r > 3 || off + n > region_size(r)) return -1;
    std::memcpy(data, bytes(r) + off, n);
    return 0;
  }
  int erase(int32_t r) {
    if (r < 0 || r > 3) return -1;
    const int t = tick();
    if (t < 0) return -1;
    std::memset(bytes(r), 0xFF, t ? region_size(r) : region_size(r) / 2);
    return t ? 0 : -1;
  }
  int write(int32_t r, uint32_t off, const void* data, uint32_t n) {
    if (r < 0 || r > 3 || off + n > region_size(r)) return -1;
    const int t = tick();
    if (t < 0) return -1;
    const auto* src = static_cast<const std::uint8_t*>(data);
    for (uint32_t i = 0; i < (t ? n : n / 2); ++i) bytes(r)[off + i] &= src[i];
    return t ? 0 : -1;
  }

  std::uint32_t slot_bytes_;
  std::vector<std::uint32_t> slot_[2];
  std::vector<std::uint8_t> meta_[2];
};

// Streams `bundle` into the inactive slot in 100-byte chunks and finishes the update.
tinyml_rt_status update(tinyml_rt_slots& s, const tinyml_rt_flash& f, const std::string& bundle) {
  tinyml_rt_status st = tinyml_rt_update_begin(&s, &f, static_cast<std::uint32_t>(bundle.size()));
  for (std::size_t at = 0; st == TINYML_RT_OK && at < bundle.size(); at += 100) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(100, bundle.size() - at));
    st = tinyml_rt_update_write(&s, &f, bundle.data() + at, n);
  }
  if (st != TINYML_RT_OK) return st;
  std::vector<std::uint32_t> arena(1 << 14);
  return tinyml_rt_update_finish(&s, &f, arena.data(), arena.size() * 4);
}

// The model version the device runs after a reboot (-1: none).
long boot_version(Flash& flash) {
  flash.budget = -1;
  const tinyml_rt_flash f = flash.api();
  tinyml_rt_slots s;
  if (tinyml_rt_slots_boot(&s, &f) != TINYML_RT_OK) return -1;
  return s.bundle.model_version;
}

}  // namespace

TEST(Slots, UpdatesSwitchSlotsAndSurviveReboots) {
  Flash flash(kSlotBytes);
  const tinyml_rt_flash f = flash.api();
  tinyml_rt_slots s;
  EXPECT_EQ(tinyml_rt_slots_boot(&s, &f), TINYML_RT_NO_MODEL);
  EXPECT_EQ(s.active, -1);
  ASSERT_EQ(update(s, f, random_bundle(5, 1)), TINYML_RT_OK);
  EXPECT_EQ(s.active, 0);
  EXPECT_EQ(boot_version(flash), 1);
  ASSERT_EQ(update(s, f, random_bundle(6, 2)), TINYML_RT_OK);
  EXPECT_EQ(s.active, 1);
  EXPECT_EQ(s.bundle.model_version, 2u);
  EXPECT_EQ(boot_version(flash), 2);
  ASSERT_EQ(update(s, f, random_bundle(7, 3)), TINYML_RT_OK);  // over the older slot, A
  EXPECT_EQ(s.active, 0);
  EXPECT_EQ(s.sequence, 3u);
  EXPECT_EQ(boot_version(flash), 3);
  // Bit rot in the running slot: the next boot rolls back to the other one.
  flash.bytes(0)[200] ^= 0x10;
  EXPECT_EQ(boot_version(flash), 2);
  flash.bytes(0)[200] ^= 0x10;
  // A torn record counts as none.
  flash.bytes(2)[9] ^= 1;
  EXPECT_EQ(boot_version(flash), 2);
  flash.bytes(2)[9] ^= 1;
  EXPECT_EQ(boot_version(flash), 3);
  flash.read_fails = true;
  EXPECT_EQ(boot_version(flash), -1);
}

TEST(Slots, BadBundlesNeverBecomeActive) {
  Flash flash(kSlotBytes);
  const tinyml_rt_flash f = flash.api();
  tinyml_rt_slots s;
  tinyml_rt_slots_boot(&s, &f);
  ASSERT_EQ(update(s, f, random_bundle(5, 1)), TINYML_RT_OK);
  const std::string good = random_bundle(6, 2);
  // Self-test output changed (CRC made good): checks out, fails its self-test.
  const std::uint32_t out_at = field(good, rb::at(rb::kSelfTestOutputOffset));
  std::string wrong = good;
  wrong[out_at] = static_cast<char>(wrong[out_at] ^ 1);
  wrong = resealed(wrong);
  ASSERT_EQ(check(wrong), TINYML_RT_OK);
  EXPECT_EQ(update(s, f, wrong), TINYML_RT_SELF_TEST_FAILED);
  EXPECT_EQ(s.active, 0);
  EXPECT_EQ(boot_version(flash), 1);
  // A newer runtime needed.
  EXPECT_EQ(update(s, f, patched(good, rb::at(rb::kRuntimeCompat), TINYML_RT_COMPAT_VERSION + 1)), TINYML_RT_INCOMPATIBLE);
  EXPECT_EQ(boot_version(flash), 1);
  // Corrupted in transit.
  std::string corrupt = good;
  corrupt[300] = static_cast<char>(corrupt[300] ^ 0x40);
  EXPECT_EQ(update(s, f, corrupt), TINYML_RT_BAD_BUNDLE);
  EXPECT_EQ(boot_version(flash), 1);
  // Too big for a slot, and an unfinished update.
  EXPECT_EQ(tinyml_rt_update_begin(&s, &f, kSlotBytes + 1), TINYML_RT_FLASH_ERROR);
  ASSERT_EQ(tinyml_rt_update_begin(&s, &f, static_cast<std::uint32_t>(good.size())), TINYML_RT_OK);
  ASSERT_EQ(tinyml_rt_update_write(&s, &f, good.data(), 100), TINYML_RT_OK);
  std::vector<std::uint32_t> arena(1 << 14);
  EXPECT_EQ(tinyml_rt_update_finish(&s, &f, arena.data(), arena.size() * 4), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(boot_version(flash), 1);
  // The good one still goes through after all that.
  ASSERT_EQ(update(s, f, good), TINYML_RT_OK);
  EXPECT_EQ(boot_version(flash), 2);
}

TEST(Slots, PowerLossAtEveryStepLeavesTheOldModelOrTheNewOne) {
  // Two histories: updating a device that runs only A, and one whose update goes over the
  // older of two committed slots.
  for (int history = 0; history < 2; ++history) {
    Flash start(kSlotBytes);
    {
      const tinyml_rt_flash f = start.api();
      tinyml_rt_slots s;
      tinyml_rt_slots_boot(&s, &f);
      ASSERT_EQ(update(s, f, random_bundle(5, 1)), TINYML_RT_OK);
      if (history == 1) {
        ASSERT_EQ(update(s, f, random_bundle(6, 2)), TINYML_RT_OK);
      }
    }
    const long old_version = history == 0 ? 1 : 2;
    const std::string next = random_bundle(9, 10);
    // The operations a complete update takes.
    Flash probe = start;
    probe.operations = 0;
    {
      const tinyml_rt_flash f = probe.api();
      tinyml_rt_slots s;
      tinyml_rt_slots_boot(&s, &f);
      ASSERT_EQ(update(s, f, next), TINYML_RT_OK);
    }
    const long total = probe.operations;
    for (long n = 0; n <= total; ++n) {
      Flash flash = start;
      flash.operations = 0;
      flash.budget = n;
      const tinyml_rt_flash f = flash.api();
      tinyml_rt_slots s;
      ASSERT_EQ(tinyml_rt_slots_boot(&s, &f), TINYML_RT_OK);
      const tinyml_rt_status st = update(s, f, next);
      EXPECT_EQ(st == TINYML_RT_OK, n >= total) << "power lost after " << n << " operations";
      EXPECT_EQ(boot_version(flash), n >= total ? 10 : old_version) << "power lost after " << n << " of " << total;
      // The device is not bricked: a later update goes through.
      const tinyml_rt_flash g = flash.api();
      ASSERT_EQ(tinyml_rt_slots_boot(&s, &g), TINYML_RT_OK);
      ASSERT_EQ(update(s, g, random_bundle(11, 20)), TINYML_RT_OK) << n;
      EXPECT_EQ(boot_version(flash), 20);
    }
    std::printf("history %d: power lost at each of the %ld flash operations of an update: the old model ran after "
                "every one of them\n",
                history, total);
  }
}
