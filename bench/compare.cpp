// compare: runs commands that do the same job and prints one table of their wall times
// (best of N runs) and peak memory (the largest resident set of the process, from
// wait4()'s rusage), with ratios against the first command. Optionally runs a check
// command afterwards (e.g. one that compares the outputs) and reports whether it passed.
//
// Usage:
//   compare [--runs N] [--target-speedup X]
//           [--job NAME] --cmd LABEL PROGRAM [ARG...] [--cmd LABEL PROGRAM [ARG...]]...
//                        [--check PROGRAM [ARG...]]
//           [--job NAME ...]...
//
// The arguments of --cmd and --check run up to the next --job, --cmd or --check (commands
// are executed directly, without a shell; wrap them in a script if they need those words
// or shell syntax). Commands with the same LABEL in different jobs share a table column.
// Runs are interleaved (A B A B ...) so that slow drifts of the machine hit all alike.
// A command's output goes to a temporary file, shown only if the command fails.
//
// Exit status: 0 when every command succeeded and every check passed, 1 when a check
// failed, 2 on bad usage, 3 when a command failed. Missing a --target-speedup is reported,
// not an error: this is a benchmark.
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Command {
  std::string label;
  std::vector<std::string> argv;
  std::vector<double> wall_s;
  std::vector<double> rss_mib;
};

struct Job {
  std::string name;
  std::vector<Command> cmds;
  std::vector<std::string> check;  // argv; empty: no check
  bool check_ran = false, check_passed = false;
  std::string check_output;
};

struct RunResult {
  bool ok = false;
  double wall_s = 0, rss_mib = 0;
  std::string failure;  // how it failed, when !ok
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "compare: %s\n"
               "usage: compare [--runs N] [--target-speedup X]\n"
               "               [--job NAME] --cmd LABEL PROGRAM [ARG...] [--cmd ...]... "
               "[--check PROGRAM [ARG...]] [--job ...]...\n",
               msg.c_str());
  std::exit(2);
}

// An unlinked temporary file that collects a child's stdout and stderr.
class LogFile {
 public:
  LogFile() {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/tmp") + "/compare-log-XXXXXX";
    fd_ = mkostemp(path.data(), O_CLOEXEC);
    if (fd_ < 0) {
      std::fprintf(stderr, "compare: cannot create a temporary file in %s: %s\n",
                   dir && *dir ? dir : "/tmp", std::strerror(errno));
      std::exit(3);
    }
    unlink(path.c_str());
  }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() { close(fd_); }
  int fd() const { return fd_; }
  void reset() {
    if (ftruncate(fd_, 0) != 0 || lseek(fd_, 0, SEEK_SET) != 0) {
      std::fprintf(stderr, "compare: cannot reset the log file: %s\n", std::strerror(errno));
      std::exit(3);
    }
  }
  std::string contents() const {
    std::string s;
    char buf[65536];
    off_t off = 0;
    for (;;) {
      ssize_t n = pread(fd_, buf, sizeof buf, off);
      if (n <= 0) break;
      s.append(buf, static_cast<std::size_t>(n));
      off += n;
    }
    return s;
  }

 private:
  int fd_ = -1;
};

// Runs argv as a child process with stdin from /dev/null and stdout+stderr into `log`.
RunResult run(const std::vector<std::string>& argv, LogFile& log) {
  log.reset();
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  RunResult r;
  std::fflush(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    r.failure = std::string("fork failed: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(log.fd(), 1);
    dup2(log.fd(), 2);
    execvp(cargv[0], cargv.data());
    std::string msg = std::string("compare: cannot run ") + argv[0] + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = write(2, msg.data(), msg.size());
    (void)ignored;
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  pid_t w;
  do {
    w = wait4(pid, &status, 0, &ru);
  } while (w < 0 && errno == EINTR);
  auto t1 = std::chrono::steady_clock::now();
  if (w < 0) {
    r.failure = std::string("wait4 failed: ") + std::strerror(errno);
    return r;
  }
  r.wall_s = std::chrono::duration<double>(t1 - t0).count();
  r.rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    r.ok = true;
  } else if (WIFEXITED(status)) {
    r.failure = "exit status " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    r.failure = std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                strsignal(WTERMSIG(status)) + ")";
  } else {
    r.failure = "ended abnormally";
  }
  return r;
}

std::string last_lines(const std::string& s, std::size_t n) {
  std::size_t pos = s.size();
  if (pos && s[pos - 1] == '\n') --pos;
  for (std::size_t k = 0; k < n && pos != std::string::npos && pos > 0; ++k) pos = s.rfind('\n', pos - 1);
  return pos == std::string::npos || pos == 0 ? s : s.substr(pos + 1);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    if (plain) {
      s += a;
    } else {
      s += '\'';
      for (char c : a) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
      s += '\'';
    }
  }
  return s;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double best(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
double worst(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

std::string padl(const std::string& s, std::size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}
std::string padr(const std::string& s, std::size_t w) {
  return s.size() >= w ? s : s + std::string(w - s.size(), ' ');
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  double target_speedup = 0;
  std::vector<Job> jobs;

  // Options, then jobs.
  int i = 1;
  auto is_block_word = [](std::string_view a) { return a == "--job" || a == "--cmd" || a == "--check"; };
  for (; i < argc && !is_block_word(argv[i]); ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--runs") {
      runs = std::atoi(value().c_str());
      if (runs < 1) usage("--runs must be at least 1");
    } else if (a == "--target-speedup") {
      target_speedup = std::atof(value().c_str());
    } else if (a == "-h" || a == "--help") {
      usage("help");
    } else {
      usage("unknown option " + std::string(a));
    }
  }
  while (i < argc) {
    std::string_view a = argv[i++];
    auto take_args = [&]() {
      std::vector<std::string> v;
      while (i < argc && !is_block_word(argv[i])) v.emplace_back(argv[i++]);
      return v;
    };
    if (a == "--job") {
      if (i >= argc) usage("--job needs a name");
      jobs.push_back(Job{argv[i++], {}, {}, false, false, {}});
    } else if (a == "--cmd") {
      if (jobs.empty()) jobs.push_back(Job{"job", {}, {}, false, false, {}});
      auto v = take_args();
      if (v.size() < 2) usage("--cmd needs a LABEL and a PROGRAM");
      Command c;
      c.label = v[0];
      c.argv.assign(v.begin() + 1, v.end());
      jobs.back().cmds.push_back(std::move(c));
    } else if (a == "--check") {
      if (jobs.empty()) usage("--check before any --cmd");
      auto v = take_args();
      if (v.empty()) usage("--check needs a PROGRAM");
      jobs.back().check = std::move(v);
    } else {
      usage("unexpected argument " + std::string(a));
    }
  }
  if (jobs.empty()) usage("no --cmd given");
  for (const auto& j : jobs)
    if (j.cmds.empty()) usage("job '" + j.name + "' has no --cmd");

  LogFile log;
  int exit_code = 0;
  for (auto& job : jobs) {
    for (int r = 0; r < runs; ++r) {
      for (auto& c : job.cmds) {
        RunResult res = run(c.argv, log);
        if (!res.ok) {
          std::fprintf(stderr, "compare: %s / %s failed (%s): %s\n--- last lines of its output ---\n%s\n",
                       job.name.c_str(), c.label.c_str(), res.failure.c_str(), join(c.argv).c_str(),
                       last_lines(log.contents(), 20).c_str());
          return 3;
        }
        c.wall_s.push_back(res.wall_s);
        c.rss_mib.push_back(res.rss_mib);
        std::fprintf(stderr, "  %s / %s: run %d/%d: %.3f s, peak RSS %.1f MiB\n", job.name.c_str(),
                     c.label.c_str(), r + 1, runs, res.wall_s, res.rss_mib);
      }
    }
    if (!job.check.empty()) {
      RunResult res = run(job.check, log);
      job.check_ran = true;
      job.check_passed = res.ok;
      job.check_output = log.contents();
      while (!job.check_output.empty() && job.check_output.back() == '\n') job.check_output.pop_back();
      if (!res.ok) {
        job.check_output += (job.check_output.empty() ? "" : "\n") + ("(" + res.failure + ")");
        exit_code = 1;
      }
    }
  }

  // Columns: labels in order of first appearance.
  std::vector<std::string> labels;
  for (const auto& j : jobs)
    for (const auto& c : j.cmds)
      if (std::find(labels.begin(), labels.end(), c.label) == labels.end()) labels.push_back(c.label);

  std::vector<std::string> header = {"job"};
  for (const auto& l : labels) header.push_back(l);
  for (std::size_t k = 1; k < labels.size(); ++k) header.push_back(labels[k] + "/" + labels[0]);
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : jobs) {
    auto find = [&](const std::string& l) -> const Command* {
      for (const auto& c : j.cmds)
        if (c.label == l) return &c;
      return nullptr;
    };
    const Command* base = find(labels[0]);
    for (int metric = 0; metric < 2; ++metric) {
      std::vector<std::string> row;
      row.push_back(j.name + (metric == 0 ? "  wall time, best of " + std::to_string(runs) + " (s)"
                                          : "  peak RSS (MiB)"));
      auto value = [&](const Command* c) { return metric == 0 ? best(c->wall_s) : worst(c->rss_mib); };
      for (const auto& l : labels) {
        const Command* c = find(l);
        row.push_back(c ? fmt(metric == 0 ? "%.3f" : "%.1f", value(c)) : "-");
      }
      for (std::size_t k = 1; k < labels.size(); ++k) {
        const Command* c = find(labels[k]);
        row.push_back(c && base && value(base) > 0 ? fmt("%.2fx", value(c) / value(base)) : "-");
      }
      rows.push_back(std::move(row));
    }
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t k = 0; k < header.size(); ++k) {
    width[k] = header[k].size();
    for (const auto& r : rows) width[k] = std::max(width[k], r[k].size());
  }
  auto print_row = [&](const std::vector<std::string>& r) {
    std::string line = padr(r[0], width[0]);
    for (std::size_t k = 1; k < r.size(); ++k) line += "  " + padl(r[k], std::max<std::size_t>(width[k], 8));
    std::printf("%s\n", line.c_str());
  };
  std::printf("\n");
  print_row(header);
  for (const auto& r : rows) print_row(r);
  std::printf("(ratios > 1 mean %s is faster / smaller; peak RSS is the largest of the %d runs)\n",
              labels[0].c_str(), runs);

  for (const auto& j : jobs) {
    std::printf("\n%s: runs", j.name.c_str());
    for (const auto& c : j.cmds) {
      std::printf("\n  %-10s wall", c.label.c_str());
      for (double w : c.wall_s) std::printf(" %.3f", w);
      std::printf(" s; peak RSS");
      for (double m : c.rss_mib) std::printf(" %.1f", m);
      std::printf(" MiB\n    %s", join(c.argv).c_str());
    }
    std::printf("\n");
    if (target_speedup > 0 && j.cmds.size() >= 2) {
      const Command& a = j.cmds[0];
      for (std::size_t k = 1; k < j.cmds.size(); ++k) {
        const Command& b = j.cmds[k];
        double speedup = best(b.wall_s) / best(a.wall_s);
        double mem = worst(a.rss_mib) / worst(b.rss_mib);
        std::printf("%s: target %s >= %.1fx faster than %s: %s (%.2fx); peak RSS no more than %s: %s (%.2fx of it)\n",
                    j.name.c_str(), a.label.c_str(), target_speedup, b.label.c_str(),
                    speedup >= target_speedup ? "MET" : "NOT MET", speedup, b.label.c_str(),
                    mem <= 1.0 ? "MET" : "NOT MET", mem);
      }
    }
    if (j.check_ran) {
      std::string shown;
      for (char ch : j.check_output) shown += ch == '\n' ? std::string("\n    ") : std::string(1, ch);
      std::printf("%s: output check %s: %s\n    %s\n", j.name.c_str(), j.check_passed ? "PASSED" : "FAILED",
                  join(j.check).c_str(), shown.c_str());
    }
  }
  return exit_code;
}
