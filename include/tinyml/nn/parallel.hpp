// The threads that training runs on. Work over n items is cut into chunks by a rule that
// depends on n alone (never on the thread count), the threads take chunks as they become
// free, and sums that cross chunks (weight gradients) are formed per chunk and added in
// chunk order. So training gives the same weights, bit for bit, on 1 thread or 16, and a
// thread held up by another program does not stall the others: they take its chunks.
#pragma once

#include <cstddef>
#include <functional>

namespace tinyml::nn {

// The number of threads (1 or more; default: the machine's cores).
void set_threads(int n);
int threads();

// The most chunks one call is cut into.
inline constexpr int kMaxChunks = 16;

// How many chunks parallel_for(n, min_per_chunk, ...) uses: n / min_per_chunk, between 1
// and kMaxChunks.
int chunk_count(std::size_t n, std::size_t min_per_chunk);

// Chunk k's range [begin, end) of [0, n) cut into `chunks` contiguous ranges.
inline std::size_t chunk_begin(std::size_t n, int chunks, int k) {
  return n * static_cast<std::size_t>(k) / static_cast<std::size_t>(chunks);
}

// Calls fn(k, begin, end) for every chunk k of [0, n) and returns when all are done; the
// return value is the number of chunks. Inside another parallel_for the chunks run on the
// calling thread, in order. fn must not throw.
int parallel_for(std::size_t n, std::size_t min_per_chunk,
                 const std::function<void(int chunk, std::size_t begin, std::size_t end)>& fn);

}  // namespace tinyml::nn
