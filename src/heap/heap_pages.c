/* SPDX-License-Identifier: MIT */
/* heap_pages.c -- the page-run allocator under large blocks (> 2 KiB) and the size classes'
 * chunks: runs of whole pages with boundary tags, merged with their free neighbours on free.
 *
 * Why boundary tags and not a buddy system: a buddy system rounds every block up to a power
 * of two pages, so a 300 KB message would take 512 KiB and a message just over 1 MiB 2 MiB --
 * up to half the reservation lost to rounding, and queues move messages of any size through
 * here.  With boundary tags a block is exactly its pages, a freed block finds both neighbours
 * in O(1) (the entry just before it and just after it in the page map) and merges with them,
 * and a free run that reaches the untouched tail of the mapping goes back into it.
 *
 * The tags live in the page map (heap_internal.h), not in the pages: a free run's pages stay
 * punched out, so freeing gives all of a block's memory back to the system and a run handed
 * out again is zero without being touched.
 *
 * Free runs sit in bins by length (exact below 16 pages, then four per power of two), each a
 * doubly linked list so a neighbour merged away leaves its bin in O(1), with a bitmap of the
 * bins that are not empty.  Taking n pages looks at a few runs of n's own bin for the
 * shortest that fits, else takes the first run of the next non-empty bin (every run there
 * fits), else the rest of n's bin, else the tail: good fit in near constant time.  The front
 * of the run is handed out; the rest stays a free run.
 *
 * Every function here only plans (heap_txn, see heap_journal.c): nothing is written until the
 * caller commits, so a process killed anywhere leaves either the old state or, once
 * committed, the new one. */
#include "heap/heap_internal.h"

#define LINK_MASK UINT64_C(0xFFFFFFFF)
#define OWN_BIN_SCAN 8 /* runs of the own bin looked at before a larger bin is used */

static inline uint64_t tag_off(const heap_hdr *h, uint64_t pg) {
  return h->map + pg * sizeof(heap_page);
}
static inline uint64_t links_off(const heap_hdr *h, uint64_t pg) {
  return tag_off(h, pg) + offsetof(heap_page, links);
}
static inline uint64_t bin_off(unsigned b) { return HEAP_HDR_OFF(bin) + b * sizeof(uint64_t); }
static inline uint64_t mask_off(unsigned b) {
  return HEAP_HDR_OFF(bin_mask) + (b / 64) * sizeof(uint64_t);
}

static inline uint64_t make_tag(uint64_t npages, unsigned kind) {
  return npages | (uint64_t)kind << HEAP_TAG_KIND_SHIFT;
}
static inline uint64_t tag_len(uint64_t tag) { return tag & HEAP_TAG_LEN_MASK; }
static inline unsigned tag_kind(uint64_t tag) {
  return (unsigned)((tag & HEAP_TAG_KIND_MASK) >> HEAP_TAG_KIND_SHIFT);
}

static unsigned bin_of(uint64_t npages) {
  if (npages < 16) return (unsigned)npages;
  unsigned f = 63u - (unsigned)__builtin_clzll(npages);
  return 16 + (f - 4) * 4 + (unsigned)((npages >> (f - 2)) & 3);
}

/* The first non-empty bin at or above from, or HEAP_NBINS. */
static unsigned next_bin(const heap_txn *t, unsigned from) {
  for (unsigned w = from / 64; w < HEAP_NBINS / 64; w++) {
    uint64_t m = mp__heap_txn_get(t, mask_off(w * 64));
    if (w == from / 64) m &= ~UINT64_C(0) << (from % 64);
    if (m) return w * 64 + (unsigned)__builtin_ctzll(m);
  }
  return HEAP_NBINS;
}

static void tag_block(heap_txn *t, const heap_hdr *h, uint64_t pg, uint64_t n, unsigned kind) {
  mp__heap_txn_set(t, tag_off(h, pg), make_tag(n, kind) | HEAP_TAG_FIRST);
  if (n > 1) mp__heap_txn_set(t, tag_off(h, pg + n - 1), make_tag(n, kind));
}

static void link_run(heap_txn *t, const heap_hdr *h, uint64_t pg, uint64_t n) {
  unsigned b = bin_of(n);
  uint64_t head = mp__heap_txn_get(t, bin_off(b));
  mp__heap_txn_set(t, links_off(h, pg), head); /* next: the old head; prev: none */
  if (head) {
    uint64_t l = mp__heap_txn_get(t, links_off(h, head));
    mp__heap_txn_set(t, links_off(h, head), (l & LINK_MASK) | pg << 32);
  } else {
    mp__heap_txn_set(t, mask_off(b), mp__heap_txn_get(t, mask_off(b)) | UINT64_C(1) << (b % 64));
  }
  mp__heap_txn_set(t, bin_off(b), pg);
}

static void unlink_run(heap_txn *t, const heap_hdr *h, uint64_t pg, uint64_t n) {
  unsigned b = bin_of(n);
  uint64_t l = mp__heap_txn_get(t, links_off(h, pg));
  uint64_t next = l & LINK_MASK, prev = l >> 32;
  if (prev) {
    uint64_t pl = mp__heap_txn_get(t, links_off(h, prev));
    mp__heap_txn_set(t, links_off(h, prev), (pl & ~LINK_MASK) | next);
  } else {
    mp__heap_txn_set(t, bin_off(b), next);
    if (!next) {
      uint64_t mask = mp__heap_txn_get(t, mask_off(b));
      mp__heap_txn_set(t, mask_off(b), mask & ~(UINT64_C(1) << (b % 64)));
    }
  }
  if (next) {
    uint64_t nl = mp__heap_txn_get(t, links_off(h, next));
    mp__heap_txn_set(t, links_off(h, next), (nl & LINK_MASK) | prev << 32);
  }
}

static uint64_t run_len(const heap_txn *t, const heap_hdr *h, uint64_t pg) {
  return tag_len(mp__heap_txn_get(t, tag_off(h, pg)));
}

/* The shortest run that fits among the first `limit` (0: all) runs of bin b, 0 if none. */
static uint64_t best_in_bin(const heap_txn *t, const heap_hdr *h, unsigned b, uint64_t n,
                            unsigned limit) {
  uint64_t best = 0, best_len = UINT64_MAX;
  unsigned seen = 0;
  for (uint64_t r = mp__heap_txn_get(t, bin_off(b)); r && (limit == 0 || seen < limit); seen++) {
    uint64_t len = run_len(t, h, r);
    if (len >= n && len < best_len) {
      best = r;
      best_len = len;
      if (len == n) break;
    }
    r = mp__heap_txn_get(t, links_off(h, r)) & LINK_MASK;
  }
  return best;
}

uint64_t mp__pages_take(heap_txn *t, heap_hdr *h, uint64_t npages, unsigned kind) {
  unsigned b = bin_of(npages);
  uint64_t pg = best_in_bin(t, h, b, npages, OWN_BIN_SCAN);
  if (pg == 0) {
    unsigned up = next_bin(t, b + 1);
    if (up < HEAP_NBINS) pg = mp__heap_txn_get(t, bin_off(up));
  }
  if (pg == 0) pg = best_in_bin(t, h, b, npages, 0);
  if (pg) {
    uint64_t len = run_len(t, h, pg);
    unlink_run(t, h, pg, len);
    if (len > npages) {
      tag_block(t, h, pg + npages, len - npages, HEAP_KIND_FREE);
      link_run(t, h, pg + npages, len - npages);
    }
    tag_block(t, h, pg, npages, kind);
    return pg * HEAP_PAGE;
  }
  uint64_t top = mp__heap_txn_get(t, HEAP_HDR_OFF(top));
  if (npages > (h->size - top) / HEAP_PAGE) return 0;
  uint64_t end = top + npages * HEAP_PAGE;
  mp__heap_txn_set(t, HEAP_HDR_OFF(top), end);
  if (end > mp__heap_txn_get(t, HEAP_HDR_OFF(peak))) mp__heap_txn_set(t, HEAP_HDR_OFF(peak), end);
  tag_block(t, h, top / HEAP_PAGE, npages, kind);
  return top;
}

bool mp__pages_is_used_block(heap_hdr *h, uint64_t off, uint64_t npages) {
  if (off % HEAP_PAGE != 0 || off < h->data || off >= h->top || npages == 0 ||
      npages > (h->top - off) / HEAP_PAGE)
    return false;
  const heap_page *map = (const heap_page *)(const void *)(mp__heap_base + h->map);
  uint64_t pg = off / HEAP_PAGE;
  return map[pg].tag == (make_tag(npages, HEAP_KIND_USED) | HEAP_TAG_FIRST) &&
         (npages == 1 || map[pg + npages - 1].tag == make_tag(npages, HEAP_KIND_USED));
}

void mp__pages_give(heap_txn *t, heap_hdr *h, uint64_t off, uint64_t npages) {
  uint64_t pg = off / HEAP_PAGE, start = pg, len = npages;
  uint64_t top_pg = mp__heap_txn_get(t, HEAP_HDR_OFF(top)) / HEAP_PAGE;
  /* The block's first tag goes whatever it merges with, so that freeing it again (or a
   * pointer into a later block that covers it) is recognised as not a block. */
  mp__heap_txn_set(t, tag_off(h, pg), 0);
  if (pg > h->data / HEAP_PAGE) {
    uint64_t left = mp__heap_txn_get(t, tag_off(h, pg - 1));
    if (tag_kind(left) == HEAP_KIND_FREE) {
      start = pg - tag_len(left);
      len += tag_len(left);
      unlink_run(t, h, start, tag_len(left));
    }
  }
  if (pg + npages < top_pg) {
    uint64_t right = mp__heap_txn_get(t, tag_off(h, pg + npages));
    if (tag_kind(right) == HEAP_KIND_FREE) {
      len += tag_len(right);
      unlink_run(t, h, pg + npages, tag_len(right));
    }
  }
  if (start + len == top_pg) {
    /* Back into the untouched tail; map entries above top are never read. */
    mp__heap_txn_set(t, tag_off(h, start), 0);
    mp__heap_txn_set(t, HEAP_HDR_OFF(top), start * HEAP_PAGE);
    return;
  }
  tag_block(t, h, start, len, HEAP_KIND_FREE);
  link_run(t, h, start, len);
}

int mp__pages_check(heap_hdr *h, uint64_t *used_bytes) {
  const heap_page *map = (const heap_page *)(const void *)(mp__heap_base + h->map);
  if (atomic_load_explicit(&h->log.count, memory_order_acquire) != 0) return MP_ECORRUPT;
  if (h->data % HEAP_PAGE || h->top % HEAP_PAGE || h->top < h->data || h->top > h->size ||
      h->peak < h->top || h->peak > h->size)
    return MP_ECORRUPT;
  uint64_t first = h->data / HEAP_PAGE, top = h->top / HEAP_PAGE, used = 0, nfree = 0;
  bool prev_free = false;
  for (uint64_t pg = first; pg < top;) {
    uint64_t tag = map[pg].tag, n = tag_len(tag);
    unsigned kind = tag_kind(tag);
    if (!(tag & HEAP_TAG_FIRST) || n == 0 || n > top - pg) return MP_ECORRUPT;
    if (n > 1 && map[pg + n - 1].tag != make_tag(n, kind)) return MP_ECORRUPT;
    if (kind == HEAP_KIND_FREE) {
      if (prev_free) return MP_ECORRUPT; /* two free neighbours: a merge was missed */
      nfree++;
    } else if (kind == HEAP_KIND_USED) {
      used += n;
    } else if (kind != HEAP_KIND_CHUNK) {
      return MP_ECORRUPT;
    }
    prev_free = kind == HEAP_KIND_FREE;
    pg += n;
  }
  if (prev_free) return MP_ECORRUPT; /* it should have gone back into the tail */
  uint64_t listed = 0;
  for (unsigned b = 0; b < HEAP_NBINS; b++) {
    bool marked = (h->bin_mask[b / 64] >> (b % 64)) & 1;
    if (marked != (h->bin[b] != 0)) return MP_ECORRUPT;
    uint64_t prev = 0;
    for (uint64_t r = h->bin[b]; r; r = map[r].links & LINK_MASK) {
      if (r < first || r >= top || listed >= nfree) return MP_ECORRUPT;
      uint64_t tag = map[r].tag;
      if (tag_kind(tag) != HEAP_KIND_FREE || !(tag & HEAP_TAG_FIRST) || bin_of(tag_len(tag)) != b ||
          (map[r].links >> 32) != prev)
        return MP_ECORRUPT;
      listed++;
      prev = r;
    }
  }
  if (listed != nfree) return MP_ECORRUPT;
  *used_bytes = used * HEAP_PAGE;
  return 0;
}
