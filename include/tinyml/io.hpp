// File helpers: whole-file reads, atomic writes, content hashes and CRC32.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tinyml {

// Reads a whole file. Throws InputError naming the path when it is missing or unreadable.
std::string read_file(const std::filesystem::path& path);

// Receives output piece by piece, so large outputs need not be held in memory whole.
using Sink = std::function<void(std::string_view)>;

// Writes `data` to a temporary file beside `path`, then renames it over `path`, so a
// reader never sees a half-written file and a failure leaves nothing behind.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Collects output files and publishes them together: each is first written to a temporary
// name; commit() renames them all. If the object is destroyed without commit(), the
// temporaries are removed and no output appears.
class AtomicOutputs {
 public:
  AtomicOutputs() = default;
  AtomicOutputs(const AtomicOutputs&) = delete;
  AtomicOutputs& operator=(const AtomicOutputs&) = delete;
  ~AtomicOutputs();
  void add(const std::filesystem::path& path, std::string_view data);
  // Like add(), but `write` produces the content through the sink it is given.
  void add_stream(const std::filesystem::path& path, const std::function<void(const Sink&)>& write);
  void commit();

 private:
  struct Pending {
    std::filesystem::path tmp, final_path;
  };
  std::vector<Pending> pending_;
};

// 64-bit FNV-1a over bytes, seedable: used for content hashes of build inputs.
std::uint64_t hash64(std::string_view data, std::uint64_t seed = 0xcbf29ce484222325ULL);
std::string hex64(std::uint64_t h);

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as in zlib and PNG.
std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);
inline std::uint32_t crc32(std::string_view s, std::uint32_t crc = 0) {
  return crc32({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, crc);
}

// The framing shared by tinyml's binary files (datasets, models):
//   8-byte magic, u32 format version, u32 header length, header, body, u32 CRC-32.
struct Container {
  std::uint32_t version = 0;
  std::string_view header, body;
};
// Starts a container: magic, version and header; append the body, then seal it.
std::string begin_container(const char (&magic)[9], std::uint32_t version, std::string_view header);
void seal_container(std::string& bytes);  // appends the CRC-32
// Checks magic, version (refusing newer ones), CRC and lengths; `what` names the kind of
// file in messages ("dataset", "model").
Container open_container(std::string_view bytes, const char (&magic)[9], std::uint32_t max_version,
                         std::string_view name, std::string_view what);

}  // namespace tinyml
