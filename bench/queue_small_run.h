/* SPDX-License-Identifier: MIT */
/* queue_small_run.h -- the body of workloads "queue_small" and "queue_small_bounded": one
 * producer process puts 8-byte messages on a Queue, the consumer (the parent) gets them;
 * messages per second, higher is better.
 *
 * multiproc: mp_queue_new(maxsize), put_bytes / get_bytes.
 * limit: the queue's mechanism done raw for one producer and one consumer
 * (raw_spsc_ring.h): a ring of 4096 64-byte slots with per-slot sequence numbers, no CAS, no
 * owner stamps, no shared head or tail.  A pipe would be a far looser floor (two system calls
 * per message). */
#ifndef MP_BENCH_QUEUE_SMALL_RUN_H
#define MP_BENCH_QUEUE_SMALL_RUN_H

#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"
#include "raw_spsc_ring.h"

#define BASE_ITERS 2000000 /* the peers' SMALL_ITERS (bench/peers/) */

typedef struct {
  mp_queue *q;
  long n;
} mp_ctx;

static int mp_producer(void *arg) {
  mp_ctx *c = arg;
  for (long i = 0; i < c->n; i++)
    if (mp_queue_put_bytes(c->q, &i, sizeof i, 10000) != 0) return 1;
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *c = ctx;
  c->n = iters;
  uint64_t t0 = bench_now_ns();
  mp_process *p = bench_start(mp_producer, c);
  for (long i = 0; i < iters; i++) {
    long v;
    size_t len;
    bench_check_mp(mp_queue_get_bytes(c->q, &v, sizeof v, &len, 10000), "mp_queue_get_bytes");
    if (v != i) bench_die("out of order: %ld for %ld", v, i);
  }
  uint64_t t1 = bench_now_ns();
  bench_finish(p, "producer");
  return bench_ops_per_s(t1 - t0, iters);
}

static double run_limit(void *ctx, long iters) {
  raw_spsc *r = ctx;
  raw_spsc_reset(r);
  uint64_t t0 = bench_now_ns();
  pid_t pid = fork();
  if (pid < 0) bench_die("fork failed");
  if (pid == 0) {
    for (long i = 0; i < iters; i++) raw_spsc_push(r, (uint64_t)i, (uint64_t)i);
    _exit(0);
  }
  for (long i = 0; i < iters; i++)
    if (raw_spsc_pop(r, (uint64_t)i) != (uint64_t)i) bench_die("raw ring out of order");
  uint64_t t1 = bench_now_ns();
  waitpid(pid, NULL, 0);
  return bench_ops_per_s(t1 - t0, iters);
}

/* Measures and reports the workload name on a queue of maxsize (0: unbounded). */
static int queue_small_main(const char *name, size_t maxsize) {
  mp_ctx c;
  bench_check_mp(mp_queue_new(&c.q, maxsize), "mp_queue_new");
  raw_spsc *r = raw_spsc_new();
  bench_opts o = bench_default_opts(name, BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &c, run_limit, r, &mp, &limit);
  bench_report(name, "msgs/s", true, mp, limit);
  mp_queue_free(c.q);
  return 0;
}

#endif
