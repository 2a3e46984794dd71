/* SPDX-License-Identifier: MIT */
/* queue_mpmc.c -- workload "queue_mpmc": 2 producer processes and 2 consumer processes share one
 * Queue of 8-byte messages; messages per second through the queue (all of them, from the start
 * of the four processes to the end of the last), higher is better.
 *
 * multiproc: mp_queue_new(0), put_bytes / get_bytes; each consumer takes half the messages.
 * limit: the same four processes on a raw lock-free bounded MPMC ring of 8-byte slots in shared
 * memory (raw_mpmc_ring.h: a sequence number per slot, one CAS per message a side, a full or
 * empty ring waited on by polling then sleeping on a futex, wakes only when somebody sleeps).
 * Each raw consumer checks that every producer's messages reach it in order.
 * Python twin: python/queue_mpmc.py. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"
#include "raw_mpmc_ring.h"

#define BASE_ITERS 1000000

typedef struct {
  mp_queue *q;
  long n; /* per process */
} mp_ctx;

static int mp_producer(void *arg) {
  mp_ctx *c = arg;
  for (long i = 0; i < c->n; i++)
    if (mp_queue_put_bytes(c->q, &i, sizeof i, 10000) != 0) return 1;
  return 0;
}

static int mp_consumer(void *arg) {
  mp_ctx *c = arg;
  for (long i = 0; i < c->n; i++) {
    long v;
    size_t len;
    if (mp_queue_get_bytes(c->q, &v, sizeof v, &len, 10000) != 0) return 1;
  }
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *c = ctx;
  c->n = iters / 2;
  mp_process *p[4];
  uint64_t t0 = bench_now_ns();
  for (int i = 0; i < 4; i++) p[i] = bench_start(i < 2 ? mp_producer : mp_consumer, c);
  for (int i = 0; i < 4; i++) bench_finish(p[i], "worker");
  uint64_t t1 = bench_now_ns();
  return bench_ops_per_s(t1 - t0, c->n * 2);
}

/* A raw producer's messages: its number in the low bit, its count above it. */
static void raw_produce(raw_mpmc *r, int who, long n) {
  for (long k = 0; k < n; k++) raw_mpmc_push(r, (uint64_t)k << 1 | (uint64_t)who);
}

/* Takes n messages; 0 when each producer's came in the order they were put. */
static int raw_consume(raw_mpmc *r, long n) {
  int64_t last[2] = {-1, -1};
  for (long k = 0; k < n; k++) {
    uint64_t v = raw_mpmc_pop(r);
    int who = (int)(v & 1);
    int64_t seq = (int64_t)(v >> 1);
    if (seq <= last[who]) return 1;
    last[who] = seq;
  }
  return 0;
}

static double run_limit(void *ctx, long iters) {
  raw_mpmc *r = ctx;
  long n = iters / 2;
  raw_mpmc_reset(r);
  uint64_t t0 = bench_now_ns();
  pid_t pid[4];
  for (int i = 0; i < 4; i++) {
    pid[i] = fork();
    if (pid[i] < 0) bench_die("fork failed");
    if (pid[i] == 0) {
      if (i < 2) raw_produce(r, i, n);
      _exit(i < 2 ? 0 : raw_consume(r, n));
    }
  }
  for (int i = 0; i < 4; i++) {
    int st;
    waitpid(pid[i], &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bench_die("raw ring worker failed");
  }
  uint64_t t1 = bench_now_ns();
  if (atomic_load(&r->deq) != (uint64_t)(2 * n)) bench_die("raw ring: messages lost");
  return bench_ops_per_s(t1 - t0, n * 2);
}

int main(void) {
  mp_ctx c;
  bench_check_mp(mp_queue_new(&c.q, 0), "mp_queue_new");
  bench_opts o = bench_default_opts("queue_mpmc", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &c, run_limit, raw_mpmc_new(), &mp, &limit);
  bench_report("queue_mpmc", "msgs/s", true, mp, limit);
  mp_queue_free(c.q);
  return 0;
}
