// Running other programs (compilers, emulators) without a shell: arguments are passed as
// they are, standard input is /dev/null, output is captured, and a timeout ends a program
// that hangs.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyml {

struct ProcessOptions {
  // Ends the program (SIGKILL) when it runs longer; 0 waits for ever.
  std::chrono::milliseconds timeout{0};
  // Standard error goes into `out` with standard output, in the order written.
  bool merge_stderr = false;
};

struct ProcessResult {
  int exit_code = -1;       // the exit status; -1 when a signal ended the program
  int signal = 0;           // the signal that ended it, else 0
  bool timed_out = false;   // ended by the timeout (then signal is SIGKILL)
  std::string out, err;     // standard output and standard error
  double seconds = 0;       // wall-clock time
};

// Runs argv[0] (looked up in PATH unless it contains '/') with argv[1...]. Throws Failure
// when the program cannot be started (not found, not executable).
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The program's full path if PATH has it (or `name` itself when it contains '/' and is
// executable).
std::optional<std::filesystem::path> find_program(std::string_view name);

}  // namespace tinyml
