/* SPDX-License-Identifier: MIT */
/* queue_1mib.c -- workload "queue_1mib": one producer process puts 1 MiB messages on a Queue, the
 * parent gets each into its own buffer; MB/s (10^6 bytes) of messages delivered, higher is
 * better.
 *
 * multiproc: mp_queue_new(0), put_bytes (one copy into a reused, already-faulted heap block) and
 * get_bytes (one copy out of it); nothing else touches the 1 MiB.
 * limit: memcpy bandwidth with the same shape: two processes, four shared 1 MiB buffers; the
 * producer copies each message into a free buffer, the consumer copies it out, handing buffers
 * over with atomics and futex waits -- one copy per side, which no queue can do without.
 * Python twin: python/queue_1mib.py. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"
#include "raw_futex.h"

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
  _Alignas(64) _Atomic uint32_t full[NBUF]; /* 1: buffer holds a message */
  _Atomic uint32_t sleepers;
  _Alignas(4096) unsigned char buf[NBUF][MSG];
} raw_bufs;

typedef struct {
  raw_bufs *r;
  unsigned char *src, *dst;
} raw_ctx;

static void raw_wait_for(raw_bufs *r, int b, uint32_t want) {
  for (int i = 0; i < 1000 && atomic_load(&r->full[b]) != want; i++) {
  }
  while (atomic_load(&r->full[b]) != want) {
    atomic_fetch_add(&r->sleepers, 1);
    raw_futex_wait(&r->full[b], !want);
    atomic_fetch_sub(&r->sleepers, 1);
  }
}

static void raw_set(raw_bufs *r, int b, uint32_t v) {
  atomic_store(&r->full[b], v);
  if (atomic_load(&r->sleepers)) raw_futex_wake(&r->full[b], 1);
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
      raw_wait_for(r, b, 0);
      c->src[0] = (unsigned char)i;
      memcpy(r->buf[b], c->src, MSG);
      raw_set(r, b, 1);
    }
    _exit(0);
  }
  for (long i = 0; i < iters; i++) {
    int b = (int)(i % NBUF);
    raw_wait_for(r, b, 1);
    memcpy(c->dst, r->buf[b], MSG);
    if (c->dst[0] != (unsigned char)i) bench_die("raw: bad message");
    raw_set(r, b, 0);
  }
  uint64_t t1 = bench_now_ns();
  waitpid(pid, NULL, 0);
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
  raw_ctx rc = {
      mmap(NULL, sizeof(raw_bufs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
      c.src, c.dst};
  if (rc.r == MAP_FAILED) bench_die("mmap failed");
  memset(rc.r, 0, sizeof(raw_bufs));
  bench_opts o = bench_default_opts("queue_1mib", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &c, run_limit, &rc, &mp, &limit);
  bench_report("queue_1mib", "MB/s", true, mp, limit);
  mp_queue_free(c.q);
  return 0;
}
