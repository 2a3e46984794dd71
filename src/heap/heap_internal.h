/* SPDX-License-Identifier: MIT */
/* heap_internal.h -- layout of the shared heap's header and page map, and what the heap's
 * files (heap.c: the mapping and the lock; heap_alloc.c: the public calls and size classes;
 * heap_pages.c: page runs; heap_journal.c: the redo log) share. */
#ifndef MP_HEAP_INTERNAL_H
#define MP_HEAP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap/heap.h"
#include "os/olock.h"

/* Small blocks come in size classes up to HEAP_SMALL_MAX; larger ones are whole pages. */
#define HEAP_SMALL_MAX 2048
#define HEAP_NCLASSES 24
#define HEAP_PAGE 4096
#define HEAP_CHUNK_PAGES 16 /* small classes carve their blocks from runs of 64 KiB */
#define HEAP_CHUNK (HEAP_CHUNK_PAGES * HEAP_PAGE)

/* Free page runs are kept in bins by length: one bin per length below 16 pages, then four
 * per power of two, so a bin's runs differ by at most a quarter in length.  A heap of at most
 * 1 TiB has runs of at most 2^28 pages, which needs bins up to 115. */
#define HEAP_NBINS 128

/* The most words one page-run operation changes (a free that merges on both sides and a
 * small-class refill are the largest, at about 16); see heap_journal.c. */
#define HEAP_LOG_MAX 40

/* One small size class.  All values are offsets from the heap base; 0 means none. */
typedef struct {
  uint64_t free_head; /* singly linked list of freed blocks; the link is a block's first word */
  uint64_t carve; /* next never-used block in the current chunk */
  uint64_t carve_end; /* end of the current chunk */
} heap_class;

/* The page map has one entry per page of the mapping.  Only the entries of a block's first
 * and last pages mean anything (boundary tags, kept outside the pages so that a free run's
 * pages stay punched out and a freed neighbour is found without touching its memory). */
typedef struct {
  uint64_t tag; /* npages | kind << 32 | HEAP_TAG_FIRST on the first page's entry */
  uint64_t links; /* free runs, first page: next | prev << 32, page indices in the bin, 0 = end */
} heap_page;

#define HEAP_TAG_LEN_MASK UINT64_C(0xFFFFFFFF)
#define HEAP_TAG_KIND_SHIFT 32
#define HEAP_TAG_KIND_MASK (UINT64_C(0xFF) << HEAP_TAG_KIND_SHIFT)
#define HEAP_TAG_FIRST (UINT64_C(1) << 40)

enum {
  HEAP_KIND_NONE = 0, /* never tagged, or a freed block's stale first page */
  HEAP_KIND_USED = 1, /* a large block a caller holds */
  HEAP_KIND_CHUNK = 2, /* a small class's chunk: never given back */
  HEAP_KIND_FREE = 3, /* a free run, listed in its bin */
};

/* One word a page-run operation will write: offset from the heap base and its new value. */
typedef struct {
  uint64_t off, val;
} heap_log_entry;

/* The redo log of the page-run operation in progress.  count != 0 means: every entry is
 * written and they all must be applied (a holder that died is finished for it). */
typedef struct {
  _Atomic uint64_t count;
  heap_log_entry e[HEAP_LOG_MAX];
} heap_log;

/* The first pages of the heap mapping. */
typedef struct {
  uint64_t magic;
  uint64_t size; /* bytes in the mapping */
  mp__olock lock; /* notices a holder that died, see mp__heap_lock() in heap.c */
  uint64_t map; /* offset of the page map (heap_page per page of the mapping) */
  uint64_t data; /* offset of the first page blocks are made of */
  uint64_t top; /* offset of the first byte of the untouched tail */
  uint64_t peak; /* the highest top ever: stats' "used" */
  uint64_t allocated; /* bytes currently allocated */
  uint64_t recoveries; /* lock take-overs from dead holders */
  uint64_t bin_mask[HEAP_NBINS / 64]; /* bit b set: bin b is not empty */
  uint64_t bin[HEAP_NBINS]; /* page index of each bin's first free run, 0 = empty */
  heap_class cls[HEAP_NCLASSES];
  heap_log log;
} heap_hdr;

/* The mapping's base in this process (NULL until the heap exists or is attached). */
extern char *mp__heap_base;
static inline heap_hdr *mp__heap_hdr(void) { return (heap_hdr *)(void *)mp__heap_base; }

/* Takes the allocator lock; a take-over from a dead holder first finishes that holder's
 * logged operation (mp__heap_lock_recover, heap.c).  mp__heap_unlock gives it back.  Inline:
 * the size classes' fast path is a lock, a pop or push, and an unlock. */
void mp__heap_lock_recover(heap_hdr *h);
static inline void mp__heap_lock(heap_hdr *h) {
  if (mp__unlikely(mp__olock_acquire(&h->lock, MP_FOREVER) == MP_EOWNERDEAD))
    mp__heap_lock_recover(h);
}
static inline void mp__heap_unlock(heap_hdr *h) { mp__olock_release(&h->lock); }

/* ---- heap_journal.c: a page-run operation is planned in a heap_txn, then committed ---- */

/* The words an operation changes, collected before any is written.  Process-local. */
typedef struct {
  int n;
  bool overflow; /* more than HEAP_LOG_MAX words: the operation is dropped, not half done */
  heap_log_entry e[HEAP_LOG_MAX];
} heap_txn;

static inline void mp__heap_txn_begin(heap_txn *t) {
  t->n = 0;
  t->overflow = false;
}

/* The word at off as the operation has it so far: its planned value, else memory's. */
uint64_t mp__heap_txn_get(const heap_txn *t, uint64_t off);
/* Plans off's new value. */
void mp__heap_txn_set(heap_txn *t, uint64_t off, uint64_t val);
/* Writes the plan to the log, commits it with one store, applies it and clears the log.
 * Lock held.  Returns 0, or MP_ECORRUPT when the plan overflowed (nothing was written). */
int mp__heap_txn_commit(heap_hdr *h, heap_txn *t);
/* Lock held, taken over from a dead holder: applies a committed log again and clears it. */
void mp__heap_log_recover(heap_hdr *h);

/* Offset of a header field, for mp__heap_txn_get/set. */
#define HEAP_HDR_OFF(field) ((uint64_t)offsetof(heap_hdr, field))

/* ---- heap_pages.c: runs of pages with boundary tags, merged with free neighbours ---- */

/* Plans taking npages pages tagged kind (HEAP_KIND_USED or HEAP_KIND_CHUNK) from the best
 * fitting free run, or from the untouched tail.  Returns the first page's offset, 0 when no
 * run and not the tail fits.  The pages are zero (punched out or never touched). */
uint64_t mp__pages_take(heap_txn *t, heap_hdr *h, uint64_t npages, unsigned kind);

/* Whether [off, off + npages pages) is a large block a caller holds, as mp__pages_give needs. */
bool mp__pages_is_used_block(heap_hdr *h, uint64_t off, uint64_t npages);

/* Plans giving back a used block (checked with mp__pages_is_used_block): it merges with free
 * neighbours, and with the untouched tail when it ends there.  Its pages must be punched out
 * already. */
void mp__pages_give(heap_txn *t, heap_hdr *h, uint64_t off, uint64_t npages);

/* Walks every block and bin (lock held): 0 when the tags, bins and coalescing agree, else
 * MP_ECORRUPT.  *used_bytes gets the bytes of large blocks callers hold. */
int mp__pages_check(heap_hdr *h, uint64_t *used_bytes);

#endif
