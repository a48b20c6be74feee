#include "tinyml/nn/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tinyml::nn {

namespace {

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

thread_local bool inside_parallel = false;

// A job's chunks are claimed by the caller and the workers alike from one 64-bit word:
// job number (32 bits), chunk count (16) and next chunk (16), so a worker that arrives
// late can never claim a chunk of a newer job by mistake. Workers wait for a new job
// number; they spin briefly before sleeping, because a training step calls again within
// microseconds.
class Pool {
 public:
  explicit Pool(int n) : n_(std::max(n, 1)) {
    for (int t = 1; t < n_; ++t) workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    stop_.store(true, std::memory_order_relaxed);
    job_.fetch_add(1, std::memory_order_release);
    job_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return n_; }

  void run(int chunks, const std::function<void(int)>& chunk) {
    const std::uint32_t job = job_.load(std::memory_order_relaxed) + 1;
    task_ = &chunk;
    done_.store(0, std::memory_order_relaxed);
    word_.store(pack(job, chunks, 0), std::memory_order_release);
    job_.store(job, std::memory_order_release);
    job_.notify_all();
    take_chunks(job);
    while (done_.load(std::memory_order_acquire) != chunks) relax();  // chunks still running elsewhere
  }

 private:
  static std::uint64_t pack(std::uint32_t job, int chunks, int next) {
    return (static_cast<std::uint64_t>(job) << 32) | (static_cast<std::uint64_t>(chunks) << 16) |
           static_cast<std::uint64_t>(next);
  }

  void take_chunks(std::uint32_t job) {
    inside_parallel = true;
    std::uint64_t w = word_.load(std::memory_order_acquire);
    for (;;) {
      const auto k = static_cast<int>(w & 0xFFFF), chunks = static_cast<int>((w >> 16) & 0xFFFF);
      if ((w >> 32) != job || k >= chunks) break;
      if (!word_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      (*task_)(k);
      done_.fetch_add(1, std::memory_order_release);
      w = word_.load(std::memory_order_acquire);
    }
    inside_parallel = false;
  }

  void work() {
    std::uint32_t seen = 0;
    for (;;) {
      std::uint32_t j;
      int spins = 0;
      while ((j = job_.load(std::memory_order_acquire)) == seen) {
        if (++spins < 4000)
          relax();
        else
          job_.wait(seen, std::memory_order_acquire);
      }
      seen = j;
      if (stop_.load(std::memory_order_relaxed)) return;
      take_chunks(j);
    }
  }

  int n_;
  std::vector<std::thread> workers_;
  std::atomic<std::uint32_t> job_{0};
  std::atomic<std::uint64_t> word_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int)>* task_ = nullptr;
};

int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(std::min(n, 64U));
}

std::unique_ptr<Pool>& pool() {
  static std::unique_ptr<Pool> p = std::make_unique<Pool>(default_threads());
  return p;
}

}  // namespace

void set_threads(int n) {
  n = std::clamp(n, 1, 64);
  if (pool()->size() != n) {
    pool().reset();
    pool() = std::make_unique<Pool>(n);
  }
}

int threads() { return pool()->size(); }

int chunk_count(std::size_t n, std::size_t min_per_chunk) {
  const std::size_t c = n / std::max<std::size_t>(min_per_chunk, 1);
  return static_cast<int>(std::clamp<std::size_t>(c, 1, kMaxChunks));
}

int parallel_for(std::size_t n, std::size_t min_per_chunk,
                 const std::function<void(int, std::size_t, std::size_t)>& fn) {
  const int chunks = chunk_count(n, min_per_chunk);
  Pool& p = *pool();
  if (chunks == 1 || p.size() == 1 || inside_parallel) {
    for (int k = 0; k < chunks; ++k) fn(k, chunk_begin(n, chunks, k), chunk_begin(n, chunks, k + 1));
    return chunks;
  }
  std::function<void(int)> chunk = [&](int k) { fn(k, chunk_begin(n, chunks, k), chunk_begin(n, chunks, k + 1)); };
  p.run(chunks, chunk);
  return chunks;
}

}  // namespace tinyml::nn
