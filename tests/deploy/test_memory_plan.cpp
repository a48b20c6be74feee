// The memory planner: hand-built models with known optimal peaks, the reuse it must find
// (ping-pong buffers, an add over a dying input, a reshape sharing its input's bytes),
// the model input kept intact or reused, random graphs, and runs of real models in one
// arena at the planned offsets, byte for byte equal to run_int8.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "models.hpp"
#include "tinyml/deploy/memory_plan.hpp"
#include "tinyml/error.hpp"

using namespace tinyml;
using namespace tinyml::deploy;
using deploy_test::Int8Model;
using deploy_test::Int8Op;
using deploy_test::OpKind;

namespace {

// A model built by hand for planning: tensors by shape, operations by kind (with weight
// shapes that fit, so the runtime's scratch companions can be asked).
struct Graph {
  Int8Model m;
  std::size_t input;
  explicit Graph(std::vector<int> input_shape) : input(tensor(std::move(input_shape))) { m.input = input; }
  std::size_t tensor(std::vector<int> shape) {
    m.tensors.push_back({std::move(shape), {0.05f, 0}});
    return m.tensors.size() - 1;
  }
  std::size_t op(OpKind kind, std::size_t in, std::vector<int> out_shape, std::size_t in2 = 0) {
    Int8Op o;
    o.kind = kind;
    o.input = in;
    o.input2 = in2;
    o.output = tensor(std::move(out_shape));
    if (kind == OpKind::FullyConnected)
      o.weight_shape = {static_cast<int>(nn::numel(m.tensors[o.output].shape)),
                        static_cast<int>(nn::numel(m.tensors[in].shape))};
    m.ops.push_back(o);
    m.output = o.output;
    return o.output;
  }
  // Operations one after the other from the input; their outputs.
  std::vector<std::size_t> chain(std::initializer_list<std::pair<OpKind, std::vector<int>>> steps) {
    std::vector<std::size_t> t;
    for (const auto& [kind, shape] : steps) t.push_back(op(kind, t.empty() ? input : t.back(), shape));
    return t;
  }
};

// Byte ranges [offset, offset + size) of two tensors overlap.
bool overlap(const Int8Model& m, const MemoryPlan& p, std::size_t a, std::size_t b) {
  const std::size_t a0 = p.tensor_offset[a], a1 = a0 + nn::numel(m.tensors[a].shape);
  const std::size_t b0 = p.tensor_offset[b], b1 = b0 + nn::numel(m.tensors[b].shape);
  return a0 < b1 && b0 < a1;
}

// Runs `sample` in an arena of exactly p.arena_bytes between two guard regions filled with
// a pattern, checks the guards are untouched and returns the output.
std::vector<std::int8_t> run_guarded(const Int8Model& m, const MemoryPlan& p, const float* sample) {
  constexpr std::size_t kGuard = 64;
  std::vector<std::uint64_t> storage((p.arena_bytes + 2 * kGuard) / 8 + 1);
  auto* base = reinterpret_cast<std::uint8_t*>(storage.data());
  const std::size_t total = storage.size() * 8;
  std::memset(base, 0xA5, total);
  auto y = run_int8_in_arena(m, p, sample, base + kGuard);
  for (std::size_t i = 0; i < kGuard; ++i) EXPECT_EQ(base[i], 0xA5) << "guard before the arena, byte " << i;
  for (std::size_t i = kGuard + p.arena_bytes; i < total; ++i)
    EXPECT_EQ(base[i], 0xA5) << "guard after the arena, byte " << i - kGuard - p.arena_bytes;
  return y;
}

}  // namespace

TEST(MemoryPlan, ChainPingPongsBetweenTwoBuffers) {
  // 64 -> 128 -> 128 -> 128 -> 64 -> 10. At most two activations meet at a time (plus the
  // input, when it is kept), so the optimum is the largest pair.
  Graph g({64});
  const OpKind fc = OpKind::FullyConnected;
  const auto t = g.chain({{fc, {128}}, {fc, {128}}, {fc, {128}}, {fc, {64}}, {fc, {10}}});
  const std::size_t t1 = t[0], t2 = t[1], t3 = t[2];
  PlanOptions reuse;
  reuse.reuse_input = true;
  const MemoryPlan p = plan_memory(g.m, reuse);
  check_plan(g.m, p);
  EXPECT_EQ(p.arena_bytes, 256u) << p.strategy;
  EXPECT_EQ(p.tensor_offset[t1], p.tensor_offset[t3]);  // ping-pong
  EXPECT_NE(p.tensor_offset[t1], p.tensor_offset[t2]);
  EXPECT_EQ(p.naive_bytes, 64u + 128 + 128 + 128 + 64 + 10);
  const MemoryPlan kept = plan_memory(g.m);
  check_plan(g.m, kept);
  EXPECT_EQ(kept.arena_bytes, 64u + 256) << kept.strategy;  // the input stays beside the pair
  EXPECT_LE(kept.arena_bytes, kept.greedy_bytes);
}

TEST(MemoryPlan, ResidualAddWritesOverAnInputThatDies) {
  // in[32] -> a[64] -> b[64]; c = a + b [64] -> out[8]. Without writing in place the add
  // holds a, b and c at once (32 + 192); over a dying input it needs 32 + 128.
  Graph g({32});
  const std::size_t in = g.input;
  const std::size_t a = g.op(OpKind::FullyConnected, in, {64});
  const std::size_t b = g.op(OpKind::FullyConnected, a, {64});
  const std::size_t c = g.op(OpKind::Add, a, {64}, b);
  g.op(OpKind::FullyConnected, c, {8});
  const MemoryPlan p = plan_memory(g.m);
  check_plan(g.m, p);
  EXPECT_EQ(p.arena_bytes, 160u) << p.strategy;
  EXPECT_EQ(p.greedy_bytes, 224u);
  EXPECT_TRUE(p.tensor_offset[c] == p.tensor_offset[a] || p.tensor_offset[c] == p.tensor_offset[b]);
  EXPECT_NE(p.strategy.find("in place"), std::string::npos) << p.strategy;

  // When `a` is read again after the add, only `b` may be overwritten.
  Graph h({32});
  const std::size_t in2 = h.input;
  const std::size_t a2 = h.op(OpKind::FullyConnected, in2, {64});
  const std::size_t b2 = h.op(OpKind::FullyConnected, a2, {64});
  const std::size_t c2 = h.op(OpKind::Add, a2, {64}, b2);
  h.op(OpKind::Add, c2, {64}, a2);
  const MemoryPlan q = plan_memory(h.m);
  check_plan(h.m, q);
  EXPECT_FALSE(overlap(h.m, q, a2, c2));
  EXPECT_EQ(q.tensor_offset[c2], q.tensor_offset[b2]);
  EXPECT_EQ(q.arena_bytes, 32u + 128) << q.strategy;
}

TEST(MemoryPlan, ReshapeSharesItsInputsBytes) {
  // in[4,4,2] -> conv -> t1[4,4,4] -> flatten -> t2[64] -> dense -> out[10]:
  // 32 + 64 + the conv's scratch at the conv, 64 + 10 at the dense layer; the flatten costs
  // nothing.
  Graph g({4, 4, 2});
  const std::size_t in = g.input;
  const std::size_t t1 = g.op(OpKind::Conv2D, in, {4, 4, 4});
  g.m.ops.back().weight_shape = {4, 1, 1, 2};
  const std::size_t t2 = g.op(OpKind::Reshape, t1, {64});
  g.op(OpKind::FullyConnected, t2, {10});
  const MemoryPlan p = plan_memory(g.m);
  check_plan(g.m, p);
  EXPECT_EQ(p.tensor_offset[t1], p.tensor_offset[t2]);
  const std::size_t scratch = op_scratch_bytes(g.m, 0);
  EXPECT_GT(scratch, 0u);  // the fast path's columns and requantization table
  EXPECT_EQ(p.arena_bytes, 32u + 64 + scratch) << p.strategy;
  // No reuse: the four tensors (170 bytes), then the scratch at the next 16-byte boundary.
  EXPECT_EQ(p.naive_bytes, 176u + scratch);
}

TEST(MemoryPlan, InputIsKeptIntactUnlessReused) {
  // in[64] -> logistic -> t1[64] -> dense -> t2[64] -> tanh -> out[64].
  Graph g({64});
  const auto ts = g.chain({{OpKind::Logistic, {64}}, {OpKind::FullyConnected, {64}}, {OpKind::Tanh, {64}}});
  const std::size_t in = g.input, t1 = ts[0], t2 = ts[1], out = ts[2];
  const MemoryPlan kept = plan_memory(g.m);
  check_plan(g.m, kept);
  for (std::size_t t : {t1, t2, out}) EXPECT_FALSE(overlap(g.m, kept, in, t)) << "tensor " << t;
  EXPECT_EQ(kept.arena_bytes, 192u) << kept.strategy;
  EXPECT_EQ(kept.tensor_offset[out], kept.tensor_offset[t2]);  // tanh in place
  PlanOptions o;
  o.reuse_input = true;
  const MemoryPlan reused = plan_memory(g.m, o);
  check_plan(g.m, reused);
  EXPECT_EQ(reused.tensor_offset[t1], reused.tensor_offset[in]);  // logistic over the input
  EXPECT_EQ(reused.arena_bytes, 128u) << reused.strategy;
}

TEST(MemoryPlan, MeanScratchComesFromTheKernelAndIsPlanned) {
  Graph g({4, 4, 8});
  const std::size_t in = g.input;
  const std::size_t t1 = g.op(OpKind::Mean, in, {8});
  g.op(OpKind::FullyConnected, t1, {3});
  EXPECT_EQ(op_scratch_bytes(g.m, 0), 32u);  // 8 int32 sums
  EXPECT_EQ(op_scratch_bytes(g.m, 1), 0u);
  const MemoryPlan p = plan_memory(g.m);
  check_plan(g.m, p);
  ASSERT_EQ(p.scratch_bytes, (std::vector<std::size_t>{32, 0}));
  EXPECT_EQ(p.scratch_offset[0] % 16, 0u);
  // 128 + 32 + 8 during the mean (the scratch at 128, the 8 sums' output at 160; the other
  // way round the scratch would have to start at 144).
  EXPECT_EQ(p.arena_bytes, 168u) << p.strategy;
}

TEST(MemoryPlan, CheckPlanNamesTheOverlappingBlocks) {
  Graph g({16});
  const std::size_t in = g.input;
  const std::size_t a = g.op(OpKind::FullyConnected, in, {16});
  const std::size_t b = g.op(OpKind::FullyConnected, a, {16});
  g.op(OpKind::FullyConnected, b, {16});
  const MemoryPlan p = plan_memory(g.m);
  auto refused = [&](const MemoryPlan& bad, const std::string& says) {
    try {
      check_plan(g.m, bad);
      ADD_FAILURE() << "accepted; expected: " << says;
    } catch (const Failure& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  MemoryPlan bad = p;
  bad.tensor_offset[b] = bad.tensor_offset[a] + 8;  // half over a, which b's op reads
  refused(bad, fmt::format("tensor {} (bytes [", std::min(a, b)));
  refused(bad, "overlap while both are live");
  bad = p;
  bad.arena_bytes -= 1;
  refused(bad, "runs past the arena");
  bad = p;
  bad.tensor_offset[a] = MemoryPlan::kUnused;
  refused(bad, fmt::format("tensor {} is used but has no offset", a));
  bad = p;
  bad.tensor_offset[b] = bad.tensor_offset[a];  // an in-place write a dense layer cannot do
  refused(bad, "overlap while both are live");
}

TEST(MemoryPlan, RandomGraphsAreValidAndBeatGreedyAndNaive) {
  std::size_t total_arena = 0, total_greedy = 0, total_naive = 0, better = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Int8Model m = deploy_test::random_model(seed);
    for (bool reuse : {false, true}) {
      PlanOptions o;
      o.reuse_input = reuse;
      o.alignment = seed % 3 == 0 ? 4 : 16;
      const MemoryPlan p = plan_memory(m, o);
      ASSERT_NO_THROW(check_plan(m, p)) << "seed " << seed;
      EXPECT_LE(p.arena_bytes, p.greedy_bytes) << "seed " << seed;
      EXPECT_LE(p.greedy_bytes, p.naive_bytes) << "seed " << seed;
      for (std::size_t t = 0; t < m.tensors.size(); ++t) {
        if (p.tensor_offset[t] != MemoryPlan::kUnused) {
          EXPECT_EQ(p.tensor_offset[t] % o.alignment, 0u);
        }
      }
      if (!reuse) {
        // Nothing but reshapes of the input (which share its bytes) touches the input.
        std::vector<bool> input_alias(m.tensors.size(), false);
        input_alias[m.input] = true;
        for (const Int8Op& op : m.ops)
          if (op.kind == OpKind::Reshape && input_alias[op.input] &&
              p.tensor_offset[op.output] == p.tensor_offset[op.input])
            input_alias[op.output] = true;
        for (std::size_t t = 0; t < m.tensors.size(); ++t) {
          if (!input_alias[t] && p.tensor_offset[t] != MemoryPlan::kUnused) {
            EXPECT_FALSE(overlap(m, p, m.input, t)) << "seed " << seed << " tensor " << t;
          }
        }
      }
      total_arena += p.arena_bytes;
      total_greedy += p.greedy_bytes;
      total_naive += p.naive_bytes;
      better += p.arena_bytes < p.greedy_bytes;
    }
  }
  std::printf("600 random plans: arena %zu, greedy by size %zu, naive %zu bytes in all; better than greedy in %zu\n",
              total_arena, total_greedy, total_naive, better);
}

TEST(MemoryPlan, RandomModelsRunInOneArenaAsRunInt8Does) {
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    const Int8Model m = deploy_test::random_model(seed);
    tinyml::data::Rng rng(seed * 7 + 1);
    std::vector<float> x(nn::numel(m.tensors[m.input].shape));
    for (float& v : x) v = static_cast<float>(rng.below(2001)) / 1000.0f - 1.0f;
    const auto expected = optimize::run_int8(m, x.data());
    for (bool reuse : {false, true}) {
      PlanOptions o;
      o.reuse_input = reuse;
      const MemoryPlan p = plan_memory(m, o);
      EXPECT_EQ(run_guarded(m, p, x.data()), expected) << "seed " << seed << " reuse " << reuse;
    }
  }
}

TEST(MemoryPlan, TrainedDigitsModelRunsInOneArenaByteForByte) {
  const optimize::Int8File f = deploy_test::trained_digits_model();
  const Int8Model& m = f.model;
  auto d = testdata::digits();
  for (bool reuse : {false, true}) {
    PlanOptions o;
    o.reuse_input = reuse;
    const MemoryPlan p = plan_memory(m, o);
    check_plan(m, p);
    std::printf("digits model (%zu ops), input %s: arena %zu bytes, greedy by size %zu, naive %zu (%s)\n",
                m.ops.size(), reuse ? "reused" : "kept", p.arena_bytes, p.greedy_bytes, p.naive_bytes,
                p.strategy.c_str());
    EXPECT_LE(p.arena_bytes, p.greedy_bytes);
    for (std::size_t i = 0; i < 60; ++i) {
      const std::vector<float> x = data::raw_sample(d[2], i);
      ASSERT_EQ(run_guarded(m, p, x.data()), optimize::run_int8(m, x.data())) << "sample " << i;
    }
  }
}
