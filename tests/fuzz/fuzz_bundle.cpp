// Fuzzes the runtime's model-bundle check (tinyml_rt_bundle_check): a bundle it accepts
// must run, through tinyml_rt_bundle_invoke and the self-test, inside an arena of exactly
// the size it asks for (AddressSanitizer watches the arena, the bundle and the output).
// Half of the inputs (those whose last byte is odd) get a length field and a CRC-32 made
// good, so the fuzzer gets past the framing to the field checks.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tinyml_rt_bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  std::vector<std::uint32_t> words(size / 4 + 1);  // 4-byte aligned, as flash holds it
  auto* bytes = reinterpret_cast<std::uint8_t*>(words.data());
  if (size) std::memcpy(bytes, data, size);
  if (size >= 132 && (data[size - 1] & 1)) {
    const auto put = [&](std::size_t at, std::uint32_t v) {
      for (int i = 0; i < 4; ++i) bytes[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
    };
    put(16, static_cast<std::uint32_t>(size));  // the header's total length
    put(size - 4, tinyml_rt_crc32(0, bytes, size - 4));
  }
  tinyml_rt_bundle bd;
  if (tinyml_rt_bundle_check(bytes, size, &bd) != TINYML_RT_OK) return 0;
  if (bd.arena_bytes > (1u << 20)) return 0;
  std::vector<std::uint8_t> arena(bd.arena_bytes);  // exactly the size asked for
  std::vector<std::int8_t> out(bd.output_bytes);
  tinyml_rt_bundle_invoke(&bd, arena.data(), arena.size(), bd.self_test_input, out.data());
  tinyml_rt_bundle_self_test(&bd, arena.data(), arena.size());
  for (std::uint32_t k = 0; k <= bd.num_classes; ++k) tinyml_rt_bundle_class_name(&bd, k);
  return 0;
}
