#include "tinyml/io.hpp"
#include "tinyml/format.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "tinyml/error.hpp"

namespace tinyml {
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) input_error("{}: is a directory, expected a file", path.string());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) input_error("{}: no such file", path.string());
    input_error("{}: cannot open: {}", path.string(), std::strerror(errno));
  }
  std::string out;
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size > 0) out.reserve(static_cast<size_t>(size));
  ::lseek(fd, 0, SEEK_SET);
  std::array<char, 1 << 16> buf{};
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      input_error("{}: read error: {}", path.string(), std::strerror(e));
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

namespace {

fs::path temp_name_for(const fs::path& path) {
  static unsigned counter = 0;
  fs::path tmp = path;
  tmp += fmt::format(".{}.{}.tmp", ::getpid(), counter++);
  return tmp;
}

// Creates `path`, hands `write` a sink appending to it, and closes it; on any error the
// file is removed and a Failure raised.
void write_raw_stream(const fs::path& path, const std::function<void(const Sink&)>& write) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) failure("{}: cannot create: {}", path.string(), std::strerror(errno));
  Sink sink = [&](std::string_view data) {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        failure("{}: write error: {}", path.string(), std::strerror(errno));
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  };
  try {
    write(sink);
  } catch (...) {
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(path.c_str());
    failure("{}: close error: {}", path.string(), std::strerror(errno));
  }
}

void write_raw(const fs::path& path, std::string_view data) {
  write_raw_stream(path, [&](const Sink& sink) { sink(data); });
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view data) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  fs::path tmp = temp_name_for(path);
  write_raw(tmp, data);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    failure("{}: cannot rename temporary file into place", path.string());
  }
}

AtomicOutputs::~AtomicOutputs() {
  std::error_code ec;
  for (auto& p : pending_) fs::remove(p.tmp, ec);
}

void AtomicOutputs::add(const fs::path& path, std::string_view data) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  fs::path tmp = temp_name_for(path);
  pending_.push_back({tmp, path});
  write_raw(tmp, data);
}

void AtomicOutputs::add_stream(const fs::path& path,
                               const std::function<void(const Sink&)>& write) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  fs::path tmp = temp_name_for(path);
  pending_.push_back({tmp, path});
  write_raw_stream(tmp, write);
}

void AtomicOutputs::commit() {
  for (auto& p : pending_) {
    std::error_code ec;
    fs::rename(p.tmp, p.final_path, ec);
    if (ec) failure("{}: cannot rename temporary file into place", p.final_path.string());
  }
  pending_.clear();
}

std::string begin_container(const char (&magic)[9], std::uint32_t version, std::string_view header) {
  std::string out(magic, 8);
  auto put32 = [&](std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  put32(version);
  put32(static_cast<std::uint32_t>(header.size()));
  out += header;
  return out;
}

void seal_container(std::string& bytes) {
  std::uint32_t c = crc32(bytes);
  bytes.append(reinterpret_cast<const char*>(&c), 4);
}

Container open_container(std::string_view b, const char (&magic)[9], std::uint32_t max_version,
                         std::string_view name, std::string_view what) {
  if (b.size() < 20 || std::memcmp(b.data(), magic, 8) != 0)
    input_error("{}: not a tinyml {} file (bad magic)", name, what);
  Container c;
  std::uint32_t hlen, stored;
  std::memcpy(&c.version, b.data() + 8, 4);
  std::memcpy(&hlen, b.data() + 12, 4);
  if (c.version > max_version)
    input_error("{}: {} format version {} is newer than this tinyml reads ({}); upgrade tinyml", name, what,
                c.version, max_version);
  if (c.version == 0) input_error("{}: invalid {} format version 0", name, what);
  std::memcpy(&stored, b.data() + b.size() - 4, 4);
  if (crc32(b.substr(0, b.size() - 4)) != stored)
    input_error("{}: checksum mismatch: the file is truncated or corrupted", name);
  if (static_cast<std::size_t>(hlen) > b.size() - 20)
    input_error("{}: header length {} runs past the end of the file", name, hlen);
  c.header = b.substr(16, hlen);
  c.body = b.substr(16 + hlen, b.size() - 20 - hlen);
  return c;
}

std::uint64_t hash64(std::string_view data, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex64(std::uint64_t h) { return fmt::format("{:016x}", h); }

std::string with_commas(std::uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

namespace {
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? (0xEDB88320U ^ (c >> 1)) : (c >> 1);
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();
}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc) {
  crc = ~crc;
  for (std::uint8_t b : data) crc = kCrcTable[(crc ^ b) & 0xFFU] ^ (crc >> 8);
  return ~crc;
}

}  // namespace tinyml
