/* SPDX-License-Identifier: MIT */
/* raw_heap.h -- the floor of heap_alloc_free: the shared heap's own mechanism for small blocks
 * done raw.  Size-class free lists (16-byte steps up to 128 bytes, then 160..256, as
 * src/heap/heap_alloc.c) live in one MAP_SHARED mapping, guarded by one CAS spin lock on a
 * shared word; an allocation pops its class's list (zeroing the block, which was used before)
 * or carves a never-used block, a free pushes it.  What the library adds and this leaves out:
 * the owner-tracking lock and its dead-holder recovery, the logged chunk refills, the byte
 * count, the range checks; the blocks are carved from one region faulted in up front (the
 * library pre-faults each 64 KiB chunk when it opens it).  All inline, so the loop pays no
 * call. */
#ifndef MP_BENCH_RAW_HEAP_H
#define MP_BENCH_RAW_HEAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_util.h"
#include "raw_futex.h"

#define RAW_HEAP_NCLASSES 12
#define RAW_HEAP_MAX 256

/* The header at the start of the mapping; blocks follow it.  The free lists link blocks
 * through their first word, as the library's do (pointers here: the one mapping is at the
 * same address in every process forked after it is made). */
typedef struct raw_heap {
  _Alignas(64) _Atomic uint32_t lock; /* 0 free, 1 held */
  void *free_head[RAW_HEAP_NCLASSES];
  char *carve; /* next never-used byte */
  char *carve_end;
} raw_heap;

static const uint32_t raw_heap_class_size[RAW_HEAP_NCLASSES] = {16,  32,  48,  64,  80,  96,
                                                                112, 128, 160, 192, 224, 256};

static inline int raw_heap_class_of(size_t n) {
  if (n <= 128) return (int)((n + 15) / 16) - 1;
  return (int)((n + 31) / 32) + 3; /* 160 -> 8 ... 256 -> 11 */
}

/* A heap of bytes bytes of blocks in a fresh shared mapping, faulted in now. */
static inline raw_heap *raw_heap_new(size_t bytes) {
  size_t total = sizeof(raw_heap) + bytes;
  raw_heap *h =
      mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (h == MAP_FAILED) bench_die("raw heap: mmap failed");
  h->carve = (char *)h + sizeof(raw_heap);
  h->carve_end = (char *)h + total;
  return h;
}

static inline void raw_heap_lock(raw_heap *h) {
  for (;;) {
    uint32_t free_word = 0;
    if (atomic_compare_exchange_weak_explicit(&h->lock, &free_word, 1, memory_order_acquire,
                                              memory_order_relaxed))
      return;
    while (atomic_load_explicit(&h->lock, memory_order_relaxed) != 0) RAW_CPU_RELAX();
  }
}

static inline void raw_heap_unlock(raw_heap *h) {
  atomic_store_explicit(&h->lock, 0, memory_order_release);
}

/* A zeroed block of size bytes (1..RAW_HEAP_MAX); NULL when the region is used up. */
static inline void *raw_heap_alloc(raw_heap *h, size_t size) {
  int c = raw_heap_class_of(size);
  size_t sz = raw_heap_class_size[c];
  raw_heap_lock(h);
  void *p = h->free_head[c];
  bool reused = p != NULL;
  if (reused) {
    h->free_head[c] = *(void **)p;
  } else if (h->carve + sz <= h->carve_end) {
    p = h->carve;
    h->carve += sz;
  }
  raw_heap_unlock(h);
  /* outside the lock, as the library does: a carved block is still zero */
  if (reused) memset(p, 0, sz);
  return p;
}

static inline void raw_heap_free(raw_heap *h, void *p, size_t size) {
  int c = raw_heap_class_of(size);
  raw_heap_lock(h);
  *(void **)p = h->free_head[c];
  h->free_head[c] = p;
  raw_heap_unlock(h);
}

#endif
