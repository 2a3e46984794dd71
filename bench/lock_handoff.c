/* SPDX-License-Identifier: MIT */
/* lock_handoff.c -- workload "lock_handoff": two processes hand control back and forth.
 *
 * multiproc: two Events; the parent sets "ping" and waits for "pong", the child waits for
 * "ping", clears it and sets "pong" (and the parent clears "pong").  limit: the same hand-off
 * on two words in shared memory done raw the fastest way at the moment: polling with pauses
 * or yields, or sleeping on them as futexes (raw_best_pingpong); in the _sleep row
 * (bench_variant.h), on two raw futex words (store + FUTEX_WAKE, FUTEX_WAIT while unchanged).
 * Unit: microseconds per round trip, lower is better.
 * Python twin: python/lock_handoff.py (two multiprocessing.Events). */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "bench_variant.h"
#include "multiproc.h"
#include "raw_futex.h"

#define BASE_ITERS 20000

typedef struct {
  mp_event_t *ping, *pong;
  long n;
} mp_pair;

static int mp_responder(void *arg) {
  mp_pair *pp = arg;
  for (long i = 0; i < pp->n; i++) {
    if (mp_event_wait(pp->ping, 10000) != 0) return 1;
    mp_event_clear(pp->ping);
    mp_event_set(pp->pong);
  }
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_pair *pp = ctx;
  pp->n = iters;
  mp_process *p = bench_start(mp_responder, pp);
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    mp_event_set(pp->ping);
    bench_check_mp(mp_event_wait(pp->pong, 10000), "mp_event_wait");
    mp_event_clear(pp->pong);
  }
  uint64_t t1 = bench_now_ns();
  bench_finish(p, "responder");
  return bench_us_per_op(t1 - t0, iters);
}

int main(void) {
  bench_variant_setup();
  mp_pair pp;
  bench_check_mp(mp_event_new(&pp.ping), "mp_event_new");
  bench_check_mp(mp_event_new(&pp.pong), "mp_event_new");
  raw_pair *rp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (rp == MAP_FAILED) bench_die("mmap failed");
  const char *name = "lock_handoff" BENCH_VARIANT_SUFFIX;
  bench_opts o = bench_default_opts(name, BASE_ITERS);
  double mp, limit;
  bench_compare(&o, run_multiproc, &pp, BENCH_SLEEP ? raw_sleep_pingpong : raw_best_pingpong, rp, &mp,
                &limit);
  bench_report(name, "us", false, mp, limit);
  mp_event_free(pp.ping);
  mp_event_free(pp.pong);
  return 0;
}
