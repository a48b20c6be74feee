// Runs a declarative command-line test file.
//
// A file holds cases separated by blank lines:
//
//   case <name>
//   setup <shell command>        (must exit 0; any number)
//   run <shell command>          (the command under test; exactly one)
//   exit <status>
//   stdout-has <text>            stdout contains the text (any number)
//   stdout-lacks <text>
//   stderr-has <text>
//   exists <path>                the file exists after the run
//   absent <path>                the file does not exist after the run
//   file-has <path> <text>       the file contains the text
//   same-files <path> <path>     the two files are byte-identical
//
// In commands, paths and texts, {bin} is the tinyml binary, {src} the source tree and
// {tmp} a fresh empty folder for the case. Lines starting with # are comments.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;
  int line = 0;
  std::vector<std::string> setup;
  std::string run;
  int exit_status = 0;
  std::vector<std::pair<std::string, std::string>> checks;  // (kind, argument)
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

int shell(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  if (st == -1) return -1;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

std::string excerpt(const std::string& s) {
  return s.size() > 1500 ? s.substr(0, 1500) + "\n[...]" : s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: cli_test_runner FILE.test TINYML_BIN SOURCE_DIR WORK_DIR\n";
    return 2;
  }
  const std::string file = argv[1], bin = argv[2], src = argv[3];
  const fs::path work = argv[4];
  std::ifstream in(file);
  if (!in) {
    std::cerr << file << ": cannot open\n";
    return 2;
  }
  std::vector<Case> cases;
  std::string line;
  int ln = 0;
  Case* cur = nullptr;
  while (std::getline(in, line)) {
    ++ln;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      cur = nullptr;
      continue;
    }
    if (line[0] == '#') continue;
    auto sp = line.find(' ');
    std::string kind = line.substr(0, sp);
    std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (kind == "case") {
      cases.push_back({});
      cur = &cases.back();
      cur->name = arg;
      cur->line = ln;
      continue;
    }
    if (!cur) {
      std::cerr << fmt::format("{}:{}: '{}' outside a case (start one with 'case NAME')\n", file, ln, kind);
      return 2;
    }
    if (kind == "setup") {
      cur->setup.push_back(arg);
    } else if (kind == "run") {
      cur->run = arg;
    } else if (kind == "exit") {
      cur->exit_status = std::atoi(arg.c_str());
    } else if (kind == "stdout-has" || kind == "stdout-lacks" || kind == "stderr-has" ||
               kind == "exists" || kind == "absent" || kind == "file-has" || kind == "same-files") {
      cur->checks.emplace_back(kind, arg);
    } else {
      std::cerr << fmt::format("{}:{}: unknown directive '{}'\n", file, ln, kind);
      return 2;
    }
  }

  int passed = 0, failed = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    fs::path tmp = work / fmt::format("case{}", i + 1);
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    auto subst = [&](std::string s) {
      s = replace_all(s, "{bin}", bin);
      s = replace_all(s, "{src}", src);
      return replace_all(s, "{tmp}", tmp.string());
    };
    std::vector<std::string> problems;
    for (const auto& s : c.setup) {
      int st = shell("cd '" + tmp.string() + "' && ( " + subst(s) + " ) >/dev/null 2>&1");
      if (st != 0) problems.push_back(fmt::format("setup '{}' exited {}", s, st));
    }
    std::string out, err;
    if (problems.empty()) {
      if (c.run.empty()) problems.push_back("no 'run' line");
      fs::path o = tmp / ".stdout", e = tmp / ".stderr";
      int st = shell("cd '" + tmp.string() + "' && ( " + subst(c.run) + " ) >'" + o.string() +
                     "' 2>'" + e.string() + "' </dev/null");
      out = slurp(o);
      err = slurp(e);
      fs::remove(o);
      fs::remove(e);
      if (st != c.exit_status)
        problems.push_back(fmt::format("exit status {} (expected {})", st, c.exit_status));
      for (const auto& [kind, raw] : c.checks) {
        std::string arg = subst(raw);
        if (kind == "stdout-has" && out.find(arg) == std::string::npos)
          problems.push_back(fmt::format("stdout lacks '{}'", arg));
        if (kind == "stdout-lacks" && out.find(arg) != std::string::npos)
          problems.push_back(fmt::format("stdout has '{}'", arg));
        if (kind == "stderr-has" && err.find(arg) == std::string::npos)
          problems.push_back(fmt::format("stderr lacks '{}'", arg));
        if (kind == "exists" && !fs::exists(arg)) problems.push_back(fmt::format("'{}' does not exist", arg));
        if (kind == "absent" && fs::exists(arg)) problems.push_back(fmt::format("'{}' exists", arg));
        if (kind == "file-has") {
          auto sp = arg.find(' ');
          std::string path = arg.substr(0, sp), text = sp == std::string::npos ? "" : arg.substr(sp + 1);
          if (slurp(path).find(text) == std::string::npos)
            problems.push_back(fmt::format("'{}' lacks '{}'", path, text));
        }
        if (kind == "same-files") {
          auto sp = arg.find(' ');
          std::string a = arg.substr(0, sp), b = sp == std::string::npos ? "" : arg.substr(sp + 1);
          if (!fs::exists(a) || !fs::exists(b) || slurp(a) != slurp(b))
            problems.push_back(fmt::format("'{}' and '{}' differ", a, b));
        }
      }
      // No temporary file may be left behind, whatever the outcome.
      for (auto& entry : fs::recursive_directory_iterator(tmp))
        if (entry.path().extension() == ".tmp")
          problems.push_back(fmt::format("temporary file left behind: {}", entry.path().string()));
    }
    if (problems.empty()) {
      ++passed;
      std::cout << "ok   " << c.name << "\n";
    } else {
      ++failed;
      std::cout << fmt::format("FAIL {} ({}:{})\n", c.name, file, c.line);
      for (const auto& p : problems) std::cout << "     " << p << "\n";
      std::cout << "     command: " << subst(c.run) << "\n";
      std::cout << "     stdout:\n" << excerpt(out) << "\n     stderr:\n" << excerpt(err) << "\n";
    }
  }
  std::cout << fmt::format("{} passed, {} failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
