// Two model slots with an atomic switch and rollback (tinyml_rt_slots.h): the boot choice
// and the update state machine over the caller's flash callbacks. A slot's metadata record
// (32 bytes, little-endian):
//   0 magic "TMLM", 4 record version (1), 8 sequence number, 12 bundle length,
//   16 the bundle's CRC-32 (its last 4 bytes), 20..27 zero, 28 CRC-32 of bytes 0..27.
#include "bundle_format.hpp"
#include "tinyml_rt_slots.h"

namespace {

namespace b = tinyml_rt::bundle;

struct Record {
  bool valid;
  uint32_t sequence, bundle_bytes, bundle_crc;
};

bool usable(const tinyml_rt_flash* f) {
  return f != nullptr && f->read != nullptr && f->erase != nullptr && f->write != nullptr &&
         f->slot_data[0] != nullptr && f->slot_data[1] != nullptr;
}

int32_t meta_region(int32_t slot) { return slot == 0 ? TINYML_RT_META_A : TINYML_RT_META_B; }
int32_t slot_region(int32_t slot) { return slot == 0 ? TINYML_RT_SLOT_A : TINYML_RT_SLOT_B; }

void encode(uint8_t raw[b::kMetaBytes], uint32_t sequence, uint32_t bundle_bytes, uint32_t bundle_crc) {
  for (uint32_t i = 0; i < b::kMetaBytes; ++i) raw[i] = 0;
  b::wr32(raw, b::kMetaMagic);
  b::wr32(raw + 4, b::kMetaVersion);
  b::wr32(raw + 8, sequence);
  b::wr32(raw + 12, bundle_bytes);
  b::wr32(raw + 16, bundle_crc);
  b::wr32(raw + 28, tinyml_rt_crc32(0, raw, 28));
}

// A record that cannot be read counts as no record.
Record read_record(const tinyml_rt_flash* f, int32_t slot) {
  uint8_t raw[b::kMetaBytes];
  Record r{false, 0, 0, 0};
  if (f->read(f->context, meta_region(slot), 0, raw, b::kMetaBytes) != 0) return r;
  r.sequence = b::rd32(raw + 8);
  r.bundle_bytes = b::rd32(raw + 12);
  r.bundle_crc = b::rd32(raw + 16);
  r.valid = b::rd32(raw) == b::kMetaMagic && b::rd32(raw + 4) == b::kMetaVersion && b::rd32(raw + 20) == 0 &&
            b::rd32(raw + 24) == 0 && b::rd32(raw + 28) == tinyml_rt_crc32(0, raw, 28);
  return r;
}

// The slot's bundle checks out and is the one its record describes.
bool slot_ok(const tinyml_rt_flash* f, int32_t slot, const Record& r, tinyml_rt_bundle* out) {
  if (!r.valid || r.bundle_bytes > f->slot_bytes) return false;
  if (tinyml_rt_bundle_check(f->slot_data[slot], r.bundle_bytes, out) != TINYML_RT_OK) return false;
  return b::rd32(f->slot_data[slot] + r.bundle_bytes - 4) == r.bundle_crc;
}

// Serial-number order: a is newer than b (the counter may wrap).
bool newer(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

// The update is over, done or abandoned.
tinyml_rt_status end_update(tinyml_rt_slots* s, tinyml_rt_status why) {
  s->target = -1;
  s->update_bytes = s->written = 0;
  return why;
}

}  // namespace

extern "C" {

tinyml_rt_status tinyml_rt_slots_boot(tinyml_rt_slots* slots, const tinyml_rt_flash* flash) {
  if (slots == nullptr || !usable(flash)) return TINYML_RT_NULL_POINTER;
  *slots = tinyml_rt_slots{};
  slots->active = -1;
  slots->target = -1;
  const Record r[2] = {read_record(flash, 0), read_record(flash, 1)};
  const int32_t first = r[0].valid && r[1].valid ? (newer(r[1].sequence, r[0].sequence) ? 1 : 0) : (r[1].valid ? 1 : 0);
  const int32_t order[2] = {first, 1 - first};
  for (int32_t slot : order) {
    if (slot_ok(flash, slot, r[slot], &slots->bundle)) {
      slots->active = slot;
      slots->sequence = r[slot].sequence;
      return TINYML_RT_OK;
    }
  }
  slots->bundle = tinyml_rt_bundle{};
  return TINYML_RT_NO_MODEL;
}

tinyml_rt_status tinyml_rt_update_begin(tinyml_rt_slots* slots, const tinyml_rt_flash* flash,
                                        uint32_t bundle_bytes) {
  if (slots == nullptr || !usable(flash)) return TINYML_RT_NULL_POINTER;
  if (slots->target != -1) return TINYML_RT_BAD_PARAM;
  if (bundle_bytes > flash->slot_bytes) return TINYML_RT_FLASH_ERROR;
  if (bundle_bytes < b::kHeaderBytes + 4) return TINYML_RT_BAD_BUNDLE;
  const int32_t target = slots->active == 0 ? 1 : 0;
  // The record first: from here on the slot is never taken for a valid one, whatever
  // its bytes, until the new record is written.
  if (flash->erase(flash->context, meta_region(target)) != 0 ||
      flash->erase(flash->context, slot_region(target)) != 0) {
    return TINYML_RT_FLASH_ERROR;
  }
  slots->target = target;
  slots->update_bytes = bundle_bytes;
  slots->written = 0;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_update_write(tinyml_rt_slots* slots, const tinyml_rt_flash* flash,
                                        const void* data, uint32_t size) {
  if (slots == nullptr || !usable(flash) || (data == nullptr && size > 0)) return TINYML_RT_NULL_POINTER;
  if (slots->target == -1) return TINYML_RT_BAD_PARAM;
  if (size > slots->update_bytes - slots->written) return end_update(slots, TINYML_RT_BAD_PARAM);
  if (size > 0 && flash->write(flash->context, slot_region(slots->target), slots->written, data, size) != 0) {
    return end_update(slots, TINYML_RT_FLASH_ERROR);
  }
  slots->written += size;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_update_finish(tinyml_rt_slots* slots, const tinyml_rt_flash* flash,
                                         void* arena, size_t arena_size) {
  if (slots == nullptr || !usable(flash)) return TINYML_RT_NULL_POINTER;
  if (slots->target == -1) return TINYML_RT_BAD_PARAM;
  if (slots->written != slots->update_bytes) return end_update(slots, TINYML_RT_BAD_PARAM);
  const int32_t target = slots->target;
  tinyml_rt_bundle fresh;
  tinyml_rt_status st = tinyml_rt_bundle_check(flash->slot_data[target], slots->update_bytes, &fresh);
  if (st == TINYML_RT_OK) st = tinyml_rt_bundle_self_test(&fresh, arena, arena_size);
  if (st != TINYML_RT_OK) return end_update(slots, st);
  // The commit: the new slot's record, with the next sequence number.
  const uint32_t sequence = slots->active >= 0 ? slots->sequence + 1 : 1;
  uint8_t raw[b::kMetaBytes];
  encode(raw, sequence, slots->update_bytes, b::rd32(flash->slot_data[target] + slots->update_bytes - 4));
  if (flash->write(flash->context, meta_region(target), 0, raw, b::kMetaBytes) != 0) {
    return end_update(slots, TINYML_RT_FLASH_ERROR);
  }
  const Record written = read_record(flash, target);
  if (!written.valid || written.sequence != sequence) return end_update(slots, TINYML_RT_FLASH_ERROR);
  slots->active = target;
  slots->sequence = sequence;
  slots->bundle = fresh;
  return end_update(slots, TINYML_RT_OK);
}

}  // extern "C"
