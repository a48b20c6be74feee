#include "tinyml/data/sources.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <sndfile.h>
#include <zlib.h>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"

namespace tinyml::data {

namespace {

std::uint32_t le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint32_t be32(const unsigned char* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

// Walks the RIFF chunks of a WAV file and checks that the data chunk is complete;
// libsndfile would otherwise read a truncated file without complaint.
void check_riff(std::string_view b, const std::string& name) {
  auto u = reinterpret_cast<const unsigned char*>(b.data());
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0)
    return;  // not RIFF/WAVE: leave it to libsndfile (it reads other formats too)
  std::size_t p = 12;
  bool fmt_seen = false;
  while (p + 8 <= b.size()) {
    std::uint32_t size = le32(u + p + 4);
    std::string_view id = b.substr(p, 4);
    if (id == "fmt ") fmt_seen = true;
    if (id == "data") {
      if (!fmt_seen) input_error("{}: WAV data chunk comes before its fmt chunk", name);
      std::size_t have = b.size() - (p + 8);
      if (size != 0xFFFFFFFFU && size > have)
        input_error("{}: truncated WAV: the data chunk declares {} bytes but only {} are present",
                    name, size, have);
      return;
    }
    p += std::size_t{8} + size + (size & 1U);  // in 64 bits: 8 + size must not wrap
  }
  input_error("{}: truncated WAV: no complete data chunk", name);
}

struct VirtualFile {
  std::string_view data;
  sf_count_t pos = 0;
};

sf_count_t vf_len(void* u) { return static_cast<sf_count_t>(static_cast<VirtualFile*>(u)->data.size()); }
sf_count_t vf_seek(sf_count_t off, int whence, void* u) {
  auto* f = static_cast<VirtualFile*>(u);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : static_cast<sf_count_t>(f->data.size());
  f->pos = std::clamp<sf_count_t>(base + off, 0, static_cast<sf_count_t>(f->data.size()));
  return f->pos;
}
sf_count_t vf_read(void* ptr, sf_count_t count, void* u) {
  auto* f = static_cast<VirtualFile*>(u);
  sf_count_t n = std::min<sf_count_t>(count, static_cast<sf_count_t>(f->data.size()) - f->pos);
  std::memcpy(ptr, f->data.data() + f->pos, static_cast<std::size_t>(n));
  f->pos += n;
  return n;
}
sf_count_t vf_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t vf_tell(void* u) { return static_cast<VirtualFile*>(u)->pos; }

}  // namespace

Table read_wav(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  return parse_wav(bytes, path.string());
}

Table parse_wav(std::string_view bytes, std::string_view name_view) {
  const std::string name(name_view);
  if (bytes.empty()) input_error("{}: empty file (expected WAV audio)", name);
  check_riff(bytes, name);
  VirtualFile vf{bytes, 0};
  SF_VIRTUAL_IO io{vf_len, vf_seek, vf_read, vf_write, vf_tell};
  SF_INFO info{};
  SNDFILE* sf = sf_open_virtual(&io, SFM_READ, &info, &vf);
  if (!sf) input_error("{}: not a readable audio file: {}", name, sf_strerror(nullptr));
  if (info.channels <= 0 || info.samplerate <= 0) {
    sf_close(sf);
    input_error("{}: invalid audio header ({} channels, {} Hz)", name, info.channels, info.samplerate);
  }
  std::vector<float> buf(static_cast<std::size_t>(info.frames) * static_cast<std::size_t>(info.channels));
  sf_count_t got = sf_readf_float(sf, buf.data(), info.frames);
  sf_close(sf);
  if (got != info.frames)
    input_error("{}: truncated audio: {} of {} frames could be read", name, got, info.frames);
  Table t;
  t.source = name;
  Column time;
  time.name = "time";
  time.type = ColumnType::Timestamp;
  time.time_format = TimeFormat::EpochSeconds;
  const auto frames = static_cast<std::size_t>(info.frames);
  const auto ch = static_cast<std::size_t>(info.channels);
  time.values.resize(frames);
  for (std::size_t i = 0; i < frames; ++i)
    time.values[i] = static_cast<double>(i) / info.samplerate;
  t.columns.push_back(std::move(time));
  t.time_column = 0;
  for (std::size_t c = 0; c < ch; ++c) {
    Column col;
    col.name = fmt::format("ch{}", c + 1);
    col.values.resize(frames);
    for (std::size_t i = 0; i < frames; ++i) col.values[i] = buf[i * ch + c];
    t.columns.push_back(std::move(col));
  }
  return t;
}

std::string read_maybe_gzip(const std::filesystem::path& path) {
  std::string raw = read_file(path);
  if (path.extension() != ".gz") return raw;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) failure("zlib: inflateInit failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  char buf[1 << 16];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      input_error("{}: corrupt or truncated gzip data", path.string());
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      input_error("{}: truncated gzip data", path.string());
    }
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

IdxTensor parse_idx(std::string_view b, std::string_view name) {
  auto u = reinterpret_cast<const unsigned char*>(b.data());
  if (b.size() < 4 || u[0] != 0 || u[1] != 0)
    input_error("{}: not an IDX file (the first two bytes must be zero)", name);
  const unsigned type = u[2], ndim = u[3];
  std::size_t width;
  switch (type) {
    case 0x08: case 0x09: width = 1; break;
    case 0x0B: width = 2; break;
    case 0x0C: case 0x0D: width = 4; break;
    case 0x0E: width = 8; break;
    default: input_error("{}: unknown IDX value type 0x{:02X}", name, type);
  }
  if (ndim == 0) input_error("{}: IDX file with zero dimensions", name);
  if (b.size() < 4 + 4 * ndim) input_error("{}: truncated IDX header", name);
  IdxTensor t;
  std::size_t count = 1;
  for (unsigned i = 0; i < ndim; ++i) {
    std::uint32_t d = be32(u + 4 + 4 * i);
    t.dims.push_back(d);
    if (d != 0 && count > (std::size_t{1} << 40) / d) input_error("{}: IDX dimensions too large", name);
    count *= d;
  }
  std::size_t off = 4 + 4 * ndim;
  if (b.size() - off != count * width)
    input_error("{}: IDX header promises {} values ({} bytes) but the file holds {} bytes of data",
                name, count, count * width, b.size() - off);
  t.values.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* p = u + off + i * width;
    switch (type) {
      case 0x08: t.values[i] = p[0]; break;
      case 0x09: t.values[i] = static_cast<std::int8_t>(p[0]); break;
      case 0x0B: t.values[i] = static_cast<std::int16_t>((p[0] << 8) | p[1]); break;
      case 0x0C: t.values[i] = static_cast<float>(static_cast<std::int32_t>(be32(p))); break;
      case 0x0D: {
        std::uint32_t w = be32(p);
        float f;
        std::memcpy(&f, &w, 4);
        t.values[i] = f;
        break;
      }
      default: {
        std::uint64_t w = (static_cast<std::uint64_t>(be32(p)) << 32) | be32(p + 4);
        double dv;
        std::memcpy(&dv, &w, 8);
        t.values[i] = static_cast<float>(dv);
      }
    }
  }
  return t;
}

Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels) {
  IdxTensor img = parse_idx(read_maybe_gzip(images), images.string());
  Dataset d;
  const std::size_t n = img.dims[0];
  for (std::size_t i = 1; i < img.dims.size(); ++i) d.shape.push_back(img.dims[i]);
  if (d.shape.empty()) d.shape.push_back(1);
  d.features = {"pixel"};
  d.x = std::move(img.values);
  d.y.assign(n, -1);
  if (!labels.empty()) {
    IdxTensor lab = parse_idx(read_maybe_gzip(labels), labels.string());
    if (lab.dims.size() != 1 || lab.dims[0] != n)
      input_error("{}: {} labels for {} images in {}", labels.string(),
                  lab.dims.empty() ? 0 : lab.dims[0], n, images.string());
    int maxc = 0;
    for (std::size_t i = 0; i < n; ++i) {
      d.y[i] = static_cast<std::int32_t>(lab.values[i]);
      maxc = std::max(maxc, d.y[i]);
    }
    for (int c = 0; c <= maxc; ++c) d.classes.push_back(std::to_string(c));
  }
  d.group.assign(n, 0);
  d.t_begin.assign(n, std::nan(""));
  d.t_end.assign(n, std::nan(""));
  return d;
}

}  // namespace tinyml::data
