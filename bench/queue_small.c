/* SPDX-License-Identifier: MIT */
/* queue_small.c -- workload "queue_small": one producer process puts 8-byte messages on a
 * Queue, the consumer (the parent) gets them; messages per second, higher is better.
 *
 * multiproc: mp_queue_new(0) (unbounded, as Python's Queue()), put_bytes / get_bytes.
 * limit: a raw shared-memory single-producer single-consumer ring of 8-byte slots (4096 of
 * them) with futex wake-ups when a side sleeps on an empty or full ring: the least any
 * cross-process queue costs (no lock, no multi-consumer bookkeeping, no dead-holder checks).
 * A pipe would be the other floor, but it pays two system calls per message, so it is a far
 * looser bound than the ring.
 * Python twin: python/queue_small.py. */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "multiproc.h"
#include "raw_futex.h"

#define BASE_ITERS 2000000

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

#define RING 4096
typedef struct {
  _Alignas(64) _Atomic uint64_t head;
  _Atomic uint32_t head_sleep;
  _Alignas(64) _Atomic uint64_t tail;
  _Atomic uint32_t tail_sleep;
  _Alignas(64) long slot[RING];
} raw_ring;

/* Waits until *word differs from seen: spins a little, then sleeps on its low half. */
static void raw_await(_Atomic uint64_t *word, uint64_t seen, _Atomic uint32_t *sleep_flag) {
  for (int i = 0; i < 100; i++)
    if (atomic_load(word) != seen) return;
  while (atomic_load(word) == seen) {
    atomic_store(sleep_flag, 1);
    if (atomic_load(word) != seen) break;
    /* a 1 ms cap on the sleep, as a safety net: it never extends a wait that a wake ends */
    struct timespec ms = {0, 1000000};
    syscall(SYS_futex, (_Atomic uint32_t *)(uintptr_t)word, FUTEX_WAIT, (uint32_t)seen, &ms, NULL,
            0);
  }
}

static void raw_bump(_Atomic uint64_t *word, _Atomic uint32_t *sleep_flag) {
  atomic_fetch_add(word, 1);
  if (atomic_load(sleep_flag) && atomic_exchange(sleep_flag, 0))
    raw_futex_wake((_Atomic uint32_t *)(uintptr_t)word, 1);
}

static double run_limit(void *ctx, long iters) {
  raw_ring *r = ctx;
  atomic_store(&r->head, 0);
  atomic_store(&r->tail, 0);
  uint64_t t0 = bench_now_ns();
  pid_t pid = fork();
  if (pid < 0) bench_die("fork failed");
  if (pid == 0) {
    for (long i = 0; i < iters; i++) {
      uint64_t t = atomic_load(&r->tail);
      while (t - atomic_load(&r->head) == RING) raw_await(&r->head, t - RING, &r->head_sleep);
      r->slot[t % RING] = i;
      raw_bump(&r->tail, &r->tail_sleep);
    }
    _exit(0);
  }
  for (long i = 0; i < iters; i++) {
    uint64_t h = atomic_load(&r->head);
    while (atomic_load(&r->tail) == h) raw_await(&r->tail, h, &r->tail_sleep);
    if (r->slot[h % RING] != i) bench_die("raw ring out of order");
    raw_bump(&r->head, &r->head_sleep);
  }
  uint64_t t1 = bench_now_ns();
  waitpid(pid, NULL, 0);
  return bench_ops_per_s(t1 - t0, iters);
}

int main(void) {
  mp_ctx c;
  bench_check_mp(mp_queue_new(&c.q, 0), "mp_queue_new");
  raw_ring *r =
      mmap(NULL, sizeof(raw_ring), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) bench_die("mmap failed");
  bench_opts o = bench_default_opts("queue_small", BASE_ITERS);
  o.higher = true;
  double mp, limit;
  bench_compare(&o, run_multiproc, &c, run_limit, r, &mp, &limit);
  bench_report("queue_small", "msgs/s", true, mp, limit);
  mp_queue_free(c.q);
  return 0;
}
