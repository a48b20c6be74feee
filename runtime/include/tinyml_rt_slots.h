/* tinyml device runtime: two model slots with an atomic switch and rollback, for
 * over-the-air updates of model bundles (tinyml_rt_bundle.h).
 *
 * Flash layout (given by the caller through tinyml_rt_flash): slot A and slot B each hold
 * one bundle; each slot has its own small metadata record (its own erase unit) holding a
 * sequence number, the bundle's length and CRC-32, and the record's CRC-32. The running
 * model is the slot with the newest valid record whose bundle checks out.
 *
 * An update writes the slot that is not running: its record is erased first, then the
 * slot; the bundle is written; then it is checked (tinyml_rt_bundle_check) and its
 * self-test is run (its test input must give its expected output); only then is the
 * slot's record written, with the next sequence number: that write is the commit point. A
 * power loss anywhere before it leaves the old model running after a reboot; a bundle that
 * fails a check or its self-test never becomes active; the old slot and its record are
 * never touched by an update, so a later failure of the new slot rolls back to it at the
 * next boot.
 */
#ifndef TINYML_RT_SLOTS_H
#define TINYML_RT_SLOTS_H

#include "tinyml_rt_bundle.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tinyml_rt_region {
  TINYML_RT_SLOT_A = 0,
  TINYML_RT_SLOT_B = 1,
  TINYML_RT_META_A = 2, /* slot A's metadata record (32 bytes used) */
  TINYML_RT_META_B = 3  /* slot B's */
} tinyml_rt_region;

/* The flash, given by the caller. Callbacks return 0 on success (anything else is a
 * failure, reported as TINYML_RT_FLASH_ERROR). erase sets a whole region to 0xFF; write
 * programs bytes of an erased region. */
typedef struct tinyml_rt_flash {
  void* context;
  int (*read)(void* context, int32_t region, uint32_t offset, void* data, uint32_t size);
  int (*erase)(void* context, int32_t region);
  int (*write)(void* context, int32_t region, uint32_t offset, const void* data, uint32_t size);
  /* Slots A and B as the CPU reads them (memory-mapped flash), 4-byte aligned: bundles are
   * checked and run in place. */
  const uint8_t* slot_data[2];
  uint32_t slot_bytes; /* the capacity of each slot */
} tinyml_rt_flash;

/* The state of the two slots: plain data, nothing to release. */
typedef struct tinyml_rt_slots {
  int32_t active;          /* 0 (A), 1 (B), or -1: no model */
  uint32_t sequence;       /* the active slot's sequence number */
  tinyml_rt_bundle bundle; /* the active slot's bundle, checked */
  int32_t target;          /* the slot an update is writing, or -1 */
  uint32_t update_bytes, written;
} tinyml_rt_slots;

/* Picks the running model: of the slots whose record is valid (magic, version, CRC) and
 * whose bundle checks out and matches the record's length and CRC, the one with the newer
 * sequence number (serial arithmetic, so the counter may wrap), else the other one. A
 * record that cannot be read counts as none. NO_MODEL when neither slot qualifies. */
tinyml_rt_status tinyml_rt_slots_boot(tinyml_rt_slots* slots, const tinyml_rt_flash* flash);

/* Starts an update of `bundle_bytes` bytes into the slot that is not running (A when none
 * is): erases that slot's record, then the slot. FLASH_ERROR when it does not fit or a
 * callback fails; BAD_PARAM when an update is already under way. */
tinyml_rt_status tinyml_rt_update_begin(tinyml_rt_slots* slots, const tinyml_rt_flash* flash,
                                        uint32_t bundle_bytes);
/* Appends the next `size` bytes of the bundle (any chunk size). */
tinyml_rt_status tinyml_rt_update_write(tinyml_rt_slots* slots, const tinyml_rt_flash* flash,
                                        const void* data, uint32_t size);
/* Ends the update: every byte must have been written; the new slot's bundle is checked and
 * its self-test run in `arena` (at least its arena_bytes, 4-byte aligned); then its record
 * is written and read back (the commit) and the new slot becomes the active one. On any
 * failure the update is abandoned, the running model stays, and the status says why
 * (BAD_BUNDLE, INCOMPATIBLE, SELF_TEST_FAILED, FLASH_ERROR, SCRATCH_TOO_SMALL, ...). */
tinyml_rt_status tinyml_rt_update_finish(tinyml_rt_slots* slots, const tinyml_rt_flash* flash,
                                         void* arena, size_t arena_size);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_RT_SLOTS_H */
