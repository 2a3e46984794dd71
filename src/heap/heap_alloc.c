/* SPDX-License-Identifier: MIT */
/* heap_alloc.c -- mp_shared_alloc and mp_shared_free: small blocks from size classes, large
 * ones as runs of pages (heap_pages.c).
 *
 * Small blocks (<= 2048 bytes) come from size-class free lists, refilled by carving 64 KiB
 * chunks -- page runs that are never given back -- pre-faulted so first touches do not fault
 * one page at a time.  A size-class operation ends in one store that commits it (pop: the
 * list head; push: the list head after the link is written; carve: the cursor), so a process
 * killed in between leaves the lists consistent and at worst leaks the block it was working
 * on.  A refill takes a page run, which is a logged operation (heap_journal.c).
 *
 * Large blocks are runs of pages.  Freeing one punches its pages out of the mapping
 * (MADV_REMOVE), which gives the memory back to the system, and then merges the run with its
 * free neighbours. */
#include <string.h>
#include <sys/mman.h>

#include "heap/heap_internal.h"

static const uint32_t class_size[HEAP_NCLASSES] = {16,  32,  48,  64,   80,   96,   112,  128,
                                                   160, 192, 224, 256,  320,  384,  448,  512,
                                                   640, 768, 896, 1024, 1280, 1536, 1792, 2048};

static int class_of(size_t n) {
  if (n <= 128) return (int)((n + 15) / 16) - 1;
  for (int c = 8; c < HEAP_NCLASSES; c++)
    if (n <= class_size[c]) return c;
  return -1;
}

static void *at(uint64_t off) { return mp__heap_base + off; }

/* A new chunk for class c, its first block carved and counted, as one logged operation.
 * Lock held.  Returns the chunk's offset (which is the block's), 0 when the heap is full. */
static uint64_t small_refill(heap_hdr *h, int c) {
  heap_txn t;
  mp__heap_txn_begin(&t);
  uint64_t chunk = mp__pages_take(&t, h, HEAP_CHUNK_PAGES, HEAP_KIND_CHUNK);
  if (chunk == 0) return 0;
  mp__heap_txn_set(
      &t, HEAP_HDR_OFF(cls) + (uint64_t)c * sizeof(heap_class) + offsetof(heap_class, carve),
      chunk + class_size[c]);
  mp__heap_txn_set(
      &t, HEAP_HDR_OFF(cls) + (uint64_t)c * sizeof(heap_class) + offsetof(heap_class, carve_end),
      chunk + HEAP_CHUNK);
  mp__heap_txn_set(&t, HEAP_HDR_OFF(allocated), h->allocated + class_size[c]);
  return mp__heap_txn_commit(h, &t) == 0 ? chunk : 0;
}

/* Takes a small block of class c.  Lock held.  Sets *fresh when the memory was never used
 * (and so is still zero), *new_chunk when it opened a chunk.  Returns its offset, or 0 when
 * the heap is exhausted. */
static uint64_t small_take(heap_hdr *h, int c, bool *fresh, bool *new_chunk) {
  heap_class *k = &h->cls[c];
  uint64_t sz = class_size[c];
  uint64_t off = k->free_head;
  *fresh = off == 0;
  if (off) {
    k->free_head = *(uint64_t *)at(off); /* commit: popped */
  } else if (k->carve + sz <= k->carve_end) {
    off = k->carve;
    k->carve = off + sz; /* commit: carved */
  } else {
    *new_chunk = true;
    return small_refill(h, c); /* counted there */
  }
  h->allocated += sz;
  return off;
}

/* npages pages as one logged operation.  Lock held.  Returns the offset, 0 when none fit. */
static uint64_t large_take(heap_hdr *h, uint64_t npages) {
  heap_txn t;
  mp__heap_txn_begin(&t);
  uint64_t off = mp__pages_take(&t, h, npages, HEAP_KIND_USED);
  if (off == 0) return 0;
  mp__heap_txn_set(&t, HEAP_HDR_OFF(allocated), h->allocated + npages * HEAP_PAGE);
  if (mp__heap_txn_commit(h, &t) != 0) {
    mp__log(MP_LOG_ERROR, "shared heap: a page-run operation outgrew its log; not done");
    return 0;
  }
  return off;
}

/* A failed allocation: NULL, errno ENOMEM, and the reason for mp_error_message(-ENOMEM). */
static void *exhausted(const heap_hdr *h, size_t size) {
  (void)mp__fail(-ENOMEM,
                 "the shared heap (%llu MiB) has no room for %zu more bytes; MP_HEAP_SIZE or "
                 "mp_heap_configure() sets its size",
                 (unsigned long long)(h->size >> 20), size);
  errno = ENOMEM;
  return NULL;
}

void *mp_shared_alloc(size_t size) {
  if (size == 0 || size > ((size_t)1 << 40)) {
    errno = size ? ENOMEM : EINVAL;
    return NULL;
  }
  if (mp__unlikely(__atomic_load_n(&mp__heap_base, __ATOMIC_ACQUIRE) == NULL)) {
    int rc = mp__heap_ensure();
    if (rc != 0) {
      /* The callers report -ENOMEM: tell mp_error_message() why there is no heap. */
      (void)mp__fail(-ENOMEM, "the shared heap could not be made (%s)", mp_error_message(rc));
      errno = ENOMEM;
      return NULL;
    }
  }
  heap_hdr *h = mp__heap_hdr();
  int c = class_of(size);
  if (c >= 0) {
    bool fresh, chunk = false;
    mp__heap_lock(h);
    uint64_t off = small_take(h, c, &fresh, &chunk);
    mp__heap_unlock(h);
    if (off == 0) return exhausted(h, size);
    if (chunk) (void)madvise(at(off), HEAP_CHUNK, MADV_POPULATE_WRITE);
    void *p = at(off);
    if (!fresh) memset(p, 0, class_size[c]);
    return p;
  }
  uint64_t npages = (size + HEAP_PAGE - 1) / HEAP_PAGE;
  mp__heap_lock(h);
  uint64_t off = large_take(h, npages);
  mp__heap_unlock(h);
  if (off == 0) return exhausted(h, size);
  return at(off); /* a run's pages are punched out or were never touched: zero */
}

static void large_free(heap_hdr *h, void *ptr, uint64_t off, uint64_t npages) {
  /* Checked before the pages are punched out (a wrong size or a double free must not wipe
   * somebody else's memory), and again when the run is given back, in case another process
   * freed the same block in between. */
  mp__heap_lock(h);
  bool ok = mp__pages_is_used_block(h, off, npages);
  mp__heap_unlock(h);
  if (!ok) {
    mp__log(MP_LOG_ERROR, "mp_shared_free: %p is not a live block of %llu pages", ptr,
            (unsigned long long)npages);
    return;
  }
  /* The memory goes back to the system before the run is listed, so free runs are zero. */
  if (madvise(ptr, npages * HEAP_PAGE, MADV_REMOVE) != 0) memset(ptr, 0, npages * HEAP_PAGE);
  heap_txn t;
  mp__heap_txn_begin(&t);
  mp__heap_lock(h);
  int r = MP_ESTATE;
  if (mp__pages_is_used_block(h, off, npages)) {
    mp__pages_give(&t, h, off, npages);
    mp__heap_txn_set(&t, HEAP_HDR_OFF(allocated), h->allocated - npages * HEAP_PAGE);
    r = mp__heap_txn_commit(h, &t);
  }
  mp__heap_unlock(h);
  if (r == MP_ESTATE) mp__log(MP_LOG_ERROR, "mp_shared_free: %p was freed twice at once", ptr);
  if (r == MP_ECORRUPT)
    mp__log(MP_LOG_ERROR, "shared heap: a page-run operation outgrew its log; %p leaked", ptr);
}

void mp_shared_free(void *ptr, size_t size) {
  char *base = __atomic_load_n(&mp__heap_base, __ATOMIC_ACQUIRE);
  if (ptr == NULL || base == NULL) return;
  heap_hdr *h = mp__heap_hdr();
  uint64_t off = (uint64_t)((char *)ptr - base);
  if ((char *)ptr < base || off >= h->size || size == 0) {
    mp__log(MP_LOG_ERROR, "mp_shared_free: %p is not in the shared heap", ptr);
    return;
  }
  int c = class_of(size);
  if (c >= 0) {
    mp__heap_lock(h);
    heap_class *k = &h->cls[c];
    *(uint64_t *)ptr = k->free_head;
    k->free_head = off; /* commit: pushed */
    h->allocated -= class_size[c];
    mp__heap_unlock(h);
    return;
  }
  large_free(h, ptr, off, (size + HEAP_PAGE - 1) / HEAP_PAGE);
}
