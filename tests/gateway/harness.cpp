#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tinyml/process.hpp"

extern char** environ;

namespace tinyml::test {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Child::~Child() {
  if (running()) kill9();
}

void Child::start(const std::vector<std::string>& argv, const fs::path& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  reaped_ = false;
}

bool Child::running() {
  if (reaped_) return false;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return false;
  }
  return true;
}

void Child::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

int Child::wait(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > end) return -1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

void Child::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  wait(std::chrono::seconds(10));
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

bool wait_port(int port, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

namespace {

std::string mosquitto_binary() {
  if (auto p = find_program("mosquitto")) return p->string();
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"})
    if (fs::exists(p)) return p;
  throw std::runtime_error(
      "mosquitto (the MQTT broker) is not installed: the act stage's integration tests need it "
      "(Debian: apt-get install mosquitto; scripts/deps.sh installs it)");
}

}  // namespace

namespace {

void run_or_throw(const std::vector<std::string>& argv) {
  ProcessResult r = run_process(argv, {.timeout = std::chrono::seconds(60), .merge_stderr = true});
  if (r.exit_code != 0) throw std::runtime_error(argv[0] + " failed: " + r.out);
}

// A certificate authority and a server certificate for 127.0.0.1, valid for a day.
void make_certificates(const fs::path& d) {
  const std::string o = "openssl";
  if (!find_program(o)) throw std::runtime_error("the TLS test needs the openssl command (Debian: openssl)");
  run_or_throw({o, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", (d / "ca.key").string(), "-out",
                (d / "ca.crt").string(), "-days", "1", "-subj", "/CN=tinyml test CA"});
  run_or_throw({o, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", (d / "server.key").string(), "-out",
                (d / "server.csr").string(), "-subj", "/CN=127.0.0.1"});
  std::ofstream(d / "san.cnf") << "subjectAltName=IP:127.0.0.1\n";
  run_or_throw({o, "x509", "-req", "-in", (d / "server.csr").string(), "-CA", (d / "ca.crt").string(), "-CAkey",
                (d / "ca.key").string(), "-CAcreateserial", "-out", (d / "server.crt").string(), "-days", "1",
                "-extfile", (d / "san.cnf").string()});
}

}  // namespace

Broker::Broker(fs::path dir, std::string user_password, bool tls) : dir_(std::move(dir)) {
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  port_ = free_port();
  std::ofstream conf(dir_ / "mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\n"
       << "persistence true\n"
       << "persistence_location " << dir_.string() << "/\n"
       << "autosave_interval 1\n"
       << "max_queued_messages 1000000\n"
       << "max_inflight_messages 100\n"
       << "log_dest file " << (dir_ / "mosquitto.log").string() << "\n"
       << "log_type error\nlog_type warning\nlog_type notice\n";
  if (::getuid() == 0) conf << "user root\n";  // keep the rights to the test folder
  if (tls) {
    make_certificates(dir_);
    conf << "cafile " << ca_file().string() << "\ncertfile " << (dir_ / "server.crt").string() << "\nkeyfile "
         << (dir_ / "server.key").string() << "\n";
  }
  if (!user_password.empty()) {
    const auto colon = user_password.find(':');
    std::string tool = "mosquitto_passwd";
    if (!find_program(tool)) tool = "/usr/bin/mosquitto_passwd";
    ProcessResult r = run_process({tool, "-b", "-c", (dir_ / "passwd").string(), user_password.substr(0, colon),
                                   user_password.substr(colon + 1)},
                                  {.timeout = std::chrono::seconds(20), .merge_stderr = true});
    if (r.exit_code != 0) throw std::runtime_error("mosquitto_passwd failed: " + r.out);
    conf << "allow_anonymous false\npassword_file " << (dir_ / "passwd").string() << "\n";
    auth_ = true;
  } else {
    conf << "allow_anonymous true\n";
  }
}

void Broker::start() {
  proc_.start({mosquitto_binary(), "-c", (dir_ / "mosquitto.conf").string()}, dir_ / "stdout.log");
  if (!wait_port(port_, std::chrono::seconds(10)))
    throw std::runtime_error("mosquitto did not listen on port " + std::to_string(port_) + ": " + log());
}

void Broker::kill9() { proc_.kill9(); }

void Broker::stop() {
  proc_.signal(SIGTERM);
  proc_.wait(std::chrono::seconds(10));
}

std::string Broker::log() const { return read_text(dir_ / "mosquitto.log") + read_text(dir_ / "stdout.log"); }

}  // namespace tinyml::test
