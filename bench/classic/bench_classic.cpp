// The tinyml side of the classic-models benchmark (bench/classic/run.sh): KNN predict and
// random-forest fit on a Fashion-MNIST subset, timed in-process (best of --runs; wall time
// and the process's CPU time), with the
// test accuracy. Prints one "RESULT" line per job and writes the predictions, one per line,
// to --out so that run.sh can compare them with scikit-learn's.
//
//   bench_classic knn    [--train N] [--test M] [--k 5] [--metric l2] [--threads 2] [--runs 3]
//   bench_classic forest [--train N] [--test M] [--trees 100] [--threads 2] [--runs 1]
//   common: [--data DIR] [--out FILE]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tinyml/classic/knn.hpp"
#include "tinyml/classic/tree.hpp"
#include "tinyml/data/sources.hpp"

using namespace tinyml;

namespace {

data::Dataset first(const data::Dataset& d, std::size_t n) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < std::min(n, d.size()); ++i) idx.push_back(i);
  return classic::subset(d, idx);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the whole process (every thread), in seconds.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "bench_classic: %s\nusage: bench_classic knn|forest [--train N] [--test M] [--k K] "
               "[--metric l2|l1|cosine] [--trees T] [--threads T] [--runs R] [--data DIR] [--out FILE]\n",
               msg.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("missing job");
  const std::string job = argv[1];
  if (job != "knn" && job != "forest") usage("unknown job " + job);
  std::size_t n_train = job == "knn" ? 20000 : 10000, n_test = 2000, k = 5, trees = 100;
  unsigned threads = 2;
  int runs = job == "knn" ? 3 : 1;
  std::string metric = "l2", dir = "/usr/share/datasets/fashion-mnist", out;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--train") n_train = std::stoul(v);
    else if (a == "--test") n_test = std::stoul(v);
    else if (a == "--k") k = std::stoul(v);
    else if (a == "--metric") metric = v;
    else if (a == "--trees") trees = std::stoul(v);
    else if (a == "--threads") threads = static_cast<unsigned>(std::stoul(v));
    else if (a == "--runs") runs = std::atoi(v.c_str());
    else if (a == "--data") dir = v;
    else if (a == "--out") out = v;
    else usage("unknown option " + a);
  }
  try {
    const auto train = first(data::read_idx(dir + "/train-images-idx3-ubyte.gz",
                                            dir + "/train-labels-idx1-ubyte.gz"), n_train);
    const auto test = first(data::read_idx(dir + "/t10k-images-idx3-ubyte.gz",
                                           dir + "/t10k-labels-idx1-ubyte.gz"), n_test);
    std::vector<std::int32_t> pred;
    double best = 1e300, best_cpu = 1e300, fit_s = 0, t_run = 0, cpu_run = 0;
    for (int r = 0; r < runs; ++r) {
      if (job == "knn") {
        classic::Knn knn({k, classic::parse_metric(metric), classic::Weights::Uniform, threads});
        auto t0 = std::chrono::steady_clock::now();
        knn.fit(train);
        fit_s = seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        const double c0 = process_cpu_seconds();
        pred = knn.predict(test);
        t_run = seconds_since(t0);
        cpu_run = process_cpu_seconds() - c0;
      } else {
        classic::ForestOptions o;
        o.n_trees = trees;
        o.threads = threads;
        o.seed = 42 + static_cast<std::uint64_t>(r);
        classic::RandomForest f(o);
        auto t0 = std::chrono::steady_clock::now();
        const double c0 = process_cpu_seconds();
        f.fit(train);
        t_run = seconds_since(t0);
        cpu_run = process_cpu_seconds() - c0;
        pred = f.predict(test);
      }
      best = std::min(best, t_run);
      best_cpu = std::min(best_cpu, cpu_run);
      std::fprintf(stderr, "  tinyml %s run %d: %.3f s (cpu %.3f s)\n", job.c_str(), r + 1, t_run, cpu_run);
    }
    const double acc = classic::accuracy(pred, test.y);
    std::printf("RESULT side=tinyml job=%s threads=%u seconds=%.4f cpu_seconds=%.4f accuracy=%.4f train=%zu "
                "test=%zu dim=%zu knn_fit_seconds=%.4f\n",
                job.c_str(), threads, best, best_cpu, acc, train.size(), test.size(), train.sample_size(), fit_s);
    if (!out.empty()) {
      std::ofstream o(out);
      for (auto p : pred) o << p << '\n';
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_classic: %s\n", e.what());
    return 1;
  }
  return 0;
}
