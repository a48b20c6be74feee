// Errors raised by the host library. The CLI maps them to exit codes:
// InputError (bad input or bad usage) -> 2, anything else -> 1.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace tinyml {

// Bad input from the user: a malformed file, a wrong key, an impossible option.
// The message names the file and, where known, line and column ("f.csv:12:5: ...").
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure that is not the user's input: I/O errors, internal limits.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void input_error(fmt::format_string<Args...> f, Args&&... args) {
  throw InputError(fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void failure(fmt::format_string<Args...> f, Args&&... args) {
  throw Failure(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace tinyml
