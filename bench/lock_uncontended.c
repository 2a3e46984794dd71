/* SPDX-License-Identifier: MIT */
/* lock_uncontended.c -- workload "lock_uncontended": acquire + release of a free Lock.
 *
 * multiproc: mp_lock_acquire(MP_FOREVER) + mp_lock_release on an mp_lock_t from the shared
 * heap.  limit: a raw CAS lock on a shared word (compare-and-swap 0->1, fetch-sub to release),
 * the least a process-shared lock can do.  Unit: pairs per second, higher is better.
 * Python twin: python/lock_uncontended.py (multiprocessing.Lock). */
#include <sys/mman.h>

#include "bench_util.h"
#include "multiproc.h"
#include "raw_futex.h"

#define BASE_ITERS 5000000

static double run_multiproc(void *ctx, long iters) {
  mp_lock_t *l = ctx;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    if (mp_lock_acquire(l, MP_FOREVER) != 0) bench_die("mp_lock_acquire failed");
    mp_lock_release(l);
  }
  return bench_ops_per_s(bench_now_ns() - t0, iters);
}

static double run_limit(void *ctx, long iters) {
  _Atomic uint32_t *w = ctx;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    raw_lock(w);
    raw_unlock(w);
  }
  return bench_ops_per_s(bench_now_ns() - t0, iters);
}

int main(void) {
  mp_lock_t *l;
  bench_check_mp(mp_lock_new(&l), "mp_lock_new");
  _Atomic uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (w == MAP_FAILED) bench_die("mmap failed");
  bench_opts o = bench_default_opts("lock_uncontended", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, l, run_limit, (void *)(uintptr_t)w, &mp, &limit);
  bench_report("lock_uncontended", "ops/s", true, mp, limit);
  mp_lock_free(l);
  return 0;
}
