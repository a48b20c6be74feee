#include "tinyml/deploy/memory_plan.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/optimize/int8_ops.hpp"

namespace tinyml::deploy {

using optimize::Int8Model;
using optimize::Int8Op;
using optimize::OpKind;

namespace {

// Execution times: operation k runs at time k; the model output is read at time n (after
// the last operation).
struct Lifetimes {
  std::vector<bool> used;
  std::vector<std::size_t> first, last, bytes;  // per tensor, meaningful where used
};

// The lifetimes of the model's tensors, checking that every operation reads tensors that
// exist and were written before it and writes a tensor nobody wrote before.
Lifetimes lifetimes(const Int8Model& m, bool input_to_end) {
  const std::size_t nt = m.tensors.size(), n = m.ops.size();
  if (m.input >= nt || m.output >= nt) failure("memory plan: the model input or output names no tensor");
  Lifetimes l;
  l.used.assign(nt, false);
  l.first.assign(nt, 0);
  l.last.assign(nt, 0);
  l.bytes.assign(nt, 0);
  auto read = [&](std::size_t t, std::size_t k) {
    if (t >= nt) failure("memory plan: operation {} reads tensor {}, which does not exist", k, t);
    if (!l.used[t]) failure("memory plan: operation {} reads tensor {} before anything writes it", k, t);
    l.last[t] = std::max(l.last[t], k);
  };
  l.used[m.input] = true;
  for (std::size_t k = 0; k < n; ++k) {
    const Int8Op& op = m.ops[k];
    read(op.input, k);
    if (op.kind == OpKind::Add) read(op.input2, k);
    if (op.output >= nt) failure("memory plan: operation {} writes tensor {}, which does not exist", k, op.output);
    if (l.used[op.output]) failure("memory plan: operation {} writes tensor {}, which is already written", k, op.output);
    l.used[op.output] = true;
    l.first[op.output] = l.last[op.output] = k;
  }
  if (!l.used[m.output]) failure("memory plan: nothing writes the model output (tensor {})", m.output);
  l.last[m.output] = n;
  if (input_to_end) l.last[m.input] = n;
  for (std::size_t t = 0; t < nt; ++t)
    if (l.used[t]) l.bytes[t] = nn::numel(m.tensors[t].shape);
  return l;
}

bool elementwise(OpKind k) { return k == OpKind::Add || k == OpKind::Logistic || k == OpKind::Tanh; }

std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

// A block of the arena: a group of tensors sharing bytes, or one operation's scratch.
struct Block {
  std::size_t bytes = 0, first = 0, last = 0, align = 1;
};

bool meet(const Block& a, const Block& b) { return a.first <= b.last && b.first <= a.last; }

// Tensors grouped into blocks: group[t] is the block of used tensor t; scratch_block[k]
// the block of operation k's scratch (or npos).
struct Blocks {
  std::vector<Block> blocks;
  std::vector<std::size_t> group, scratch_block;
};

constexpr std::size_t npos = static_cast<std::size_t>(-1);

Blocks make_blocks(const Int8Model& m, const Lifetimes& l, const std::vector<std::size_t>& scratch, bool in_place,
                   std::size_t alignment) {
  const std::size_t nt = m.tensors.size();
  std::vector<std::size_t> parent(nt);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  std::function<std::size_t(std::size_t)> root = [&](std::size_t t) {
    return parent[t] == t ? t : parent[t] = root(parent[t]);
  };
  // The latest reader of each group, kept at the group's root.
  std::vector<std::size_t> group_last(l.last);
  auto join = [&](std::size_t out, std::size_t in) {
    const std::size_t a = root(out), b = root(in);
    parent[a] = b;
    group_last[b] = std::max(group_last[a], group_last[b]);
  };
  for (std::size_t k = 0; k < m.ops.size(); ++k) {
    const Int8Op& op = m.ops[k];
    if (op.kind == OpKind::Reshape && l.bytes[op.input] == l.bytes[op.output]) {
      join(op.output, op.input);
    } else if (in_place && elementwise(op.kind)) {
      // Over an input of the output's size (not broadcast) whose bytes nobody reads after
      // this operation. The model input, unless reused, lives to the end, so never here.
      for (std::size_t in : {op.input, op.input2}) {
        if (op.kind != OpKind::Add && in != op.input) continue;
        if (l.bytes[in] == l.bytes[op.output] && group_last[root(in)] <= k) {
          join(op.output, in);
          break;
        }
      }
    }
  }
  Blocks b;
  b.group.assign(nt, npos);
  std::vector<std::size_t> block_of_root(nt, npos);
  for (std::size_t t = 0; t < nt; ++t) {
    if (!l.used[t]) continue;
    const std::size_t r = root(t);
    if (block_of_root[r] == npos) {
      block_of_root[r] = b.blocks.size();
      b.blocks.push_back({l.bytes[t], l.first[t], l.last[t], alignment});
    }
    Block& g = b.blocks[block_of_root[r]];
    g.bytes = std::max(g.bytes, l.bytes[t]);
    g.first = std::min(g.first, l.first[t]);
    g.last = std::max(g.last, l.last[t]);
    b.group[t] = block_of_root[r];
  }
  b.scratch_block.assign(m.ops.size(), npos);
  const std::size_t scratch_align = std::lcm(alignment, std::size_t{4});  // kernels want 4-byte aligned scratch
  for (std::size_t k = 0; k < m.ops.size(); ++k)
    if (scratch[k] > 0) {
      b.scratch_block[k] = b.blocks.size();
      b.blocks.push_back({scratch[k], k, k, scratch_align});
    }
  return b;
}

// Places the blocks in `order`, each at the lowest offset where it fits (first fit) or in
// the smallest gap where it fits (best fit), beside the blocks already placed whose
// lifetimes meet its own. Returns the peak; offsets[i] is block i's offset.
std::size_t place(const std::vector<Block>& blocks, const std::vector<std::size_t>& order, bool best_fit,
                  std::vector<std::size_t>& offsets) {
  offsets.assign(blocks.size(), npos);
  std::vector<std::size_t> placed;
  std::vector<std::pair<std::size_t, std::size_t>> busy;  // [offset, end) of meeting placed blocks
  std::size_t peak = 0;
  for (std::size_t i : order) {
    const Block& b = blocks[i];
    busy.clear();
    for (std::size_t j : placed)
      if (meet(b, blocks[j])) busy.emplace_back(offsets[j], offsets[j] + blocks[j].bytes);
    std::sort(busy.begin(), busy.end());
    std::size_t candidate = 0, chosen = npos, chosen_gap = npos;
    for (const auto& [begin, end] : busy) {
      if (begin >= candidate + b.bytes) {  // a gap [candidate, begin) that holds the block
        const std::size_t gap = begin - candidate;
        if (!best_fit) {
          chosen = candidate;
          break;
        }
        if (gap < chosen_gap) chosen = candidate, chosen_gap = gap;
      }
      candidate = std::max(candidate, align_up(end, b.align));
    }
    if (chosen == npos) chosen = candidate;
    offsets[i] = chosen;
    placed.push_back(i);
    peak = std::max(peak, chosen + b.bytes);
  }
  return peak;
}

// The bytes live at the busiest moment: no placement does better.
std::size_t lower_bound(const std::vector<Block>& blocks) {
  std::size_t best = 0, end = 0;
  for (const Block& b : blocks) end = std::max(end, b.last);
  for (std::size_t t = 0; t <= end; ++t) {
    std::size_t live = 0;
    for (const Block& b : blocks)
      if (b.first <= t && t <= b.last) live += b.bytes;
    best = std::max(best, live);
  }
  return best;
}

struct Order {
  const char* name;
  std::vector<std::size_t> order;
};

// The orders tried: each sorts by its key, then by size (larger first), then by index.
std::vector<Order> orders(const std::vector<Block>& blocks) {
  const std::size_t n = blocks.size();
  std::vector<std::size_t> breadth(n, 0), contention(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t t = blocks[i].first; t <= blocks[i].last; ++t) {
      std::size_t live = 0;
      for (const Block& b : blocks)
        if (b.first <= t && t <= b.last) live += b.bytes;
      breadth[i] = std::max(breadth[i], live);
    }
    for (std::size_t j = 0; j < n; ++j)
      if (j != i && meet(blocks[i], blocks[j])) contention[i] += blocks[j].bytes;
  }
  using Key = std::function<long double(std::size_t)>;  // larger first
  auto length = [&](std::size_t i) { return static_cast<long double>(blocks[i].last - blocks[i].first + 1); };
  const std::pair<const char*, Key> keys[] = {
      {"size", [](std::size_t) { return 0.0L; }},
      {"lifetime length", length},
      {"first use", [&](std::size_t i) { return -static_cast<long double>(blocks[i].first); }},
      {"size x lifetime", [&](std::size_t i) { return static_cast<long double>(blocks[i].bytes) * length(i); }},
      {"busiest moment", [&](std::size_t i) { return static_cast<long double>(breadth[i]); }},
      {"conflicting bytes", [&](std::size_t i) { return static_cast<long double>(contention[i]); }},
  };
  std::vector<Order> out;
  for (const auto& [name, key] : keys) {
    std::vector<long double> k(n);
    for (std::size_t i = 0; i < n; ++i) k[i] = key(i);
    Order o{name, std::vector<std::size_t>(n)};
    std::iota(o.order.begin(), o.order.end(), std::size_t{0});
    std::stable_sort(o.order.begin(), o.order.end(), [&](std::size_t a, std::size_t b) {
      if (k[a] != k[b]) return k[a] > k[b];
      return blocks[a].bytes > blocks[b].bytes;
    });
    out.push_back(std::move(o));
  }
  return out;
}

// A small deterministic generator (splitmix64) for the local search.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

struct Candidate {
  std::size_t peak = npos;
  bool in_place = false, best_fit = false;
  std::string name;
  std::vector<std::size_t> order, offsets;
};

}  // namespace

std::size_t op_scratch_bytes(const Int8Model& m, std::size_t op) {
  return optimize::scratch_size(optimize::prepare_op(m, op));
}

MemoryPlan plan_memory(const Int8Model& m, const PlanOptions& o) {
  if (o.alignment == 0) failure("memory plan: the alignment must be at least 1");
  const Lifetimes l = lifetimes(m, !o.reuse_input);
  MemoryPlan p;
  p.scratch_bytes.resize(m.ops.size());
  for (std::size_t k = 0; k < m.ops.size(); ++k) p.scratch_bytes[k] = op_scratch_bytes(m, k);

  // Naive: every tensor and scratch in a block of its own, one after the other.
  std::size_t end = 0;
  auto append = [&](std::size_t bytes, std::size_t align) { end = align_up(end, align) + bytes; };
  for (std::size_t t = 0; t < m.tensors.size(); ++t)
    if (l.used[t]) append(l.bytes[t], o.alignment);
  for (std::size_t bytes : p.scratch_bytes)
    if (bytes > 0) append(bytes, std::lcm(o.alignment, std::size_t{4}));
  p.naive_bytes = end;

  const Blocks separate = make_blocks(m, l, p.scratch_bytes, false, o.alignment);
  const Blocks shared = make_blocks(m, l, p.scratch_bytes, true, o.alignment);
  Candidate best;
  std::vector<std::size_t> offsets;
  // In-place blocks first: on equal peaks they win (fewer bytes touched, no copies).
  for (bool in_place : {true, false}) {
    const Blocks& b = in_place ? shared : separate;
    if (in_place && b.blocks.size() == separate.blocks.size()) continue;  // nothing written in place
    for (const Order& order : orders(b.blocks)) {
      for (bool best_fit : {false, true}) {
        const std::size_t peak = place(b.blocks, order.order, best_fit, offsets);
        if (!in_place && !best_fit && std::string_view(order.name) == "size")
          p.greedy_bytes = peak;
        if (peak < best.peak)
          best = {peak, in_place, best_fit,
                  fmt::format("{}, {} fit{}", order.name, best_fit ? "best" : "first", in_place ? ", in place" : ""),
                  order.order, offsets};
      }
    }
  }
  const Blocks& b = best.in_place ? shared : separate;
  if (b.blocks.empty()) best = {0, false, false, "empty", {}, {}};

  // Local search: move one block earlier in the order, keep the change when the peak does
  // not grow (equal peaks let the search cross plateaus). Stops at the lower bound.
  const std::size_t bound = lower_bound(b.blocks), n = b.blocks.size();
  if (n >= 2 && best.peak > bound) {
    Rng rng{0x7A11F00DULL + n};
    const std::size_t tries = std::clamp<std::size_t>(4'000'000 / (n * n + 1), 64, 4000);
    std::size_t improved = 0;
    std::vector<std::size_t> order = best.order;
    for (std::size_t i = 0; i < tries && best.peak > bound; ++i) {
      const std::size_t from = rng.below(n), to = rng.below(n);
      if (from == to) continue;
      std::vector<std::size_t> trial = order;
      const std::size_t moved = trial[from];
      trial.erase(trial.begin() + static_cast<std::ptrdiff_t>(from));
      trial.insert(trial.begin() + static_cast<std::ptrdiff_t>(to), moved);
      const std::size_t peak = place(b.blocks, trial, best.best_fit, offsets);
      if (peak <= best.peak) {
        if (peak < best.peak) ++improved;
        order = trial;
        best.peak = peak;
        best.offsets = offsets;
      }
    }
    if (improved) best.name += fmt::format(", then {} improving move{} of the order", improved, improved == 1 ? "" : "s");
  }

  p.arena_bytes = best.peak;
  p.strategy = best.name;
  p.tensor_offset.assign(m.tensors.size(), MemoryPlan::kUnused);
  for (std::size_t t = 0; t < m.tensors.size(); ++t)
    if (b.group[t] != npos) p.tensor_offset[t] = best.offsets[b.group[t]];
  p.scratch_offset.assign(m.ops.size(), 0);
  for (std::size_t k = 0; k < m.ops.size(); ++k)
    if (b.scratch_block[k] != npos) p.scratch_offset[k] = best.offsets[b.scratch_block[k]];
  return p;
}

void check_plan(const Int8Model& m, const MemoryPlan& p) {
  const std::size_t nt = m.tensors.size(), n = m.ops.size();
  if (p.tensor_offset.size() != nt || p.scratch_offset.size() != n || p.scratch_bytes.size() != n)
    failure("memory plan: {} tensor offsets and {} scratch entries for a model of {} tensors and {} operations",
            p.tensor_offset.size(), p.scratch_offset.size(), nt, n);
  const Lifetimes l = lifetimes(m, false);

  struct Span {
    std::string name;
    std::size_t tensor = npos;  // npos for scratch
    std::size_t begin = 0, end = 0, first = 0, last = 0;
  };
  std::vector<Span> spans;
  auto add = [&](std::string name, std::size_t tensor, std::size_t offset, std::size_t bytes, std::size_t first,
                 std::size_t last) {
    if (offset > p.arena_bytes || bytes > p.arena_bytes - offset)
      failure("memory plan: {} (bytes [{}, {})) runs past the arena of {} bytes", name, offset, offset + bytes,
              p.arena_bytes);
    spans.push_back({std::move(name), tensor, offset, offset + bytes, first, last});
  };
  for (std::size_t t = 0; t < nt; ++t) {
    if (!l.used[t]) continue;
    if (p.tensor_offset[t] == MemoryPlan::kUnused) failure("memory plan: tensor {} is used but has no offset", t);
    add(fmt::format("tensor {}", t), t, p.tensor_offset[t], l.bytes[t], l.first[t], l.last[t]);
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t need = op_scratch_bytes(m, k);
    const std::string name = fmt::format("the scratch of operation {} ({})", k, optimize::to_string(m.ops[k].kind));
    if (p.scratch_bytes[k] < need)
      failure("memory plan: {} has {} bytes, the kernel asks for {}", name, p.scratch_bytes[k], need);
    if (p.scratch_bytes[k] == 0) continue;
    if (p.scratch_offset[k] % 4 != 0) failure("memory plan: {} at offset {} is not 4-byte aligned", name, p.scratch_offset[k]);
    add(name, npos, p.scratch_offset[k], p.scratch_bytes[k], k, k);
  }

  // Tensors holding the same bytes: a Reshape's output at its input's offset.
  std::vector<std::size_t> same(nt);
  std::iota(same.begin(), same.end(), std::size_t{0});
  for (const Int8Op& op : m.ops)
    if (op.kind == OpKind::Reshape && p.tensor_offset[op.output] == p.tensor_offset[op.input])
      same[op.output] = same[op.input];
  // x (dying at operation k) may hold the bytes that k's element-wise output y overwrites:
  // at y's offset, of y's size, holding what one of k's inputs of y's size holds.
  auto in_place = [&](std::size_t x, std::size_t y) {
    const std::size_t k = l.first[y];
    if (y == m.input || k >= n || m.ops[k].output != y || !elementwise(m.ops[k].kind) || l.last[x] != k) return false;
    const Int8Op& op = m.ops[k];
    for (std::size_t in : {op.input, op.input2}) {
      if (op.kind != OpKind::Add && in != op.input) continue;
      if (same[in] == same[x] && p.tensor_offset[in] == p.tensor_offset[y] && l.bytes[in] == l.bytes[y]) return true;
    }
    return false;
  };
  auto describe = [](const Span& s) {
    return fmt::format("{} (bytes [{}, {}), live from operation {} to {})", s.name, s.begin, s.end, s.first, s.last);
  };
  for (std::size_t i = 0; i < spans.size(); ++i) {
    for (std::size_t j = i + 1; j < spans.size(); ++j) {
      const Span &a = spans[i], &b = spans[j];
      if (a.first > b.last || b.first > a.last || a.begin >= b.end || b.begin >= a.end) continue;
      if (a.begin == b.begin && a.tensor != npos && b.tensor != npos) {
        if (same[a.tensor] == same[b.tensor]) continue;
        if (a.end == b.end && (in_place(a.tensor, b.tensor) || in_place(b.tensor, a.tensor))) continue;
      }
      failure("memory plan: {} and {} overlap while both are live", describe(a), describe(b));
    }
  }
}

std::vector<std::int8_t> run_int8_in_arena(const Int8Model& m, const MemoryPlan& p, const float* raw_sample,
                                           std::uint8_t* arena) {
  check_plan(m, p);
  auto at = [&](std::size_t t) { return reinterpret_cast<std::int8_t*>(arena + p.tensor_offset[t]); };
  const std::vector<std::int8_t> x = optimize::quantize_input(m, raw_sample);
  std::copy(x.begin(), x.end(), at(m.input));
  for (std::size_t k = 0; k < m.ops.size(); ++k) {
    const Int8Op& op = m.ops[k];
    const optimize::RtOp r = optimize::prepare_op(m, k);
    void* scratch = p.scratch_bytes[k] > 0 ? arena + p.scratch_offset[k] : nullptr;
    optimize::run_op(op, r, at(op.input), op.kind == OpKind::Add ? at(op.input2) : nullptr, at(op.output), scratch,
                     p.scratch_bytes[k]);
  }
  const std::int8_t* out = at(m.output);
  return {out, out + nn::numel(m.tensors[m.output].shape)};
}

}  // namespace tinyml::deploy
