/* SPDX-License-Identifier: MIT */
/* heap_alloc_free.c -- workload "heap_alloc_free": small blocks from the shared heap.
 *
 * multiproc: mp_shared_alloc + mp_shared_free of 16..256-byte blocks, cycling a working set of
 * 64 live blocks so free lists are exercised, one process.  limit: the same pattern on the
 * shared heap's own mechanism done raw (raw_heap.h): size-class free lists in a MAP_SHARED
 * mapping under one CAS spin lock, a pop (zeroing a reused block) and a push, inlined.
 * Unit: alloc+free pairs per second, higher is better.  Python has no counterpart. */
#include "bench_util.h"
#include "multiproc.h"
#include "raw_heap.h"

#define BASE_ITERS 2000000
#define LIVE 64

static size_t size_of(long i) { return (size_t)(16 << (i % 5)); } /* 16..256 bytes */

static double run_multiproc(void *ctx, long iters) {
  void *live[LIVE] = {0};
  size_t len[LIVE] = {0};
  (void)ctx;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    int s = (int)(i % LIVE);
    if (live[s]) mp_shared_free(live[s], len[s]);
    len[s] = size_of(i);
    live[s] = mp_shared_alloc(len[s]);
    if (live[s] == NULL) bench_die("mp_shared_alloc(%zu) failed", len[s]);
    *(volatile char *)live[s] = 1;
  }
  uint64_t t1 = bench_now_ns();
  for (int s = 0; s < LIVE; s++) mp_shared_free(live[s], len[s]);
  return bench_ops_per_s(t1 - t0, iters);
}

static double run_limit(void *ctx, long iters) {
  raw_heap *h = ctx;
  void *live[LIVE] = {0};
  size_t len[LIVE] = {0};
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    int s = (int)(i % LIVE);
    if (live[s]) raw_heap_free(h, live[s], len[s]);
    len[s] = size_of(i);
    live[s] = raw_heap_alloc(h, len[s]);
    if (live[s] == NULL) bench_die("raw heap: no room for %zu bytes", len[s]);
    *(volatile char *)live[s] = 1;
  }
  uint64_t t1 = bench_now_ns();
  for (int s = 0; s < LIVE; s++) raw_heap_free(h, live[s], len[s]);
  return bench_ops_per_s(t1 - t0, iters);
}

int main(void) {
  bench_opts o = bench_default_opts("heap_alloc_free", BASE_ITERS);
  o.higher = true;
  /* the live set never holds more than LIVE blocks of each class: blocks are reused, not
   * carved, after the first round */
  raw_heap *h = raw_heap_new((size_t)LIVE * RAW_HEAP_NCLASSES * RAW_HEAP_MAX);
  double mp, limit;
  bench_compare(&o, run_multiproc, NULL, run_limit, h, &mp, &limit);
  bench_report("heap_alloc_free", "ops/s", true, mp, limit);
  return 0;
}
