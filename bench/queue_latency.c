/* SPDX-License-Identifier: MIT */
/* queue_latency.c -- workload "queue_latency": put -> get wake-up between two processes, as a
 * ping-pong over two Queues (the parent puts on one and gets from the other, the child the
 * reverse); microseconds per round trip (two wake-ups), lower is better.
 *
 * multiproc: two mp_queue_new(0), 8-byte put_bytes / get_bytes.
 * limit: the same ping-pong on two raw words in shared memory, the fastest raw way at the
 * moment (raw_best_pingpong, as in lock_handoff); in the _sleep row (bench_variant.h), on
 * two raw futex words (store + FUTEX_WAKE, FUTEX_WAIT while unchanged).
 * Python twin: python/queue_latency.py. */
#include <stdatomic.h>
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
  mp_queue *ping, *pong;
  long n;
} mp_pair;

static int mp_responder(void *arg) {
  mp_pair *pp = arg;
  for (long i = 0; i < pp->n; i++) {
    long v;
    size_t len;
    if (mp_queue_get_bytes(pp->ping, &v, sizeof v, &len, 10000) != 0) return 1;
    if (mp_queue_put_bytes(pp->pong, &v, sizeof v, 10000) != 0) return 2;
  }
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_pair *pp = ctx;
  pp->n = iters;
  mp_process *p = bench_start(mp_responder, pp);
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < iters; i++) {
    long v;
    size_t len;
    bench_check_mp(mp_queue_put_bytes(pp->ping, &i, sizeof i, 10000), "mp_queue_put_bytes");
    bench_check_mp(mp_queue_get_bytes(pp->pong, &v, sizeof v, &len, 10000), "get_bytes");
    if (v != i) bench_die("wrong reply");
  }
  uint64_t t1 = bench_now_ns();
  bench_finish(p, "responder");
  return bench_us_per_op(t1 - t0, iters);
}

int main(void) {
  bench_variant_setup();
  mp_pair pp;
  bench_check_mp(mp_queue_new(&pp.ping, 0), "mp_queue_new");
  bench_check_mp(mp_queue_new(&pp.pong, 0), "mp_queue_new");
  raw_pair *rp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (rp == MAP_FAILED) bench_die("mmap failed");
  const char *name = "queue_latency" BENCH_VARIANT_SUFFIX;
  bench_opts o = bench_default_opts(name, BASE_ITERS);
  double mp, limit;
  bench_compare(&o, run_multiproc, &pp, BENCH_SLEEP ? raw_sleep_pingpong : raw_best_pingpong, rp, &mp,
                &limit);
  bench_report(name, "us", false, mp, limit);
  mp_queue_free(pp.ping);
  mp_queue_free(pp.pong);
  return 0;
}
