/* SPDX-License-Identifier: MIT */
/* queue_1mib.c -- workload "queue_1mib": one producer process puts 1 MiB messages on a Queue, the
 * parent gets each into its own buffer; MB/s (10^6 bytes) of messages delivered, higher is
 * better.
 *
 * multiproc: mp_queue_new(0), put_bytes (one copy into a reused, already-faulted heap block) and
 * get_bytes (one copy out of it); nothing else touches the 1 MiB.
 * limit: the same mechanism raw: two processes, a ring of four 1 MiB buffers in a shared mapping
 * faulted in up front (as the queue's cached blocks are); the producer copies each message into
 * the next free buffer, the consumer copies it out into its own, one memcpy per side, each
 * buffer handed over with a flag and raw_spin_wait.h's poll-then-futex wait (wakes only when
 * the other side sleeps).  memcpy bandwidth swings from batch to batch with where the two
 * processes run, so the floor is its best batch (opts.limit_best).
 * Python twin: python/queue_1mib.py. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"
#include "raw_spin_wait.h"

#define BASE_ITERS 2000
#define MSG ((size_t)1 << 20)

typedef struct {
  mp_queue *q;
  unsigned char *src, *dst;
  long n;
} mp_ctx;

static int mp_producer(void *arg) {
  mp_ctx *c = arg;
  for (long i = 0; i < c->n; i++) {
    c->src[0] = (unsigned char)i;
    if (mp_queue_put_bytes(c->q, c->src, MSG, 10000) != 0) return 1;
  }
  return 0;
}

static double run_multiproc(void *ctx, long iters) {
  mp_ctx *c = ctx;
  c->n = iters;
  uint64_t t0 = bench_now_ns();
  mp_process *p = bench_start(mp_producer, c);
  for (long i = 0; i < iters; i++) {
    size_t len;
    bench_check_mp(mp_queue_get_bytes(c->q, c->dst, MSG, &len, 10000), "mp_queue_get_bytes");
    if (len != MSG || c->dst[0] != (unsigned char)i) bench_die("bad message %ld", i);
  }
  uint64_t t1 = bench_now_ns();
  bench_finish(p, "producer");
  return (double)iters * MSG / ((double)(t1 - t0) / 1e9) / 1e6;
}

#define NBUF 4
typedef struct {
  _Alignas(64) _Atomic uint32_t full[NBUF]; /* 1: the buffer holds a message */
  raw_wake filled; /* the consumer sleeps here for a full buffer */
  raw_wake emptied; /* the producer sleeps here for an empty one */
  _Alignas(4096) unsigned char buf[NBUF][MSG];
} raw_bufs;

typedef struct {
  raw_bufs *r;
  unsigned char *src, *dst;
} raw_ctx;

/* What a side waits for: buffer flag *flag to read want. */
typedef struct {
  _Atomic uint32_t *flag;
  uint32_t want;
} raw_turn;

static bool raw_turn_came(void *arg) {
  raw_turn *t = arg;
  return atomic_load_explicit(t->flag, memory_order_acquire) == t->want;
}

static void raw_await(raw_wake *w, _Atomic uint32_t *flag, uint32_t want) {
  raw_turn t = {flag, want};
  if (!raw_turn_came(&t)) raw_spin_wait(w, raw_turn_came, &t);
}

static void raw_hand_over(raw_wake *w, _Atomic uint32_t *flag, uint32_t v) {
  atomic_store_explicit(flag, v, memory_order_release);
  raw_spin_wake(w);
}

static double run_limit(void *ctx, long iters) {
  raw_ctx *c = ctx;
  raw_bufs *r = c->r;
  for (int b = 0; b < NBUF; b++) atomic_store(&r->full[b], 0);
  uint64_t t0 = bench_now_ns();
  pid_t pid = fork();
  if (pid < 0) bench_die("fork failed");
  if (pid == 0) {
    for (long i = 0; i < iters; i++) {
      int b = (int)(i % NBUF);
      raw_await(&r->emptied, &r->full[b], 0);
      c->src[0] = (unsigned char)i;
      memcpy(r->buf[b], c->src, MSG);
      raw_hand_over(&r->filled, &r->full[b], 1);
    }
    _exit(0);
  }
  for (long i = 0; i < iters; i++) {
    int b = (int)(i % NBUF);
    raw_await(&r->filled, &r->full[b], 1);
    memcpy(c->dst, r->buf[b], MSG);
    if (c->dst[0] != (unsigned char)i) bench_die("raw: bad message %ld", i);
    raw_hand_over(&r->emptied, &r->full[b], 0);
  }
  uint64_t t1 = bench_now_ns();
  int st;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bench_die("raw producer failed");
  return (double)iters * MSG / ((double)(t1 - t0) / 1e9) / 1e6;
}

int main(void) {
  mp_ctx c;
  bench_check_mp(mp_queue_new(&c.q, 0), "mp_queue_new");
  c.src = malloc(MSG);
  c.dst = malloc(MSG);
  if (!c.src || !c.dst) bench_die("malloc failed");
  memset(c.src, 0x5a, MSG);
  memset(c.dst, 0, MSG);
  raw_ctx rc = {mmap(NULL, sizeof(raw_bufs), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0),
                c.src, c.dst};
  if (rc.r == MAP_FAILED) bench_die("mmap failed");
  bench_opts o = bench_default_opts("queue_1mib", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &c, run_limit, &rc, &mp, &limit);
  bench_report("queue_1mib", "MB/s", true, mp, limit);
  mp_queue_free(c.q);
  return 0;
}
