// Test helpers for the act stage's messaging: child processes in the background and a real
// mosquitto broker on a free loopback port, started from a generated configuration.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tinyml::test {

// A program running in the background; output to a log file. Killed (SIGKILL) when
// destroyed if still running.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();
  void start(const std::vector<std::string>& argv, const std::filesystem::path& log);
  bool running();
  void signal(int sig);
  // Waits for the exit; returns the exit status (-signal when a signal ended it), or
  // std::nullopt-like -1000 on timeout.
  int wait(std::chrono::milliseconds timeout);
  void kill9();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = true;
};

// A loopback TCP port nothing listens on (asked from the kernel).
int free_port();
// True once something accepts connections on 127.0.0.1:port (polls until the timeout).
bool wait_port(int port, std::chrono::milliseconds timeout);

// mosquitto on 127.0.0.1:<port>, persistence in its folder, optional password file
// ("user:password") and TLS (a throwaway certificate authority and server certificate made
// with the openssl command; the CA's certificate is ca_file()).
class Broker {
 public:
  explicit Broker(std::filesystem::path dir, std::string user_password = "", bool tls = false);
  std::filesystem::path ca_file() const { return dir_ / "ca.crt"; }
  void start();    // throws with a clear message when mosquitto is not installed
  void kill9();    // SIGKILL, as a crash would
  void stop();     // SIGTERM (mosquitto saves its state)
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string log() const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  Child proc_;
  bool auth_ = false;
};

std::string read_text(const std::filesystem::path& p);

}  // namespace tinyml::test
